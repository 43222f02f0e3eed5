"""A weekly series of sails: edit or cancel a sail and the rest of its series at once.

The sails of a series were created together (`sails.create_sail(repeat_weeks=N)`) and share a
`series_id` on their META; each stays a sail of its own (its own id, version, roles, guests),
editable and cancellable alone. "The rest of the series" from a sail is that sail and every
later one of the series still scheduled, found with one GSI1 Query over the series' span.

An edit of the rest is worked out for every sail first (so a refused value or a slot someone
holds refuses the whole edit before anything is written), then written sail by sail, each in
its own transaction at the version read, and each sail's people are told if it moved.
A move is `shift_days` (e.g. +1: every Friday sail becomes a Saturday one) or a new timing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from quarterdeck.checklists import SailCancelledError
from quarterdeck.clock import Clock, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.repositories import Item
from quarterdeck.repositories.sails import SailRepository
from quarterdeck.sail_fields import MAX_REPEAT_WEEKS
from quarterdeck.sails import apply_edit, cancel_sail, get_sail_meta, load_sail, plan_edit, sail_records

if TYPE_CHECKING:
    from quarterdeck.mail import MailSender

SERIES_EDITABLE = ("title", "notes", "crew_slots", "start", "duration_minutes")
MAX_SHIFT_DAYS = 6


def rest_of_series(sails: SailRepository, sail_id: str, *, read: list[Item] | None = None) -> list[Item]:
    """This sail and the later sails of its series still scheduled, by date. A sail outside a
    series is its own rest. `read`: this sail as `load_sail` read it (its META not read again).
    Raises SailNotFoundError."""
    meta = next(i for i in read if i.get("type") == "sail") if read is not None else get_sail_meta(sails, sail_id)
    series_id = meta.get("series_id")
    if not series_id:
        return [meta] if meta.get("status") == "scheduled" else []
    first = date.fromisoformat(str(meta["date"]))
    # A series spans at most MAX_REPEAT_WEEKS weeks, plus however far its sails were moved.
    window = sail_records(sails, first, first + timedelta(weeks=MAX_REPEAT_WEEKS + 1))
    rest = [m for m in window if m.get("series_id") == series_id and m.get("status") == "scheduled"]
    return sorted(rest, key=lambda m: (str(m["date"]), str(m["id"])))


def shift(value: object) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_SHIFT_DAYS <= value <= MAX_SHIFT_DAYS:
        raise InvalidInputError(
            f"Move the sails by a whole number of days from -{MAX_SHIFT_DAYS} to {MAX_SHIFT_DAYS}.", field="shift_days"
        )
    return value


def edit_rest_of_series(
    sails: SailRepository,
    actor_email: str,
    sail_id: str,
    changes: Mapping[str, Any],
    *,
    shift_days: object = None,
    mailer: MailSender | None = None,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Apply `changes` (title, notes, crew slots, timing) and a move by `shift_days` to this sail
    and the rest of its series. Answers `{"series_id", "sails": [summary, ...]}`."""
    settings = settings or get_settings()
    now = clock()
    unknown = sorted(set(changes) - set(SERIES_EDITABLE))
    if unknown:
        raise InvalidInputError(f"{unknown[0]} cannot be changed for a whole series.", field=unknown[0])
    days = shift(shift_days)
    first = load_sail(sails, sail_id)  # this sail's META and what its edit needs, in one Query
    rest = rest_of_series(sails, sail_id, read=first)
    plans = [
        plan_edit(
            sails,
            str(meta["id"]),
            changes,
            version=None,
            now=now,
            settings=settings,
            shift_days=days,
            read=first if meta["id"] == sail_id else None,
        )
        for meta in rest
    ]
    extra = {"series": {"sails": len(plans)}} if len(plans) > 1 else None
    edited = [
        apply_edit(sails, actor_email, plan, now=now, mailer=mailer, settings=settings, detail_extra=extra)
        for plan in plans
    ]
    return {"series_id": rest[0].get("series_id") if rest else None, "sails": edited}


def cancel_rest_of_series(
    sails: SailRepository,
    actor_email: str,
    sail_id: str,
    *,
    reason: object = "",
    mailer: MailSender | None = None,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Cancel this sail and the rest of its series, telling each sail's people. Answers
    `{"cancelled": [ids], "notified": n}`."""
    settings = settings or get_settings()
    cancelled: list[str] = []
    notified = 0
    first = load_sail(sails, sail_id)  # this sail's META and the people to tell, in one Query
    for meta in rest_of_series(sails, sail_id, read=first):
        done = cancel_sail(
            sails,
            actor_email,
            str(meta["id"]),
            reason=reason,
            mailer=mailer,
            clock=clock,
            settings=settings,
            read=first if meta["id"] == sail_id else None,
        )
        cancelled.append(str(done["id"]))
        notified += int(done.get("notified", 0))
    if not cancelled:
        raise SailCancelledError("This sail is already cancelled.")
    return {"cancelled": cancelled, "notified": notified}
