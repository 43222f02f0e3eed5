"""Scheduling beyond sunset: fixed-time sails (start + duration) and weekly series (issue 24)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from quarterdeck.checklists import SailCancelledError
from quarterdeck.config import Settings
from quarterdeck.errors import InvalidInputError, RoleStateError
from quarterdeck.sail_fields import Timing, sail_timing
from quarterdeck.sail_series import cancel_rest_of_series, edit_rest_of_series, rest_of_series
from quarterdeck.sails import cancel_sail, create_sail, get_sail_meta, update_sail
from quarterdeck.sun import sail_times
from tests.unit.fakes import FakeMailer, FixedClock
from tests.unit.memory.sails import MemorySailRepository

SETTINGS = Settings()
ADMIN = "admin@example.com"
CLOCK = FixedClock(datetime(2026, 11, 1, 18, 0, tzinfo=UTC))


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"id{next(counter)}"


def create(sails: MemorySailRepository, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"date": "2026-12-04", "title": "Friday sail", "crew_slots": 1, **fields}
    return create_sail(sails, ADMIN, clock=CLOCK, new_id=ids(), settings=SETTINGS, **values)


def refused_field(call: Callable[[], object]) -> str | None:
    with pytest.raises(InvalidInputError) as refused:
        call()
    return refused.value.field


# --- fixed-time sails ---------------------------------------------------------------------
def test_a_fixed_time_sail_departs_at_its_start_and_returns_after_its_duration() -> None:
    # Given a 2 pm charter of three hours on a winter Friday
    sails = MemorySailRepository()
    created = create(sails, start="14:00", duration_minutes=180)
    # Then departure and return are those, in local time, and the sunset is still the day's
    assert created["departure"] == "2026-12-04T14:00:00-08:00"
    assert created["return"] == "2026-12-04T17:00:00-08:00"
    assert created["sunset"] == sail_times(date(2026, 12, 4), settings=SETTINGS).as_fields()["sunset"]
    assert (created["start"], created["duration_minutes"]) == ("14:00", 180)


def test_a_sunset_sail_keeps_no_start() -> None:
    created = create(MemorySailRepository())
    assert "start" not in created and "duration_minutes" not in created
    assert created["departure"] == sail_times(date(2026, 12, 4), settings=SETTINGS).as_fields()["departure"]


def test_a_fixed_time_sail_across_the_spring_change_lasts_what_it_says() -> None:
    # Given a sail that departs at 01:00 on the night the clocks go forward, for two hours
    times = Timing(time(1, 0), 120).times(date(2027, 3, 14), SETTINGS)
    # Then it is back at 04:00 by the clock (two hours later, one of them skipped)
    assert times.departure.isoformat() == "2027-03-14T01:00:00-08:00"
    assert times.return_.isoformat() == "2027-03-14T04:00:00-07:00"


@pytest.mark.parametrize(
    ("start", "duration", "field"),
    [
        ("25:00", 60, "start"),
        ("2pm", 60, "start"),
        (1400, 60, "start"),
        ("14:00", None, "duration_minutes"),
        ("14:00", 10, "duration_minutes"),
        ("14:00", 721, "duration_minutes"),
        ("14:00", True, "duration_minutes"),
        ("14:00", "ninety", "duration_minutes"),
        (None, 90, "start"),
    ],
)
def test_a_timing_names_the_field_it_refuses(start: object, duration: object, field: str) -> None:
    assert refused_field(lambda: sail_timing(start, duration)) == field


def test_an_edit_moves_a_sail_between_sunset_and_a_fixed_time_and_tells_its_people() -> None:
    # Given a sunset sail with a crew member on it
    sails = MemorySailRepository()
    sail_id = create(sails)["id"]
    sails.roles[sail_id]["captain"].update({"state": "claimed", "holder": "cap@example.com"})
    mailer = FakeMailer()
    # When it becomes a 10:00 sail of 90 minutes
    edited = update_sail(
        sails, ADMIN, sail_id, {"start": "10:00", "duration_minutes": 90}, mailer=mailer, clock=CLOCK, settings=SETTINGS
    )
    # Then its times follow, the captain is told, and the history says rescheduled
    assert (edited["departure"], edited["return"]) == ("2026-12-04T10:00:00-08:00", "2026-12-04T11:30:00-08:00")
    assert [list(m.to) for m in mailer.sent] == [["cap@example.com"]]
    assert "10:00 AM" in mailer.sent[0].text and "new time" in mailer.sent[0].text
    assert sails.history[sail_id][-1]["action"] == "sail_rescheduled"
    # When only its duration changes, the start stays
    edited = update_sail(sails, ADMIN, sail_id, {"duration_minutes": 120}, mailer=mailer, clock=CLOCK)
    assert edited["return"] == "2026-12-04T12:00:00-08:00" and edited["start"] == "10:00"
    # When it goes back to the sunset, start and duration are gone and the times are the sunset's
    edited = update_sail(sails, ADMIN, sail_id, {"start": None}, clock=CLOCK, settings=SETTINGS, mailer=mailer)
    assert "start" not in edited and "start" not in get_sail_meta(sails, sail_id)
    assert edited["departure"] == sail_times(date(2026, 12, 4), settings=SETTINGS).as_fields()["departure"]


def test_a_new_date_keeps_a_fixed_sails_clock_time() -> None:
    sails = MemorySailRepository()
    sail_id = create(sails, start="09:30", duration_minutes=60)["id"]
    edited = update_sail(
        sails, ADMIN, sail_id, {"date": "2026-12-05"}, mailer=FakeMailer(), clock=CLOCK, settings=SETTINGS
    )
    assert edited["departure"] == "2026-12-05T09:30:00-08:00"


# --- weekly series ------------------------------------------------------------------------
def test_a_series_is_n_sails_a_week_apart_each_its_own() -> None:
    # Given an 8-week series of Friday sunset sails
    sails = MemorySailRepository()
    created = create(sails, repeat_weeks=8)
    # Then eight sails exist, a week apart, each with its own id and the same series
    assert len(created["ids"]) == 8 and len(set(created["ids"])) == 8
    metas = [get_sail_meta(sails, sail_id) for sail_id in created["ids"]]
    assert [m["date"] for m in metas] == [f"2026-{d}" for d in ("12-04", "12-11", "12-18", "12-25")] + [
        f"2027-01-{d}" for d in ("01", "08", "15", "22")
    ]
    assert {m["series_id"] for m in metas} == {created["series_id"]}
    assert sails.calls.count("add_sails") == 1  # one request, all or nothing


@pytest.mark.parametrize("weeks", [0, 27, -1, "x", True, 2.5])
def test_repeat_weeks_is_1_to_26(weeks: object) -> None:
    sails = MemorySailRepository()
    assert refused_field(lambda: create(sails, repeat_weeks=weeks)) == "repeat_weeks"
    assert sails.metas == {}


def test_a_failed_series_leaves_no_sail() -> None:
    sails = MemorySailRepository()
    sails.fail_next["add_sails"] = RuntimeError("the table is unavailable")
    with pytest.raises(RuntimeError):
        create(sails, repeat_weeks=4)
    assert sails.metas == {}


def test_one_sail_of_a_series_is_cancelled_alone_and_the_rest_moved_at_once() -> None:
    # Given an 8-week series of Friday sunset sails
    sails = MemorySailRepository()
    all_ids = create(sails, repeat_weeks=8)["ids"]
    mailer = FakeMailer()
    # When the third is cancelled on its own
    cancel_sail(sails, ADMIN, all_ids[2], clock=CLOCK, settings=SETTINGS, mailer=mailer)
    # And from the fifth on, the series moves to Saturday at 10:00 for 3 hours
    moved = edit_rest_of_series(
        sails,
        ADMIN,
        all_ids[4],
        {"start": "10:00", "duration_minutes": 180},
        shift_days=1,
        mailer=mailer,
        clock=CLOCK,
        settings=SETTINGS,
    )
    # Then the fifth to the eighth moved, the first four did not, and the third stays cancelled
    assert [s["id"] for s in moved["sails"]] == all_ids[4:]
    metas = [get_sail_meta(sails, sail_id) for sail_id in all_ids]
    assert [m["date"] for m in metas[4:]] == ["2027-01-02", "2027-01-09", "2027-01-16", "2027-01-23"]
    assert all(m["departure"].endswith("T10:00:00-08:00") for m in metas[4:])
    assert [m["date"] for m in metas[:4]] == ["2026-12-04", "2026-12-11", "2026-12-18", "2026-12-25"]
    assert metas[2]["status"] == "cancelled" and "start" not in metas[3]
    # When the rest from the second is cancelled: the second, fourth to eighth (not the third again)
    done = cancel_rest_of_series(sails, ADMIN, all_ids[1], clock=CLOCK, settings=SETTINGS, mailer=mailer)
    assert done["cancelled"] == [all_ids[1], *all_ids[3:]]
    assert get_sail_meta(sails, all_ids[0])["status"] == "scheduled"
    # And a sail with nothing left to cancel says so
    with pytest.raises(SailCancelledError):
        cancel_rest_of_series(sails, ADMIN, all_ids[7], clock=CLOCK, settings=SETTINGS, mailer=mailer)


def test_an_edit_of_the_rest_is_refused_whole_when_one_sail_refuses() -> None:
    # Given a 3-week series whose last sail has crew-1 taken
    sails = MemorySailRepository()
    all_ids = create(sails, repeat_weeks=3)["ids"]
    sails.roles[all_ids[2]]["crew-1"].update({"state": "claimed", "holder": "c@example.com"})
    # When the whole series goes to 0 crew slots: refused, and no sail changed
    with pytest.raises(RoleStateError):
        edit_rest_of_series(sails, ADMIN, all_ids[0], {"crew_slots": 0}, clock=CLOCK, settings=SETTINGS)
    assert all(get_sail_meta(sails, i)["version"] == 1 for i in all_ids)
    # And a move too far, or a date, is refused naming the field
    assert refused_field(lambda: edit_rest_of_series(sails, ADMIN, all_ids[0], {}, shift_days=7)) == "shift_days"
    assert refused_field(lambda: edit_rest_of_series(sails, ADMIN, all_ids[0], {"date": "2027-01-01"})) == "date"


def test_a_sail_outside_a_series_is_its_own_rest() -> None:
    sails = MemorySailRepository()
    sail_id = create(sails)["id"]
    assert [m["id"] for m in rest_of_series(sails, sail_id)] == [sail_id]


def test_a_sail_outside_a_series_is_edited_or_cancelled_as_its_rest_in_one_read_and_one_write() -> None:
    # (each repository call is one DynamoDB round trip: tests/integration/test_repository_sails.py)
    # Given a sail outside a series
    sails = MemorySailRepository()
    sail_id = create(sails)["id"]
    # When its rest is renamed, then cancelled
    mailer = FakeMailer()
    sails.calls.clear()
    edited = edit_rest_of_series(
        sails, ADMIN, sail_id, {"title": "Renamed"}, mailer=mailer, clock=CLOCK, settings=SETTINGS
    )
    renamed = list(sails.calls)
    sails.calls.clear()
    done = cancel_rest_of_series(sails, ADMIN, sail_id, mailer=mailer, clock=CLOCK, settings=SETTINGS)
    # Then each read the sail once and wrote it once
    assert renamed == ["sail_items", "edit_sail"] and edited["sails"][0]["title"] == "Renamed"
    assert sails.calls == ["sail_items", "cancel_sail"] and done["cancelled"] == [sail_id]
    assert get_sail_meta(sails, sail_id)["status"] == "cancelled"


# --- nudges of a fixed-time sail --------------------------------------------------------------
def test_a_morning_sails_day_of_nudge_goes_the_evening_before() -> None:
    from zoneinfo import ZoneInfo

    from quarterdeck.nudges import day_of_opens

    la = ZoneInfo("America/Los_Angeles")
    # Given a sunset sail (departs 16:15) and a fixed-time one departing at 07:30
    evening = datetime(2026, 12, 4, 16, 15, tzinfo=la)
    morning = datetime(2026, 12, 4, 7, 30, tzinfo=la)
    # Then the sunset sail's day-of nudge opens at 08:00 on the day, the morning sail's at 18:00
    # the day before (not after it left, and not in quiet hours)
    assert day_of_opens(evening) == datetime(2026, 12, 4, 8, 0, tzinfo=la)
    assert day_of_opens(morning) == datetime(2026, 12, 3, 18, 0, tzinfo=la)
