"""Private iCalendar feeds: each person's sails as an RFC 5545 calendar at a secret URL.

The URL carries `<email, base64url>.<secret>`; only the secret's SHA-256 is kept on the
person (`calendar_token`), so the feed is found with one GetItem (no Scan, no extra key) and
a new URL replaces the old one. Revoking removes the hash: the old URL answers 404.

What a feed holds: an admin gets every sail; a crew member the sails they hold a role on
(each sail's META names its holders in `holders`, so the window's one GSI1 Query says it
all: a feed is the token's GetItem and one Query); a guest the sail their guest link was
for. Events run from departure to return (a fixed-time sail's start and duration, or the
sunset's offsets); a cancelled sail stays in the feed with STATUS:CANCELLED so calendars
remove or strike it. A crew member's event is CONFIRMED once their slot is designated, and
TENTATIVE while it is only claimed (META's `confirmed` set, kept with `holders`, says which).

The text is written by hand (it is a small, well-specified format): CRLF line ends, lines
folded at 75 octets, TEXT values escaped, times in UTC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import CalendarFeedNotFoundError, PersonNotFoundError, SailNotFoundError
from quarterdeck.formatting import clock_time
from quarterdeck.people import effective_role
from quarterdeck.repositories.people import PeopleRepository
from quarterdeck.repositories.sails import SailRepository, confirmed_of
from quarterdeck.sails import get_sail_meta, holders_of, sail_records, sail_summary
from quarterdeck.sun import local_today

PAST_DAYS = 31  # a feed shows last month's sails too, so the calendar keeps its history
FUTURE_DAYS = 365
PRODID = "-//Queen of San Diego//Quarterdeck sails//EN"
__all__ = ["CalendarFeedNotFoundError"]  # defined in errors.py (the repository raises it); named here too


# --- tokens -----------------------------------------------------------------------
def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _encode_email(email: str) -> str:
    return base64.urlsafe_b64encode(email.lower().encode()).decode().rstrip("=")


def _decode_email(text: str) -> str:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode()).decode()


def feed_url(email: str, secret: str, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"{settings.app_url}/api/calendar/{_encode_email(email)}.{secret}.ics"


def issue_calendar_token(
    people: PeopleRepository,
    email: str,
    *,
    guest_sail_id: str | None = None,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """A new private feed URL for this person; any previous URL stops working."""
    secret = secrets.token_urlsafe(32)
    now = iso(clock())
    try:
        people.set_calendar_token(email, _hash(secret), at=now, sail_id=guest_sail_id)
    except PersonNotFoundError:
        raise CalendarFeedNotFoundError("There is no such person.") from None
    return {"url": feed_url(email, secret, settings), "created_at": now, "active": True}


def calendar_token_status(people: PeopleRepository, email: str) -> dict[str, Any]:
    person = people.person(email) or {}
    if not person.get("calendar_token"):
        return {"active": False}
    return {"active": True, "created_at": person.get("calendar_token_at")}


def revoke_calendar_token(people: PeopleRepository, email: str) -> None:
    """The person's feed URL stops working (404) at once."""
    try:
        people.clear_calendar_token(email)
    except PersonNotFoundError:
        raise CalendarFeedNotFoundError("There is no such person.") from None


