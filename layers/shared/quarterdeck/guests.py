"""Guests: an admin adds a guest to a sail, `on_hold` until they sign their waiver
(`quarterdeck.waivers`), then `confirmed`; crew read the manifest.

Adding a guest is one transaction (`GuestRepository.add_guest`): the guest, the sail's
`guest_count` raised by the party size under the condition that it stays within capacity (so
the capacity holds under any race), the guest's waiver code and a history entry. The waiver
link is mailed afterwards; if that fails the guest is still added and the admin can resend
the link (a new code, the previous one revoked in the same transaction).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

from quarterdeck.auth import Caller
from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import (
    AlreadySignedError,
    ConfigurationError,
    ConflictError,
    GuestNotFoundError,
    InvalidInputError,
    SailNotFoundError,
    ServiceUnavailableError,
)
from quarterdeck.formatting import sail_for_email
from quarterdeck.magic_codes import Purpose
from quarterdeck.mail import MailSender, render_email
from quarterdeck.need_to_know import sees_guest_contact
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import CONFIRMED, GONE, ON_HOLD, GuestRepository, SailReading
from quarterdeck.repositories.sign_in import NewCode, new_code
from quarterdeck.sail_mail import guest_link
from quarterdeck.validation import email_address, text_field

__all__ = [
    "CONFIRMED",
    "GONE",
    "ON_HOLD",
    "add_guest",
    "booking_people",
    "booking_status",
    "capacity_of",
    "guest_id_for",
    "guest_view",
    "issue_codes",
    "list_guests",
    "mail_links",
    "read_sail",
    "refuse_closed",
    "resend_waiver_link",
    "return_time",
    "sail_context",
    "sail_timing",
    "signs_own_waiver",
    "waiver_link",
]

_PHONE_CHARS = set("0123456789+-(). ")


# --- shapes -----------------------------------------------------------------------------
def guest_id_for(sail_id: str, email: str) -> str:
    """A guest's id on a sail follows from their email: adding the same person twice collides
    on the guest item's key, which the add transaction refuses, even under races."""
    digest = hashlib.sha256(f"{sail_id}\n{email.lower()}".encode()).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def guest_view(item: Item, *, contact: bool = True) -> dict[str, Any]:
    """A guest as the API shows it; `contact` adds email and phone (admins and the guest itself).
    A guest added before bookings named their people is the lead of a booking of its own."""
    fields = ["id", "name", "party_size", "status", "added_at", "signed_at", "minor", "covered_by", "signed_version"]
    fields += ["removed_by", "removed_at", "moved_to", "moved_by", "moved_at"]
    if contact:
        fields += ["email", "phone"]
    view = {name: item[name] for name in fields if item.get(name) is not None}
    view["booking_id"] = item.get("booking_id") or item.get("id")
    view["lead"] = bool(item.get("lead", True)) if item.get("booking_id") else True
    view["minor"] = bool(item.get("minor"))
    return view


def sail_timing(meta: Item) -> dict[str, Any]:
    fields = ("id", "title", "date", "sunset", "departure", "return", "status")
    timing = {name: meta[name] for name in fields if meta.get(name) is not None}
    timing["meeting_point"] = str(meta.get("meeting_point") or get_settings().meeting_point)
    return timing


def capacity_of(meta: Item, settings: Settings) -> int:
    return int(meta.get("guest_capacity") or settings.guest_capacity)


def sail_context(meta: Item, settings: Settings) -> dict[str, Any]:
    """The sail as the guests' emails show it."""
    return sail_for_email(meta, tz=settings.timezone, app_url=settings.app_url, meeting_point=settings.meeting_point)


# --- reads ------------------------------------------------------------------------------
def _check_guest_id(guest_id: str) -> None:
    if not guest_id or len(guest_id) > 64:
        raise GuestNotFoundError("There is no such guest on this sail.")


