"""Which nudges a sail owes at a given local time (pure domain, no AWS)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from quarterdeck.nudges import (
    CHECKLIST_OPEN,
    DAY_OF,
    UNFILLED_ROLES,
    WAIVER_PENDING,
    SailSnapshot,
    due_nudges,
    is_quiet,
    may_owe_nudges,
)

LA = ZoneInfo("America/Los_Angeles")
ADMINS = ["admin@example.com"]


def sail(**meta: object) -> SailSnapshot:
    base = {
        "pk": "SAIL#s1",
        "sk": "META",
        "type": "sail",
        "id": "s1",
        "title": "Sunset sail",
        "date": "2026-06-21",
        "status": "scheduled",
        "sunset": "2026-06-21T19:59:30-07:00",
        "departure": "2026-06-21T19:29:30-07:00",
        "return": "2026-06-21T21:59:30-07:00",
    }
    base.update(meta)
    items = [
        base,
        {"sk": "ROLE#captain", "type": "role", "slot": "captain", "state": "claimed", "holder": "cap@example.com"},
        {"sk": "ROLE#crew-1", "type": "role", "slot": "crew-1", "state": "open", "invited": {"late@example.com": "x"}},
        {"sk": "GUEST#g1", "type": "guest", "id": "g1", "email": "onhold@example.com", "status": "on_hold"},
        {"sk": "GUEST#g2", "type": "guest", "id": "g2", "email": "signed@example.com", "status": "confirmed"},
        {
            "sk": "CHECK#departure#01",
            "type": "check",
            "list": "departure",
            "n": 1,
            "label": "Life jackets",
            "done": False,
        },
        {"sk": "CHECK#departure#02", "type": "check", "list": "departure", "n": 2, "label": "VHF check", "done": True},
    ]
    return SailSnapshot.from_items(items)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def kinds(nudges: list) -> set[tuple[str, str, str]]:
    return {(n.kind, n.window, n.recipient) for n in nudges}


def test_unfilled_roles_only_seven_three_and_one_days_before() -> None:
    # Given a sail on 2026-06-21 with crew-1 open and late@ invited
    for day, window in (("2026-06-14", "d7"), ("2026-06-18", "d3"), ("2026-06-20", "d1")):
        # When the run happens at 10:00 on those days
        found = kinds(due_nudges(sail(), at(f"{day}T10:00:00"), ADMINS))
        # Then the admins and the invited, silent crew member are nudged for that window
        assert (UNFILLED_ROLES, window, "admin@example.com") in found
        assert (UNFILLED_ROLES, window, "late@example.com") in found
    for day in ("2026-06-13", "2026-06-15", "2026-06-19"):
        assert not any(k[0] == UNFILLED_ROLES for k in kinds(due_nudges(sail(), at(f"{day}T10:00:00"), ADMINS)))


def test_no_unfilled_nudge_when_every_slot_is_held() -> None:
    full = sail()
    roles = [dict(r, state="claimed", holder="x@example.com") for r in full.roles]
    found = due_nudges(SailSnapshot(full.meta, roles, full.guests, full.checks), at("2026-06-14T10:00:00"), ADMINS)
    assert not [n for n in found if n.kind == UNFILLED_ROLES]


def test_waiver_pending_three_days_and_one_day_before_for_guests_on_hold_only() -> None:
    for day, window in (("2026-06-18", "d3"), ("2026-06-20", "d1")):
        found = kinds(due_nudges(sail(), at(f"{day}T10:00:00"), ADMINS))
        assert (WAIVER_PENDING, window, "onhold@example.com") in found
        assert not any(k[0] == WAIVER_PENDING and k[2] == "signed@example.com" for k in found)
    assert not any(k[0] == WAIVER_PENDING for k in kinds(due_nudges(sail(), at("2026-06-19T10:00:00"), ADMINS)))


def test_checklist_open_from_two_hours_before_departure_to_the_captain_and_admins() -> None:
    # Departure is 19:29:30; two hours before is 17:29:30
    assert not any(n.kind == CHECKLIST_OPEN for n in due_nudges(sail(), at("2026-06-21T17:20:00"), ADMINS))
    found = kinds(due_nudges(sail(), at("2026-06-21T17:30:00"), ADMINS))
    assert {(CHECKLIST_OPEN, "t-2h", "cap@example.com"), (CHECKLIST_OPEN, "t-2h", "admin@example.com")} <= found
    # After departure nothing is due any more
    assert due_nudges(sail(), at("2026-06-21T19:30:00"), ADMINS) == []


def test_checklist_complete_means_no_checklist_nudge() -> None:
    done = sail()
    checks = [dict(c, done=True) for c in done.checks]
    found = due_nudges(SailSnapshot(done.meta, done.roles, done.guests, checks), at("2026-06-21T18:00:00"), ADMINS)
    assert not [n for n in found if n.kind == CHECKLIST_OPEN]


def test_day_of_from_eight_in_the_morning_to_everyone_confirmed() -> None:
    assert not any(n.kind == DAY_OF for n in due_nudges(sail(), at("2026-06-21T07:59:00"), ADMINS))
    found = kinds(due_nudges(sail(), at("2026-06-21T08:00:00"), ADMINS))
    assert (DAY_OF, "day", "cap@example.com") in found
    assert (DAY_OF, "day", "signed@example.com") in found
    assert not any(k[0] == DAY_OF and k[2] == "onhold@example.com" for k in found)


def test_cancelled_sails_owe_nothing() -> None:
    assert due_nudges(sail(status="cancelled"), at("2026-06-21T10:00:00"), ADMINS) == []


def test_quiet_hours_are_nine_at_night_to_eight_in_the_morning() -> None:
    assert is_quiet(at("2026-06-20T21:00:00"))
    assert is_quiet(at("2026-06-21T07:59:00"))
    assert not is_quiet(at("2026-06-21T08:00:00"))
    assert not is_quiet(at("2026-06-21T20:59:00"))


def test_the_index_item_alone_tells_when_no_nudge_can_be_due() -> None:
    # Given a sail with something owed of every kind (open slot, unsigned guest, open checklist)
    # When the run looks at it every hour of the ten days before it departs, and as it departs
    the_sail = sail()
    hours = [at(f"2026-06-{day:02d}T{hour:02d}:30:00") for day in range(11, 22) for hour in range(24)]
    # Then the index item says "maybe" exactly when due_nudges owes something, so skipping the
    # partition's read when it says "no" never loses a nudge
    for moment in hours:
        owed = bool(due_nudges(the_sail, moment, ADMINS))
        assert may_owe_nudges(the_sail.meta, moment) == owed, moment
    # And a cancelled sail is never read
    assert not may_owe_nudges(sail(status="cancelled").meta, at("2026-06-20T12:00:00"))
