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

A sail departs relative to its day's sunset (the settings' offsets), or at a fixed local
`start` ("HH:MM") for `duration_minutes`; META keeps those two only for a fixed-time sail, and
its `departure`/`return` always say when it leaves and is back, so the pages, nudges, calendar
and emails follow whichever it is. A weekly series (`repeat_weeks`) is N sails created in one
request, all or nothing, each with its own id and the same `series_id`
(`quarterdeck.sail_series` edits or cancels the rest of a series at once).

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
from quarterdeck.repositories.sails import Change, SailRepository, capacity_below_taken, holders_of
from quarterdeck.sail_fields import (
    MAX_CREW_SLOTS,
    NOTES_MAX,
    TITLE_MAX,
    crew_slot_count,
    repeat_count,
    sail_date,
    sail_notes,
    sail_timing,
    sail_title,
    timing_of,
)
from quarterdeck.sail_mail import mail_sail, tell_people
from quarterdeck.sail_seats import capacity_value, meeting_point_text, seats
from quarterdeck.sun import SailTimes

if TYPE_CHECKING:
    from quarterdeck.auth import Caller
    from quarterdeck.mail import MailSender

STATUSES = ("scheduled", "cancelled")

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
    "start",
    "duration_minutes",
    "series_id",
    "crew_slots",
    "guest_count",
    "meeting_point",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
)
# Re-exported: the calendar feed and the tests read them from here.
__all__ = ["MAX_CREW_SLOTS", "NOTES_MAX", "TITLE_MAX", "crew_slot_count", "holders_of", "sail_date", "sail_title"]
ROLE_FIELDS = ("slot", "state", "holder", "claimed_at", "designated_at")
GUEST_FIELDS = ("id", "name", "email", "party_size", "status", "added_at", "signed_at")


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
    view.update(seats(meta, settings))
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
    guest_capacity: object = None,
    meeting_point: object = None,
    start: object = None,
    duration_minutes: object = None,
    repeat_weeks: object = None,
    clock: Clock = system_clock,
    new_id: IdGenerator = default_new_id,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Validate, compute the times, and write the sail with its role slots, checklists and
    first history entry in ONE transaction. With `repeat_weeks` N > 1, N sails a week apart
    from `date`, all or nothing, sharing a `series_id`. Returns the (first) sail's summary with
    `ids`, every sail's id in date order."""
    settings = settings or get_settings()
    now = clock()
    day = sail_date(date, now=now, settings=settings)
    clean_title = sail_title(title)
    slots = crew_slot_count(crew_slots)
    clean_notes = sail_notes(notes)
    capacity = settings.guest_capacity if guest_capacity is None else capacity_value(guest_capacity)
    blank = meeting_point is None or (isinstance(meeting_point, str) and not meeting_point.strip())
    where = settings.meeting_point if blank else meeting_point_text(meeting_point)
    timing = sail_timing(start, duration_minutes)
    weeks = repeat_count(repeat_weeks)
    series_id = new_id() if weeks > 1 else None
    created: list[tuple[Item, list[str], Change]] = []
    for week in range(weeks):
        sail_id = new_id()
        meta: Item = {
            "type": "sail",
            "id": sail_id,
            "title": clean_title,
            "notes": clean_notes,
            "status": "scheduled",
            "crew_slots": slots,
            "guest_count": 0,
            "guest_capacity": capacity,
            "meeting_point": where,
            "created_by": actor_email,
            "created_at": iso(now),
            "updated_at": iso(now),
            "version": 1,
            **_timing_fields(timing.times(day + timedelta(weeks=week), settings)),
            **{name: value for name, value in timing.fields().items() if value is not None},
        }
        detail: dict[str, Any] = {
            "date": meta["date"],
            "title": clean_title,
            "crew_slots": slots,
            "guest_capacity": capacity,
        }
        if series_id:
            meta["series_id"] = series_id
            detail["series"] = {"week": week + 1, "of": weeks}
        created.append((meta, slot_names(slots), Change(actor_email, "sail_created", now, detail)))
    if series_id:
        sails.add_sails(created)
    else:
        sails.add_sail(*created[0])
    first = created[0][0]
    logger.info("sail created", extra={"sail_id": first["id"], "date": first["date"], "weeks": weeks})
    return {**sail_summary(first, settings), "ids": [meta["id"] for meta, _, _ in created]}


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
EDITABLE = ("title", "date", "notes", "crew_slots", "guest_capacity", "meeting_point", "start", "duration_minutes")


@dataclass(frozen=True)
class EditPlan:
    """What an edit will write to one sail, worked out (and validated) before anything is."""

    items: list[Item]
    meta: Item
    sets: dict[str, Any]
    version: int
    added: list[str]
    removed: list[str]
    seats_at_most: int | None = None  # a new guest capacity: holds only while the seats taken fit

    @property
    def moved(self) -> bool:
        """Its departure or return changes: the people on it are told."""
        return "departure" in self.sets or "return" in self.sets


