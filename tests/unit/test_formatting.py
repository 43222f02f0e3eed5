"""Times, dates and a sail as people read them: the one formatter every email, report and calendar uses."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from quarterdeck.formatting import TO_BE_ANNOUNCED, clock_time, local_stamp, long_date, sail_for_email

SAN_DIEGO = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ("2026-06-22T02:29:32+00:00", "7:29 PM"),  # summer: UTC-7
        ("2026-12-22T00:29:00+00:00", "4:29 PM"),  # winter: UTC-8
        ("2026-06-21T00:05:00-07:00", "12:05 AM"),  # just after midnight
        ("2026-06-21T12:00:00-07:00", "12:00 PM"),  # noon
        ("2026-03-08T10:30:00+00:00", "3:30 AM"),  # the morning the clocks go forward
    ],
)
def test_clock_times_read_in_san_diego(moment: str, shown: str) -> None:
    assert clock_time(moment, SAN_DIEGO) == shown


def test_missing_values_say_so_in_words() -> None:
    assert clock_time(None, SAN_DIEGO) == TO_BE_ANNOUNCED
    assert long_date("") == TO_BE_ANNOUNCED


def test_dates_read_in_full() -> None:
    assert long_date("2026-06-21") == "Sunday, June 21, 2026"
    assert long_date("2026-06-21T19:29:32-07:00") == "Sunday, June 21, 2026"


def test_a_moment_reads_with_its_local_date() -> None:
    # 03:00 UTC on the 21st is the evening of the 20th in San Diego
    assert local_stamp("2026-06-21T03:00:00+00:00", SAN_DIEGO) == "Saturday, June 20, 2026 at 8:00 PM"


def test_a_sail_in_an_email() -> None:
    meta = {
        "id": "abc",
        "title": "Sunset sail",
        "date": "2026-06-21",
        "sunset": "2026-06-21T20:01:00-07:00",
        "departure": "2026-06-21T19:31:00-07:00",
        "return": "2026-06-21T22:01:00-07:00",
    }
    assert sail_for_email(meta, tz=SAN_DIEGO, app_url="https://q.example", meeting_point="Dock C") == {
        "id": "abc",
        "title": "Sunset sail",
        "date": "Sunday, June 21, 2026",
        "departure": "7:31 PM",
        "return": "10:01 PM",
        "sunset": "8:01 PM",
        "meeting_point": "Dock C",
        "link": "https://q.example/#/sails/abc",
    }
