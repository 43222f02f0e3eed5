"""Sunset and the sail times that follow it, at the San Diego marina, in local time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from quarterdeck.config import Settings
from quarterdeck.sun import sail_times

ROOT = Path(__file__).resolve().parents[2]
SAN_DIEGO = Settings()


def _close(actual: datetime, expected: str, seconds: float = 60) -> bool:
    return abs((actual - datetime.fromisoformat(expected)).total_seconds()) <= seconds


def test_summer_solstice_sunset_departure_and_return() -> None:
    # When the times of 2026-06-21 are computed
    times = sail_times(date(2026, 6, 21), settings=SAN_DIEGO)
    # Then sunset is within a minute of the almanac's 19:59:30 PDT
    assert _close(times.sunset, "2026-06-21T19:59:30-07:00"), times.sunset
    assert times.sunset.utcoffset() == timedelta(hours=-7)
    # And departure is half an hour before, return two hours after, in the same offset
    assert times.departure == times.sunset - timedelta(minutes=30)
    assert times.return_ == times.sunset + timedelta(hours=2)
    assert times.as_fields()["departure"].endswith("-07:00")
    assert times.as_fields()["departure"].startswith("2026-06-21T19:2")


def test_winter_solstice_sunset_is_in_standard_time() -> None:
    times = sail_times(date(2026, 12, 21), settings=SAN_DIEGO)
    assert _close(times.sunset, "2026-12-21T16:46:40-08:00"), times.sunset
    assert times.as_fields()["sunset"].endswith("-08:00")
    assert times.departure == times.sunset - timedelta(minutes=30)
    assert times.return_ == times.sunset + timedelta(hours=2)


def test_civil_dusk_and_golden_hour_frame_the_sunset() -> None:
    times = sail_times(date(2026, 6, 21), settings=SAN_DIEGO)
    # Civil dusk comes some 25-35 minutes after sunset at this latitude; golden hour before it
    assert timedelta(minutes=20) < times.civil_dusk - times.sunset < timedelta(minutes=40)
    assert timedelta(minutes=20) < times.sunset - times.golden_hour_start < timedelta(minutes=60)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (date(2026, 3, 7), date(2026, 3, 8)),  # spring forward 2026
        (date(2026, 10, 31), date(2026, 11, 1)),  # fall back 2026
        (date(2027, 3, 13), date(2027, 3, 14)),  # spring forward 2027
        (date(2027, 11, 6), date(2027, 11, 7)),  # fall back 2027
    ],
)
def test_both_sides_of_each_daylight_saving_change(before: date, after: date) -> None:
    first = sail_times(before, settings=SAN_DIEGO)
    second = sail_times(after, settings=SAN_DIEGO)
    spring = before.month == 3
    # Each day carries its own offset
    assert first.sunset.utcoffset() == timedelta(hours=-8 if spring else -7)
    assert second.sunset.utcoffset() == timedelta(hours=-7 if spring else -8)
    # Each sunset is on its own local date
    assert first.sunset.date() == before and second.sunset.date() == after
    # In absolute time consecutive sunsets move by about a minute, not by an hour...
    drift = (second.sunset.astimezone(UTC) - first.sunset.astimezone(UTC)) - timedelta(days=1)
    assert abs(drift) < timedelta(minutes=2)
    # ...while the wall clock jumps by the hour the clocks moved
    wall = (second.sunset.hour * 60 + second.sunset.minute) - (first.sunset.hour * 60 + first.sunset.minute)
    assert (55 <= wall <= 65) if spring else (-65 <= wall <= -55)
    # And departure/return keep their distance from sunset on both sides
    for times in (first, second):
        assert times.sunset - times.departure == timedelta(minutes=30)
        assert times.return_ - times.sunset == timedelta(hours=2)


def test_every_sunset_of_a_year_is_on_its_day_at_a_plausible_hour() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        sunset = sail_times(day, settings=SAN_DIEGO).sunset
        assert sunset.date() == day
        assert "16:40" <= sunset.strftime("%H:%M") <= "20:05", (day, sunset)
        day += timedelta(days=1)


def test_offsets_come_from_the_settings() -> None:
    custom = Settings(departure_before_sunset_minutes=45, return_after_sunset_minutes=90)
    times = sail_times(date(2026, 6, 21), settings=custom)
    assert times.sunset - times.departure == timedelta(minutes=45)
    assert times.return_ - times.sunset == timedelta(minutes=90)


def test_sail_times_need_no_system_time_zone_database() -> None:
    # Given a Python that cannot see the system tz database (PYTHONTZPATH empty), as on a bare image
    script = (
        "import json, zoneinfo, datetime; from quarterdeck.sun import sail_times;"
        "t = sail_times(datetime.date(2026, 12, 21));"
        "print(json.dumps({'tzpath': list(zoneinfo.TZPATH), 'fields': t.as_fields()}))"
    )
    env = {**os.environ, "PYTHONTZPATH": "", "PYTHONPATH": str(ROOT / "layers" / "shared")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    # Then the sail's times still compute, from the tzdata package shipped in the layer
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["tzpath"] == []
    assert answer["fields"]["sunset"].startswith("2026-12-21T16:4")
    assert answer["fields"]["sunset"].endswith("-08:00")


def test_the_layer_pins_tzdata_and_astral() -> None:
    pins = (ROOT / "layers" / "shared" / "requirements.txt").read_text()
    assert "tzdata==" in pins and "astral==" in pins
