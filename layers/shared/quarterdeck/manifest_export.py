"""The dock manifest as CSV (`GET /api/sails/<id>/manifest.csv`): one row a person aboard, for
an admin or the sail's captain.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: every such cell is written with a leading `'` (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from quarterdeck.auth import Caller
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ForbiddenError
from quarterdeck.formatting import clock_time, local_stamp, long_date
from quarterdeck.guests import guest_view, sail_timing
from quarterdeck.repositories.guests import GuestRepository
from quarterdeck.repositories.sails import holders_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("Sail", "Date", "Departs", "Meeting point", "Name", "Booking", "Minor", "Status", "Signed at")
CONTACT_COLUMNS = ("Email", "Phone")


def safe_cell(value: object) -> str:
    """A cell as text, a leading `'` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def may_export(meta: Mapping[str, Any], caller: Caller) -> bool:
    """Admins, and the crew member holding the captain's slot on this sail."""
    return caller.is_admin or holders_of(meta).get(caller.email.lower()) == "captain"


def _people(entry: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """Each person of a manifest entry: its `people` if it lists them, else the guest itself and
    one unnamed row for each further seat of its party."""
    if isinstance(entry.get("people"), list):
        for person in entry["people"]:
            yield {**entry, **person, "booking": entry.get("name", "")}
        return
    yield {**entry, "booking": entry.get("booking") or entry.get("name", "")}
    for n in range(2, int(entry.get("party_size") or 1) + 1):
        yield {
            "name": f"Guest {n} of {entry.get('name', '')}'s party",
            "booking": entry.get("name", ""),
            "status": entry.get("status"),
        }


def manifest_rows(
    manifest: Mapping[str, Any], *, contact: bool, settings: Settings
) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a manifest (`guests.list_guests`'s answer), one row a person."""
    sail = manifest.get("sail") or {}
    tz = settings.timezone
    fixed = [
        sail.get("title", ""),
        long_date(sail.get("date")),
        clock_time(sail.get("departure"), tz),
        sail.get("meeting_point") or settings.meeting_point,
    ]
    header = [*COLUMNS, *(CONTACT_COLUMNS if contact else ())]
    rows = []
    for entry in manifest.get("guests") or []:
        for person in _people(entry):
            signed = person.get("signed_at")
            row = [
                *fixed,
                person.get("name", ""),
                person.get("booking", ""),
                "yes" if person.get("minor") else "",
                str(person.get("status") or "").replace("_", " "),
                local_stamp(str(signed), tz) if signed else "",
            ]
            if contact:
                row += [person.get("email", ""), person.get("phone", "")]
            rows.append([safe_cell(cell) for cell in row])
    return header, rows


def manifest_csv(
    guests: GuestRepository, sail_id: str, caller: Caller, *, settings: Settings | None = None
) -> tuple[str, str]:
    """(file name, CSV text) of the sail's manifest. ForbiddenError for crew who are not its
    captain; contact columns for admins only (as on the manifest page). Two round trips: the
    sail (who may), then its guests."""
    settings = settings or get_settings()
    meta = guests.sail_meta(sail_id)
    if not may_export(meta, caller):
        raise ForbiddenError("Only an admin or this sail's captain can download its manifest.")
    on_board = sorted(guests.guests_of(sail_id), key=lambda g: (g.get("added_at", ""), g.get("name", "")))
    manifest = {"sail": sail_timing(meta), "guests": [guest_view(g, contact=caller.is_admin) for g in on_board]}
    header, rows = manifest_rows(manifest, contact=caller.is_admin, settings=settings)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return f"manifest-{meta.get('date', '')}-{sail_id}.csv", out.getvalue()