def plan_edit(
    sails: SailRepository,
    sail_id: str,
    changes: Mapping[str, Any],
    *,
    version: int | None,
    now: datetime,
    settings: Settings,
    shift_days: int = 0,
    read: list[Item] | None = None,
) -> EditPlan:
    """Validate `changes` (and a move by `shift_days`) against the sail as it is now (`read`: as
    `load_sail` just read it, not read again)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(f"{unknown[0]} cannot be changed.", field=unknown[0])
    items = read if read is not None else load_sail(sails, sail_id)
    meta = next(i for i in items if i.get("type") == "sail")
    if meta.get("status") != "scheduled":
        raise SailCancelledError("This sail is cancelled; it cannot be edited.")
    expected = int(meta.get("version", 1)) if version is None else int(version)
    if expected != int(meta.get("version", 1)):
        raise StaleVersionError("Someone else changed this sail meanwhile. Reload it and try again.", field="version")

    sets: dict[str, Any] = {}
    added: list[str] = []
    removed: list[str] = []
    if "title" in changes:
        sets["title"] = sail_title(changes["title"])
    if "notes" in changes:
        sets["notes"] = sail_notes(changes["notes"])
    day = date.fromisoformat(str(meta["date"]))
    if "date" in changes:
        day = sail_date(changes["date"], now=now, settings=settings)
    if shift_days:
        day = sail_date((day + timedelta(days=shift_days)).isoformat(), now=now, settings=settings, field="shift_days")
    timing = timing_of(meta)
    if "start" in changes or "duration_minutes" in changes:
        start = changes["start"] if "start" in changes else meta.get("start")
        duration = changes.get("duration_minutes", meta.get("duration_minutes")) if start else None
        if "duration_minutes" in changes and not start:
            duration = changes["duration_minutes"]
        timing = sail_timing(start, duration)
    if day.isoformat() != meta.get("date") or timing != timing_of(meta):
        sets.update(_timing_fields(timing.times(day, settings)))
        sets.update(timing.fields())
    if "crew_slots" in changes:
        slots = crew_slot_count(changes["crew_slots"])
        current = int(meta.get("crew_slots", 0))
        if slots != current:
            sets["crew_slots"] = slots
            added, removed = _slot_changes(items, current, slots)
    if "guest_capacity" in changes:
        sets["guest_capacity"] = capacity_value(changes["guest_capacity"])
        taken = int(meta.get("guest_count") or 0)
        if sets["guest_capacity"] < taken:
            raise capacity_below_taken(taken)
    if "meeting_point" in changes:
        sets["meeting_point"] = meeting_point_text(changes["meeting_point"])
    sets = {name: value for name, value in sets.items() if meta.get(name) != value}
    seats_at_most = sets.get("guest_capacity")
    return EditPlan(items, meta, sets, expected, added, removed, seats_at_most)


def apply_edit(
    sails: SailRepository,
    actor_email: str,
    plan: EditPlan,
    *,
    now: datetime,
    mailer: MailSender | None,
    settings: Settings,
    detail_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a planned edit (one transaction) and tell the people on the sail if it moved."""
    meta, sets = plan.meta, plan.sets
    if not sets:
        return sail_summary(meta, settings)
    detail: dict[str, Any] = {name: {"from": meta.get(name), "to": sets[name]} for name in EDITABLE if name in sets}
    detail.update(detail_extra or {})
    change = Change(actor_email, "sail_rescheduled" if plan.moved else "sail_edited", now, detail)
    sail_id = str(meta["id"])
    sails.edit_sail(
        sail_id,
        sets,
        version=plan.version,
        change=change,
        add_slots=plan.added,
        remove_slots=plan.removed,
        seats_at_most=plan.seats_at_most,
    )
    # The write's condition pinned META at the version read: what it holds now is what we read
    # plus what we set (no re-read; only another area's counter may have moved meanwhile).
    updated = {**meta, **sets, "updated_at": iso(now), "version": plan.version + 1}
    updated = {name: value for name, value in updated.items() if value is not None}
    if plan.moved:
        context = {"sail": mail_sail(updated), "previous": mail_sail(meta)}
        tell_people(mailer, "sail_rescheduled", plan.items, context, settings)
    return sail_summary(updated, settings)


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
    """Edit a scheduled sail (admin). A new date or timing recomputes the times and the GSI1
    keys and tells the people on the sail. `version`, when given, must be the sail's current one."""
    settings = settings or get_settings()
    now = clock()
    plan = plan_edit(sails, sail_id, changes, version=version, now=now, settings=settings)
    return apply_edit(sails, actor_email, plan, now=now, mailer=mailer, settings=settings)


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
    read: list[Item] | None = None,
) -> dict[str, Any]:
    """Cancel a scheduled sail (admin) and tell everyone on it by email: role holders and
    guests. The sail stays listed, marked cancelled. Returns its summary with `notified`.
    `read`: the sail as `load_sail` just read it, for the first attempt."""
    settings = settings or get_settings()
    now = clock()
    why = sail_notes(reason)[:500]
    for attempt in range(1, CANCEL_ATTEMPTS + 1):
        items = read if attempt == 1 and read is not None else load_sail(sails, sail_id)
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