def read_sail(
    guests: GuestRepository,
    sail_id: str,
    *,
    guest_id: str | None = None,
    signature: bool = False,
    code_link: str | None = None,
    code_links: tuple[str, ...] = (),
    current_waiver: bool = False,
) -> SailReading:
    """`guests.read(...)` (one round trip), raising if the sail, or the guest asked for, is not there."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    if guest_id is not None:
        _check_guest_id(guest_id)
    found = guests.read(
        sail_id,
        guest_id=guest_id,
        signature=signature,
        code_link=code_link,
        code_links=code_links,
        current_waiver=current_waiver,
    )
    if found.sail is None:
        raise SailNotFoundError("There is no such sail.")
    if guest_id is not None and found.guest is None:
        raise GuestNotFoundError("There is no such guest on this sail.")
    return found


def booking_status(people: list[Item]) -> str:
    """A booking is confirmed when everyone in it still aboard is covered (signed, or a minor
    covered by a guardian's signature)."""
    aboard = [p for p in people if p.get("status") not in GONE]
    if not aboard:
        return "removed"
    return CONFIRMED if all(p.get("status") == CONFIRMED for p in aboard) else ON_HOLD


def manifest(on_board: list[Item], *, contact: bool, current_version: str | None) -> dict[str, Any]:
    """Every person by booking (lead first, then as added), each booking with its status; a
    person who signed an older version of the waiver text says so."""
    by_booking: dict[str, list[Item]] = {}
    for person in sorted(on_board, key=lambda g: (g.get("added_at", ""), not g.get("lead", True), g.get("name", ""))):
        by_booking.setdefault(str(person.get("booking_id") or person.get("id")), []).append(person)
    names = {str(g.get("id")): str(g.get("name", "")) for g in on_board}
    people: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    for booking_id, members in by_booking.items():
        for person in members:
            view = guest_view(person, contact=contact)
            if person.get("covered_by"):
                view["covered_by_name"] = names.get(str(person["covered_by"]), "")
            signed = person.get("signed_version")
            view["older_version"] = bool(current_version and signed and signed != current_version)
            people.append(view)
        lead = next((m for m in members if m.get("lead", True)), members[0])
        bookings.append(
            {
                "id": booking_id,
                "lead": lead.get("name", ""),
                "status": booking_status(members),
                "people": sum(int(m.get("party_size") or 1) for m in members if m.get("status") not in GONE),
            }
        )
    return {"guests": people, "bookings": bookings}


def list_guests(
    guests: GuestRepository,
    sail_id: str,
    *,
    caller: Caller | None,
    settings: Settings | None = None,
    current_version: str | None = None,
) -> dict[str, Any]:
    """The sail's manifest: its timing, capacity, and every person aboard (or removed) by booking,
    flagging who signed a waiver version older than the current one; contact details only for
    those who need them (`need_to_know`: admins, the sail's captain). Two round trips: the sail
    with the current waiver text published in the app, then the guests."""
    from quarterdeck.waiver_text import current_waiver  # (the waiver text only where it is needed)

    settings = settings or get_settings()
    found = read_sail(guests, sail_id, current_waiver=current_version is None)
    meta = found.sail or {}
    contact = sees_guest_contact(caller, meta)
    if current_version is None:
        current_version = current_waiver(found.current_waiver).version
    return {
        "sail": sail_timing(meta),
        "guest_capacity": capacity_of(meta, settings),
        "guest_count": int(meta.get("guest_count") or 0),
        "waiver_version": current_version,
        **manifest(guests.guests_of(sail_id), contact=contact, current_version=current_version),
    }


# --- adding a guest ------------------------------------------------------------------------
def return_time(meta: Item, settings: Settings, now: datetime) -> datetime:
    if meta.get("return"):
        return datetime.fromisoformat(str(meta["return"]))
    return now + timedelta(hours=settings.claim_link_hours)


def refuse_closed(meta: Item, now: datetime, settings: Settings) -> None:
    if meta.get("status") == "cancelled":
        raise ConflictError("This sail was cancelled.", code="sail_cancelled")
    if return_time(meta, settings, now) <= now:
        raise ConflictError("This sail has already returned.", code="sail_returned")


def _party_size(value: object, capacity: int) -> int:
    try:
        size = int(str(value if value is not None else 1))
    except ValueError:
        raise InvalidInputError("The party size must be a whole number.", field="party_size") from None
    if size < 1:
        raise InvalidInputError("The party size must be at least 1.", field="party_size")
    if size > capacity:
        raise InvalidInputError(f"A sail takes at most {capacity} guests.", field="party_size")
    return size


def _phone(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        return None
    digits = sum(ch.isdigit() for ch in text)
    if len(text) > 30 or not set(text) <= _PHONE_CHARS or digits < 7:
        raise InvalidInputError("Enter a phone number with digits, spaces, +, - or parentheses.", field="phone")
    return text


def waiver_link(sail_id: str, guest_id: str) -> str:
    """The link a guest's waiver code belongs to: one live code at a time (nudges use it too)."""
    return f"waiver:{sail_id}:{guest_id}"


def _waiver_code(meta: Item, guest: Item, pointer: Item | None, settings: Settings, clock: Clock) -> NewCode:
    """A new waiver code for the guest, valid until the sail returns, that also revokes the
    link's previous code (`pointer`: the link's pointer to its live code, as read)."""
    now = clock()
    sail_id, guest_id = str(meta["id"]), str(guest["id"])
    return new_code(
        str(guest["email"]),
        Purpose.waiver(sail_id, guest_id),
        return_time(meta, settings, now) - now,
        replaces=waiver_link(sail_id, guest_id),
        pointer=pointer,
        clock=clock,
    )


def _mail_waiver_link(mailer: MailSender, meta: Item, guest: Item, code: str, settings: Settings) -> str:
    message = render_email(
        "waiver_request",
        [str(guest["email"])],
        {
            "name": guest.get("name", ""),
            "sail": sail_context(meta, settings),
            "link": guest_link(code, str(meta["id"]), settings),
        },
    )
    return mailer.send(message)


# People named with a lead guest: one transaction (100 actions) holds each person, their code's
# up to three writes, the count and the history (24 * 4 + 2 = 98).
MAX_PEOPLE = 23


def _people(value: object, lead: Item, sail_id: str) -> list[Item]:
    """The booking's other people as items (ids, no status yet), checked field by field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError("people must be a list of {name, email?, minor?}.", field="people")
    if len(value) > MAX_PEOPLE:
        raise InvalidInputError(f"A booking names at most {MAX_PEOPLE} people besides its lead.", field="people")
    people: list[Item] = []
    seen = {str(lead["email"])}
    for n, entry in enumerate(value):
        where = f"people[{n}]"
        if not isinstance(entry, dict):
            raise InvalidInputError("Each person is {name, email?, minor?}.", field=where)
        name = text_field(entry.get("name"), f"{where}.name", single_line=True)
        minor = entry.get("minor", False)
        if not isinstance(minor, bool):
            raise InvalidInputError("minor is true or false.", field=f"{where}.minor")
        email = email_address(entry["email"], f"{where}.email") if entry.get("email") not in (None, "") else None
        if email in seen:
            raise InvalidInputError(f"{email} is named twice in this booking.", field=f"{where}.email")
        if email:
            seen.add(email)
        key = email or f"{lead['id']}/{n}/{name.lower()}"
        people.append({"id": guest_id_for(sail_id, key), "name": name, "email": email, "minor": minor})
    return people


def signs_own_waiver(person: Item) -> bool:
    """An adult with an email gets their own waiver link; a minor is covered by a guardian."""
    return bool(person.get("email")) and not person.get("minor")


def booking_people(lead: Item, others: list[Item], *, actor: str, at: str) -> list[Item]:
    """The booking's items: the lead first, each person one seat, all on hold."""
    booking: list[Item] = []
    for person in [lead, *others]:
        booking.append(
            {
                "party_size": 1,
                **person,
                "booking_id": lead["id"],
                "lead": person is lead,
                "minor": bool(person.get("minor")),
                "status": ON_HOLD,
                "added_at": at,
                "added_by": actor,
            }
        )
    return booking


def issue_codes(
    meta: Item, people: list[Item], pointers: dict[str, Item], settings: Settings, clock: Clock
) -> dict[str, NewCode]:
    """A waiver code for each person who signs their own waiver (by id)."""
    return {
        str(p["id"]): _waiver_code(meta, p, pointers.get(waiver_link(str(meta["id"]), str(p["id"]))), settings, clock)
        for p in people
        if signs_own_waiver(p)
    }


def mail_links(
    mailer: MailSender, meta: Item, people: list[Item], codes: dict[str, NewCode], settings: Settings
) -> list[str]:
    """Mail each person their waiver link; the names of those whose mail could not be sent."""
    unsent: list[str] = []
    for person in people:
        issued = codes.get(str(person["id"]))
        if issued is None:
            continue
        try:
            _mail_waiver_link(mailer, meta, person, issued.code, settings)
        except (ServiceUnavailableError, ConfigurationError):
            logger.exception("waiver link not sent", extra={"sail_id": meta.get("id"), "guest_id": person["id"]})
            unsent.append(str(person["name"]))
    return unsent


def add_guest(
    guests: GuestRepository,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    *,
    name: object,
    email: object,
    people: object = None,
    party_size: object = None,
    phone: object = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Book a party on a sail, everyone `on_hold`, within the sail's capacity (counted in
    people); then email each adult with an address their own waiver link.

    `people` names the lead's party ({name, email?, minor?} each). Without it, a `party_size`
    above 1 books the lead for that many seats, as before bookings named their people.
    Returns `{guest, people, waiver_link_sent, message}`. If a link cannot be sent the booking
    stays (the admin is told and can resend). Two round trips: the sail and the links' pointers
    in one read, then one transaction."""
    settings = settings or get_settings()
    clean_name = text_field(name, "name", single_line=True)
    address = email_address(email)
    clean_phone = _phone(phone)
    lead: Item = {"id": guest_id_for(sail_id, address), "name": clean_name, "email": address, "phone": clean_phone}
    others = _people(people, lead, sail_id)
    links = tuple(waiver_link(sail_id, str(p["id"])) for p in [lead, *others] if signs_own_waiver(p))
    found = read_sail(guests, sail_id, code_links=links)
    meta = found.sail or {}
    capacity = capacity_of(meta, settings)
    if others and party_size not in (None, 1 + len(others)):
        raise InvalidInputError("The party size is the lead and the people named.", field="party_size")
    lead["party_size"] = _party_size(party_size, capacity) if not others else 1
    now = clock()
    refuse_closed(meta, now, settings)
    if 1 + len(others) > capacity:
        raise InvalidInputError(f"A sail takes at most {capacity} guests.", field="people")
    booking = booking_people(lead, others, actor=actor_email, at=iso(now))
    # The waiver codes are stored in the same transaction; the emails go out after the commit.
    codes = issue_codes(meta, booking, found.code_pointers, settings, clock)
    guests.add_booking(sail_id, booking, capacity=capacity, actor=actor_email, codes=list(codes.values()), clock=clock)
    answer: dict[str, Any] = {
        "guest": guest_view(booking[0]),
        "people": [guest_view(p) for p in booking],
        "waiver_link_sent": True,
    }
    unsent = mail_links(mailer, meta, booking, codes, settings)
    if not unsent:
        answer["message"] = f"{clean_name} is on hold until they sign the waiver; the link is on its way."
        if others:
            answer["message"] = (
                f"{clean_name}'s party of {len(booking)} is on hold until every adult signs;"
                " the links are on their way."
            )
    else:
        answer["waiver_link_sent"] = False
        answer["message"] = (
            f"{clean_name} was added, but the waiver email could not be sent to {', '.join(unsent)}."
            " Use “Resend waiver link”."
        )
    return answer


def resend_waiver_link(
    guests: GuestRepository,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    guest_id: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Mail a fresh waiver link to a guest who has not signed; the previous link stops working.
    Two round trips: the sail, the guest and the link's pointer in one read, then one
    transaction (the new code, the old one revoked, the guest still unsigned, history)."""
    settings = settings or get_settings()
    _check_guest_id(guest_id)  # (before the sail's: an id that cannot be a guest's says so first)
    found = read_sail(guests, sail_id, guest_id=guest_id, code_link=waiver_link(sail_id, guest_id))
    meta, guest = found.sail or {}, found.guest or {}
    if guest.get("status") in GONE:
        raise ConflictError(f"{guest.get('name', 'This guest')} is no longer on this sail.", code="guest_gone")
    if not signs_own_waiver(guest):
        raise ConflictError("Only an adult with an email address signs their own waiver.", code="no_waiver_link")
    if guest.get("status") == CONFIRMED:
        raise AlreadySignedError(str(guest.get("name", "This guest")))
    refuse_closed(meta, clock(), settings)
    issued = _waiver_code(meta, guest, found.code_pointer, settings, clock)
    # "issued", not "sent": the transaction commits before the mail goes out, and a failed
    # send answers 503 (the admin resends) with its history entry already written.
    guests.reissue_waiver_link(sail_id, guest, actor=actor_email, code=issued, clock=clock)
    _mail_waiver_link(mailer, meta, guest, issued.code, settings)
    return {
        "guest": guest_view(guest),
        "waiver_link_sent": True,
        "message": f"A new waiver link is on its way to {guest['email']}.",
    }
