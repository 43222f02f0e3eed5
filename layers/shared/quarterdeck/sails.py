"""Sails: create, list, read, edit and cancel the evenings on the water.

A sail and everything on it (role slots, guests, waivers, checklist items, history) share
one partition, `SAIL#<id>`, so the sail page is one Query (`load_sail`); the waivers and the
history sort last, so a page or a run that shows neither stops before them. The sail's own
record (`META`) carries its times, computed from the San Diego sunset for its date when it
is created and again whenever its date changes, and its GSI1 keys (`SAILS#ALL` /
`<departure iso>#<id>`) so any date range of sails is ONE Query on the index (a BETWEEN on
the sort key), never a Scan. META also keeps `holders`, a string set of `<email> <slot>`
kept by the crew area in the same transactions as the role slots, so the index alone
tells whose sails they are (the calendar feed).

How all that is stored and read is the repository's (`quarterdeck.repositories.sails`,
passed in as `sails`): META is only ever changed on named attributes with a `version` check
(never a whole-item Put), as other areas keep their own fields there (`guest_count`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from quarterdeck.checklists import SailCancelledError, checklists_view
from quarterdeck.clock import Clock, IdGenerator, iso, system_clock
from quarterdeck.clock import new_id as default_new_id
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import (
    InvalidInputError,
    RoleStateError,
    SailNotFoundError,
    StaleVersionError,
)
from quarterdeck.need_to_know import sees_guest_contact, without_contact
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.history import history_view
from quarterdeck.repositories.sails import Change, SailRepository, holders_of
from quarterdeck.sail_mail import mail_sail, tell_people
from quarterdeck.sun import SailTimes, local_today, sail_times
from quarterdeck.validation import calendar_date, text_field

if TYPE_CHECKING:
    from quarterdeck.auth import Caller
    from quarterdeck.mail import MailSender

STATUSES = ("scheduled", "cancelled")
MAX_CREW_SLOTS = 8
TITLE_MAX = 120
NOTES_MAX = 2000
MAX_RANGE_DAYS = 400  # a list request reads at most ~13 months of sails (one Query)

# What a sail's META answers with (the API shape); role and guest fields passed through.
SAIL_FIELDS = (
    "id",
    "date",
    "title",
    "notes",
    "status",
    "sunset",
    "departure",
    "return",
    "civil_dusk",
    "golden_hour_start",
    "crew_slots",
    "guest_count",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
)
__all__ = ["holders_of"]  # re-exported: the calendar feed and the tests read it from here
ROLE_FIELDS = ("slot", "state", "holder", "claimed_at", "designated_at")
GUEST_FIELDS = ("id", "name", "email", "party_size", "status", "added_at", "signed_at")


# --- validation -------------------------------------------------------------------
def sail_date(value: object, *, now: datetime, settings: Settings, field: str = "date") -> date:
    """A real calendar date, not before today in the sails' zone."""
    if value is None or value == "":
        raise InvalidInputError("The date is required.", field=field)
    today = local_today(now, settings)
    day = calendar_date(value, field, today=today)
    if day < today:
        raise InvalidInputError("The date is in the past. Pick today or a later day.", field=field)
    return day


