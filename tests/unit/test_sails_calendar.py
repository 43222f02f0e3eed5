"""The iCalendar text of a feed, written by hand, read back with a real RFC 5545 parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest

from quarterdeck.calendar_feed import (
    _decode_email,
    build_calendar,
    calendar_for_feed,
    calendar_token_status,
    escape_text,
    feed_url,
    fold,
    issue_calendar_token,
    revoke_calendar_token,
    sails_for,
)
from quarterdeck.config import Settings
from quarterdeck.errors import CalendarFeedNotFoundError
from tests.unit.memory.people import MemoryPeopleRepository
from tests.unit.memory.sails import MemorySailRepository

SETTINGS = Settings(app_url="https://crew.example.com")
ADMINS = Settings(app_url="https://crew.example.com", admin_emails=("admin@example.com",))
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
    assert "Your role: Captain." in str(first["DESCRIPTION"])
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


# --- whose sails, behind which token (the repository in memory) ------------------------
def _feed_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _stored_sails() -> MemorySailRepository:
    """Two sails in the feed's window: Ann holds crew-1 on the first."""
    sails = MemorySailRepository()
    for sail_id, day in (("a1", "2026-12-01"), ("b2", "2026-12-02")):
        sails.metas[sail_id] = {
            **_sail(sail_id),
            "type": "sail",
            "date": day,
            "departure": f"{day}T16:00:00-08:00",
            "return": f"{day}T18:00:00-08:00",
        }
    sails.metas["a1"]["holders"] = ["ann@example.com crew-1"]
    return sails


def test_a_feed_shows_its_owners_sails_until_its_token_is_revoked() -> None:
    # Given Ann, who holds crew-1 on one of two sails, asked for a feed
    sails, people = _stored_sails(), MemoryPeopleRepository()
    people.add_person("ann@example.com", "crew", created_at=NOW.isoformat())
    url = issue_calendar_token(people, "ann@example.com", clock=lambda: NOW, settings=SETTINGS)["url"]
    assert calendar_token_status(people, "ann@example.com") == {"active": True, "created_at": NOW.isoformat()}
    # When her calendar reads it, Then it has her sail, with her role
    text = calendar_for_feed(people, sails, _feed_name(url), clock=lambda: NOW, settings=SETTINGS)
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["sail-a1@quarterdeck"] and "(crew-1)" in str(events[0]["SUMMARY"])
    # And a wrong secret, or the URL after a revoke, is not found
    with pytest.raises(CalendarFeedNotFoundError):
        calendar_for_feed(people, sails, _feed_name(url).replace(".", ".x", 1), clock=lambda: NOW, settings=SETTINGS)
    revoke_calendar_token(people, "ann@example.com")
    with pytest.raises(CalendarFeedNotFoundError):
        calendar_for_feed(people, sails, _feed_name(url), clock=lambda: NOW, settings=SETTINGS)
    assert calendar_token_status(people, "ann@example.com") == {"active": False}


def test_an_admin_sees_every_sail_and_a_guest_their_own() -> None:
    sails = _stored_sails()
    admin = sails_for(sails, {"email": "admin@example.com", "role": "admin"}, clock=lambda: NOW, settings=ADMINS)
    assert [(s["id"], slot) for s, slot in admin] == [("a1", None), ("b2", None)]
    guest = {"email": "gina@example.com", "role": "guest", "calendar_sail_id": "b2"}
    assert [s["id"] for s, _ in sails_for(sails, guest, clock=lambda: NOW, settings=ADMINS)] == ["b2"]
    gone = {**guest, "calendar_sail_id": "nosuch"}
    assert sails_for(sails, gone, clock=lambda: NOW, settings=ADMINS) == []


def test_no_feed_for_someone_who_is_not_a_person() -> None:
    with pytest.raises(CalendarFeedNotFoundError):
        issue_calendar_token(MemoryPeopleRepository(), "nobody@example.com", settings=SETTINGS)


def test_a_claimed_slot_is_tentative_until_it_is_designated() -> None:
    # Given Ann, who claimed crew-1 on a sail (not designated yet)
    from quarterdeck.repositories.sails import Change

    sails = MemorySailRepository()
    sails.metas["a1"] = {**_sail("a1"), "type": "sail", "date": "2026-12-01"}
    sails.metas["a1"].update(departure="2026-12-01T16:00:00-08:00", **{"return": "2026-12-01T18:00:00-08:00"})
    sails.roles["a1"] = {"crew-1": {"type": "role", "slot": "crew-1", "state": "open"}}
    sails.claim_slot("a1", "crew-1", "ann@example.com", Change("ann@example.com", "role_claimed", NOW))

    def status() -> str:
        entries = sails_for(sails, {"email": "ann@example.com", "role": "crew"}, clock=lambda: NOW, settings=SETTINGS)
        event = icalendar.Calendar.from_ical(build_calendar(entries, clock=lambda: NOW, settings=SETTINGS))
        return str(event.walk("VEVENT")[0]["STATUS"])

    # Then her calendar marks it TENTATIVE, and says so in words
    assert status() == "TENTATIVE"
    # When the admin designates her, Then it is CONFIRMED
    sails.designate_slot(
        "a1", "crew-1", "ann@example.com", was="claimed", person_role="crew", change=Change("a", "role_designated", NOW)
    )
    assert status() == "CONFIRMED"