def _owner_of(feed: str, people: PeopleRepository) -> dict[str, Any]:
    """The person a feed file name (`<email b64>.<secret>.ics`) belongs to, or 404."""
    missing = CalendarFeedNotFoundError("There is no such calendar. Ask for a new link.")
    name = feed[: -len(".ics")] if feed.endswith(".ics") else feed
    encoded, _, secret = name.partition(".")
    if not encoded or not secret or len(name) > 600:
        raise missing
    try:
        email = _decode_email(encoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise missing from None
    if "@" not in email:
        raise missing
    person = people.person(email)
    stored = str((person or {}).get("calendar_token") or "")
    if not person or not stored or not hmac.compare_digest(stored, _hash(secret)):
        raise missing
    return person


# --- which sails ------------------------------------------------------------------
def sails_for(
    sails: SailRepository, person: Mapping[str, Any], *, clock: Clock = system_clock, settings: Settings | None = None
) -> list[tuple[dict[str, Any], str | None]]:
    """(sail summary, slot or None) of the sails this person's feed shows."""
    settings = settings or get_settings()
    email = str(person["email"]).lower()
    if person.get("role") == "guest" and not settings.is_admin(email):
        sail_id = person.get("calendar_sail_id")
        if not sail_id:
            return []
        try:
            return [(sail_summary(get_sail_meta(sails, str(sail_id)), settings), None)]
        except SailNotFoundError:
            return []
    today = local_today(clock(), settings)
    window = sail_records(sails, today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS))
    if effective_role(person, email, settings) == "admin":  # the deploy's admins and those made in the app
        return [(sail_summary(meta, settings), None) for meta in window]
    held = ((meta, holders_of(meta).get(email)) for meta in window)
    return [
        ({**sail_summary(meta, settings), "tentative": confirmed_of(meta).get(email) != slot}, slot)
        for meta, slot in held
        if slot
    ]


def calendar_for_feed(
    people: PeopleRepository,
    sails: SailRepository,
    feed: str,
    *,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> str:
    """The iCalendar text behind a feed URL. Unknown or revoked token: CalendarFeedNotFoundError."""
    settings = settings or get_settings()
    person = _owner_of(feed, people)
    return build_calendar(sails_for(sails, person, clock=clock, settings=settings), clock=clock, settings=settings)


# --- RFC 5545 text ----------------------------------------------------------------
def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 sequence (RFC 5545 3.1)."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(iso_text: str) -> str:
    return datetime.fromisoformat(iso_text).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(sail: Mapping[str, Any], slot: str | None, stamp: str, settings: Settings) -> list[str]:
    cancelled = sail.get("status") == "cancelled"
    summary = f"{'Cancelled: ' if cancelled else ''}{sail['title']}{f' ({slot})' if slot else ''}"
    tz = settings.timezone
    description = [
        f"Departure {clock_time(sail['departure'], tz)}, back {clock_time(sail['return'], tz)}.",
        f"Sunset {clock_time(sail['sunset'], tz)}.",
    ]
    tentative = bool(slot and sail.get("tentative"))
    if slot:
        label = slot.replace("-", " ").capitalize()
        description.append(f"Your role: {label}{' (claimed, not yet confirmed)' if tentative else ''}.")
    if cancelled:
        description.append("This sail is cancelled.")
    link = f"{settings.app_url}/#/sails/{sail['id']}"
    description.append(link)
    lines = [
        "BEGIN:VEVENT",
        f"UID:sail-{sail['id']}@quarterdeck",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(sail['departure'])}",
        f"DTEND:{_utc(sail['return'])}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
        f"LOCATION:{escape_text(str(sail.get('meeting_point') or settings.meeting_point))}",
        f"GEO:{settings.latitude:.4f};{settings.longitude:.4f}",
        f"STATUS:{'CANCELLED' if cancelled else 'TENTATIVE' if tentative else 'CONFIRMED'}",
        f"SEQUENCE:{int(sail.get('version') or 1)}",
        f"URL:{link}",
    ]
    if sail.get("updated_at"):
        lines.append(f"LAST-MODIFIED:{_utc(str(sail['updated_at']))}")
    lines.append("END:VEVENT")
    return lines


def build_calendar(
    entries: Iterable[tuple[Mapping[str, Any], str | None]],
    *,
    name: str = "Queen of San Diego sails",
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> str:
    settings = settings or get_settings()
    stamp = clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{settings.timezone_name}",
    ]
    for sail, slot in entries:
        lines.extend(_event(sail, slot, stamp, settings))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