def sail_title(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError("The title is text.", field="title")
    return text_field(value, "title", min_length=1, max_length=TITLE_MAX, single_line=True)


def sail_notes(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError("The notes are text.", field="notes")
    text = value.strip()
    if len(text) > NOTES_MAX:
        raise InvalidInputError(f"The notes must be at most {NOTES_MAX} characters.", field="notes")
    return text


def crew_slot_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInputError(f"Crew slots is a whole number from 0 to {MAX_CREW_SLOTS}.", field="crew_slots")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInputError(
            f"Crew slots is a whole number from 0 to {MAX_CREW_SLOTS}.", field="crew_slots"
        ) from None
    if not 0 <= number <= MAX_CREW_SLOTS:
        raise InvalidInputError(f"Crew slots is a whole number from 0 to {MAX_CREW_SLOTS}.", field="crew_slots")
    return number


def slot_names(crew_slots: int) -> list[str]:
    return ["captain", *(f"crew-{n}" for n in range(1, crew_slots + 1))]


def _slot_order(slot: str) -> tuple[int, int]:
    if slot == "captain":
        return (0, 0)
    _, _, number = slot.partition("-")
    return (1, int(number)) if number.isdigit() else (2, 0)


# --- records ----------------------------------------------------------------------
def _timing_fields(times: SailTimes) -> dict[str, Any]:
    fields: dict[str, Any] = dict(times.as_fields())
    fields["date"] = times.date.isoformat()
    return fields


def sail_summary(meta: Mapping[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """The sail's own fields as the API answers them (no keys)."""
    settings = settings or get_settings()
    view = {name: meta[name] for name in SAIL_FIELDS if name in meta}
    view.setdefault("notes", "")
    view.setdefault("guest_count", 0)
    view["guest_capacity"] = int(meta.get("guest_capacity") or settings.guest_capacity)
    return view


# --- create -----------------------------------------------------------------------
def create_sail(
    sails: SailRepository,
    actor_email: str,
    *,
    date: object,
    title: object,
    crew_slots: object = 2,
    notes: object = "",
    clock: Clock = system_clock,
    new_id: IdGenerator = default_new_id,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Validate, compute the times, and write the sail with its role slots, checklists and
    first history entry in ONE transaction. Returns the sail's summary."""
    settings = settings or get_settings()
    now = clock()
    day = sail_date(date, now=now, settings=settings)
    clean_title = sail_title(title)
    slots = crew_slot_count(crew_slots)
    clean_notes = sail_notes(notes)
    times = sail_times(day, settings=settings)
    sail_id = new_id()
    meta: Item = {
        "type": "sail",
        "id": sail_id,
        "title": clean_title,
        "notes": clean_notes,
        "status": "scheduled",
        "crew_slots": slots,
        "guest_count": 0,
        "created_by": actor_email,
        "created_at": iso(now),
        "updated_at": iso(now),
        "version": 1,
        **_timing_fields(times),
    }
    detail = {"date": meta["date"], "title": clean_title, "crew_slots": slots}
    sails.add_sail(meta, slot_names(slots), Change(actor_email, "sail_created", now, detail))
    logger.info("sail created", extra={"sail_id": sail_id, "date": meta["date"]})
    return sail_summary(meta, settings)


# --- read -------------------------------------------------------------------------
def get_sail_meta(sails: SailRepository, sail_id: str, *, consistent: bool = False) -> Item:
    """The sail's own record (one GetItem). Raises SailNotFoundError."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    item = sails.sail_meta(sail_id, consistent=consistent)
    if not item:
        raise SailNotFoundError("There is no such sail.")
    return item


def load_sail(sails: SailRepository, sail_id: str, *, with_history: bool = False) -> list[Item]:
    """The sail with its roles, holders, guests and checklists: ONE Query on its partition.
    The waiver signatures and the history, which grow with the sail's life, sort after those
    and are read only `with_history` (the admin's page). Raises SailNotFoundError."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    items = sails.sail_items(sail_id, with_history=with_history)
    if not any(i.get("type") == "sail" for i in items):
        raise SailNotFoundError("There is no such sail.")
    return items


def _role_view(item: Item, *, show_holder: bool, is_admin: bool) -> dict[str, Any]:
    view = {name: item[name] for name in ROLE_FIELDS if name in item}
    if not show_holder:
        view.pop("holder", None)
    if is_admin and item.get("invited"):
        view["invited"] = item["invited"]
    return view


def _guest_view(item: Item, *, contact: bool) -> dict[str, Any]:
    view = {name: item[name] for name in GUEST_FIELDS if name in item}
    return view if contact else without_contact(view)


def sail_view(items: Iterable[Item], caller: Caller | None, settings: Settings | None = None) -> dict[str, Any]:
    """The GET /api/sails/{id} answer, shaped for who is asking.

    A guest sees the sail, its roles without holders' emails, the checklists, and only its
    own guest record; history is for admins only. Guests' contact details are shown to the
    admins and the sail's captain only (`need_to_know`); other crew see names and status.
    """
    items = list(items)
    meta = next(i for i in items if i.get("type") == "sail")
    is_admin = bool(caller and caller.is_admin)
    is_guest = bool(caller and caller.is_guest)
    view = sail_summary(meta, settings)
    roles = sorted((i for i in items if i.get("type") == "role"), key=lambda i: _slot_order(str(i.get("slot", ""))))
    view["roles"] = [_role_view(r, show_holder=not is_guest, is_admin=is_admin) for r in roles]
    view["checklists"] = checklists_view(items)
    if is_guest:  # a guest sees no one else's address: not who ticked, created or cancelled
        for checklist in view["checklists"].values():
            for entry in checklist["items"]:
                entry.pop("done_by", None)
        view.pop("created_by", None)
        view.pop("cancelled_by", None)
    guests = sorted((i for i in items if i.get("type") == "guest"), key=lambda i: str(i.get("added_at", "")))
    if is_guest:
        guests = [g for g in guests if caller is not None and g.get("id") == caller.guest_id]
    contact = is_guest or sees_guest_contact(caller, meta)  # a guest's own record is its own
    view["guests"] = [_guest_view(g, contact=contact) for g in guests]
    if is_admin:
        view["history"] = [history_view(e) for e in items if e.get("type") == "history"]  # in order
    return view


def get_sail(
    sails: SailRepository, sail_id: str, caller: Caller | None, settings: Settings | None = None
) -> dict[str, Any]:
    return sail_view(load_sail(sails, sail_id, with_history=bool(caller and caller.is_admin)), caller, settings)


# --- list -------------------------------------------------------------------------
@dataclass(frozen=True)
class DateRange:
    start: date
    end: date


def date_range(
    start: object,
    end: object,
    *,
    clock: Clock = system_clock,
    settings: Settings | None = None,
    default_days: int = 180,
) -> DateRange:
    """`from`/`to` of a list request; `from` defaults to today, `to` to `default_days` later."""
    settings = settings or get_settings()
    today = local_today(clock(), settings)
    first = calendar_date(start, "from", today=today) if start else today
    last = calendar_date(end, "to", today=today) if end else first + timedelta(days=default_days)
    if last < first:
        raise InvalidInputError("'to' is before 'from'.", field="to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInputError(f"A range spans at most {MAX_RANGE_DAYS} days.", field="to")
    return DateRange(first, last)


def sail_records(sails: SailRepository, start: date, end: date) -> list[Item]:
    """The META items of the sails whose local date is in [start, end], by departure: ONE
    Query on GSI1 (the sort key starts with the departure's local ISO date)."""
    found = sails.sails_between(start, end)
    found.sort(key=lambda item: (str(item.get("departure", "")), str(item.get("id", ""))))
    return found


def list_sails(
    sails: SailRepository, start: date, end: date, *, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Sails whose date is in [start, end], by departure (one GSI1 Query)."""
    settings = settings or get_settings()
    return [sail_summary(item, settings) for item in sail_records(sails, start, end)]


# --- edit -------------------------------------------------------------------------
EDITABLE = ("title", "date", "notes", "crew_slots")


def update_sail(
    sails: SailRepository,
    actor_email: str,
    sail_id: str,
    changes: Mapping[str, Any],
    *,
    version: int | None = None,
    mailer: MailSender | None = None,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Edit a scheduled sail (admin). A new date recomputes the times and the GSI1 keys and
    tells the people on the sail. `version`, when given, must be the sail's current one."""
    settings = settings or get_settings()
    now = clock()
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(f"{unknown[0]} cannot be changed.", field=unknown[0])
    items = load_sail(sails, sail_id)
    meta = next(i for i in items if i.get("type") == "sail")
    if meta.get("status") != "scheduled":
        raise SailCancelledError("This sail is cancelled; it cannot be edited.")
    expected = int(meta.get("version", 1)) if version is None else int(version)
    if expected != int(meta.get("version", 1)):
        raise StaleVersionError("Someone else changed this sail meanwhile. Reload it and try again.", field="version")

    sets: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    added: list[str] = []
    removed: list[str] = []
    if "title" in changes:
        sets["title"] = sail_title(changes["title"])
    if "notes" in changes:
        sets["notes"] = sail_notes(changes["notes"])
    new_date: date | None = None
    if "date" in changes:
        day = sail_date(changes["date"], now=now, settings=settings)
        if day.isoformat() != meta.get("date"):
            new_date = day
            sets.update(_timing_fields(sail_times(day, settings=settings)))
    if "crew_slots" in changes:
        slots = crew_slot_count(changes["crew_slots"])
        current = int(meta.get("crew_slots", 0))
        if slots != current:
            sets["crew_slots"] = slots
            added, removed = _slot_changes(items, current, slots)
    sets = {name: value for name, value in sets.items() if meta.get(name) != value}
    if not sets:
        return sail_summary(meta, settings)
    for name in ("title", "date", "notes", "crew_slots"):
        if name in sets:
            detail[name] = {"from": meta.get(name), "to": sets[name]}

    change = Change(actor_email, "sail_rescheduled" if new_date else "sail_edited", now, detail)
    sails.edit_sail(sail_id, sets, version=expected, change=change, add_slots=added, remove_slots=removed)
    # The write's condition pinned META at `expected`: what it holds now is what we read
    # plus what we set (no re-read; only another area's counter may have moved meanwhile).
    updated = {**meta, **sets, "updated_at": iso(now), "version": expected + 1}
    if new_date:
        tell_people(
            mailer,
            "sail_rescheduled",
            items,
            {"sail": mail_sail(updated), "previous": mail_sail(meta)},
            settings,
        )
    return sail_summary(updated, settings)


def _slot_changes(items: list[Item], current: int, wanted: int) -> tuple[list[str], list[str]]:
    """Role slots to add (open) and to remove (only if nobody holds them)."""
    if wanted > current:
        return [f"crew-{n}" for n in range(current + 1, wanted + 1)], []
    roles = {str(i.get("slot")): i for i in items if i.get("type") == "role"}
    removed = []
    for n in range(wanted + 1, current + 1):
        slot = f"crew-{n}"
        role = roles.get(slot)
        if role and (role.get("state") != "open" or role.get("holder")):
            raise RoleStateError(
                f"{slot} is {role.get('state')} by {role.get('holder', 'someone')}; release it before removing it.",
                field="crew_slots",
            )
        removed.append(slot)
    return [], removed


# --- cancel -----------------------------------------------------------------------
def cancel_sail(
    sails: SailRepository,
    actor_email: str,
    sail_id: str,
    *,
    reason: object = "",
    mailer: MailSender | None = None,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Cancel a scheduled sail (admin) and tell everyone on it by email: role holders and
    guests. The sail stays listed, marked cancelled. Returns its summary with `notified`."""
    settings = settings or get_settings()
    now = clock()
    why = sail_notes(reason)[:500]
    for attempt in range(1, CANCEL_ATTEMPTS + 1):
        items = load_sail(sails, sail_id)
        meta = next(i for i in items if i.get("type") == "sail")
        if meta.get("status") == "cancelled":
            raise SailCancelledError("This sail is already cancelled.")
        sets: dict[str, Any] = {"status": "cancelled", "cancelled_at": iso(now), "cancelled_by": actor_email}
        if why:
            sets["cancel_reason"] = why
        change = Change(actor_email, "sail_cancelled", now, {"reason": why} if why else None)
        try:
            sails.cancel_sail(sail_id, sets, version=int(meta.get("version", 1)), change=change)
            break
        except StaleVersionError:
            # Cancelled by someone else, or edited between our read and our write: read again.
            if attempt == CANCEL_ATTEMPTS:
                raise
    # The write's condition pinned META at the version read: answer from it (no re-read).
    updated = {**meta, **sets, "updated_at": iso(now), "version": int(meta.get("version", 1)) + 1}
    notified = tell_people(mailer, "sail_cancelled", items, {"sail": mail_sail(updated), "reason": why}, settings)
    summary = sail_summary(updated, settings)
    summary["notified"] = len(notified)
    return summary


CANCEL_ATTEMPTS = 3
