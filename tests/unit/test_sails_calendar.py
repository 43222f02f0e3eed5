"""The iCalendar text of a feed, written by hand, read back with a real RFC 5545 parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar

from quarterdeck.calendar_feed import _decode_email, build_calendar, escape_text, feed_url, fold
from quarterdeck.config import Settings

SETTINGS = Settings(app_url="https://crew.example.com")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _sail(sail_id: str, status: str = "scheduled", title: str = "Sunset sail") -> dict[str, Any]:
    return {
        "id": sail_id,
        "title": title,
        "status": status,
        "date": "2026-06-21",
        "sunset": "2026-06-21T19:59:32-07:00",
        "departure": "2026-06-21T19:29:32-07:00",
        "return": "2026-06-21T21:59:32-07:00",
        "version": 4,
        "updated_at": "2026-11-20T10:00:00+00:00",
    }


def test_a_feed_parses_as_rfc_5545_with_departure_and_return() -> None:
    # Given two sails, one cancelled, one with a title full of characters that need escaping
    tricky = "Moonrise; wine, cheese \\ and a very long title that must be folded across lines ☀⛵"
    text = build_calendar(
        [(_sail("a1", title=tricky), "captain"), (_sail("b2", status="cancelled"), None)],
        clock=lambda: NOW,
        settings=SETTINGS,
    )
    # Then every line ends in CRLF and no line is longer than 75 octets
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    # And a parser reads it back
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first, second = events
    assert str(first["SUMMARY"]) == f"{tricky} (captain)"
    assert first.decoded("DTSTART") == datetime.fromisoformat("2026-06-21T19:29:32-07:00")
    assert first.decoded("DTEND") == datetime.fromisoformat("2026-06-21T21:59:32-07:00")
    assert str(first["STATUS"]) == "CONFIRMED"
    assert "Your role: captain" in str(first["DESCRIPTION"])
    assert str(first["URL"]) == "https://crew.example.com/#/sails/a1"
    assert int(first["SEQUENCE"]) == 4
    # And the cancelled sail is there, marked cancelled
    assert str(second["STATUS"]) == "CANCELLED"
    assert str(second["SUMMARY"]).startswith("Cancelled: ")
    assert {str(e["UID"]) for e in events} == {"sail-a1@quarterdeck", "sail-b2@quarterdeck"}


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = icalendar.Calendar.from_ical(build_calendar([], clock=lambda: NOW, settings=SETTINGS))
    assert calendar.walk("VEVENT") == []


def test_text_escaping_and_folding() -> None:
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    folded = fold("X" * 200)
    assert [len(part) for part in folded.split("\r\n")] == [75, 75, 52]
    # multi-byte characters are never split
    for part in fold("é" * 100).split("\r\n"):
        part.encode().decode()
        assert len(part.encode()) <= 75


def test_the_feed_url_names_its_owner_and_carries_the_secret() -> None:
    url = feed_url("Crew@Example.com", "s3cr3t", SETTINGS)
    assert url.startswith("https://crew.example.com/api/calendar/") and url.endswith(".s3cr3t.ics")
    encoded = url.rsplit("/", 1)[1].split(".")[0]
    assert _decode_email(encoded) == "crew@example.com"
