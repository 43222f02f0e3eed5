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

from quarterdeck.auth import Caller, NewCode, Purpose, new_code
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
from quarterdeck.mail import MailSender, render_email
from quarterdeck.need_to_know import sees_guest_contact
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import CONFIRMED, ON_HOLD, GuestRepository, SailReading
from quarterdeck.sail_mail import guest_link
from quarterdeck.validation import email_address, text_field

__all__ = [
    "CONFIRMED",
    "ON_HOLD",
    "add_guest",
    "capacity_of",
    "guest_id_for",
    "guest_view",
    "list_guests",
    "read_sail",
    "resend_waiver_link",
    "return_time",
    "sail_context",
    "sail_timing",
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
    """A guest as the API shows it; `contact` adds email and phone (admins and the guest itself)."""
    fields = ["id", "name", "party_size", "status", "added_at", "signed_at"]
    if contact:
        fields += ["email", "phone"]
    return {name: item[name] for name in fields if item.get(name) is not None}


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
) -> SailReading:
    """`guests.read(...)` (one round trip), raising if the sail, or the guest asked for, is not there."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    if guest_id is not None:
        _check_guest_id(guest_id)
    found = guests.read(sail_id, guest_id=guest_id, signature=signature, code_link=code_link)
    if found.sail is None:
        raise SailNotFoundError("There is no such sail.")
    if guest_id is not None and found.guest is None:
        raise GuestNotFoundError("There is no such guest on this sail.")
    return found


def list_guests(
    guests: GuestRepository, sail_id: str, *, caller: Caller | None, settings: Settings | None = None
) -> dict[str, Any]:
    """The sail's manifest: its timing, capacity, and every guest by the time they were added;
    contact details only for those who need them (`need_to_know`: admins, the sail's captain)."""
    settings = settings or get_settings()
    meta = guests.sail_meta(sail_id)
    contact = sees_guest_contact(caller, meta)
    on_board = sorted(guests.guests_of(sail_id), key=lambda g: (g.get("added_at", ""), g.get("name", "")))
    return {
        "sail": sail_timing(meta),
        "guest_capacity": capacity_of(meta, settings),
        "guest_count": int(meta.get("guest_count") or 0),
        "guests": [guest_view(g, contact=contact) for g in on_board],
    }


# --- adding a guest ------------------------------------------------------------------------
def return_time(meta: Item, settings: Settings, now: datetime) -> datetime:
    if meta.get("return"):
        return datetime.fromisoformat(str(meta["return"]))
    return now + timedelta(hours=settings.claim_link_hours)


def _refuse_closed(meta: Item, now: datetime, settings: Settings) -> None:
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


def add_guest(
    guests: GuestRepository,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    *,
    name: object,
    email: object,
    party_size: object = 1,
    phone: object = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Put a guest on a sail, `on_hold`, within the sail's capacity; then email the waiver link.

    Returns `{guest, waiver_link_sent, message}`. If the link cannot be sent the guest stays
    added (the admin is told and can resend). Two round trips: the sail and the link's
    pointer in one read, then one transaction."""
    settings = settings or get_settings()
    clean_name = text_field(name, "name", single_line=True)
    address = email_address(email)
    clean_phone = _phone(phone)
    guest_id = guest_id_for(sail_id, address)
    found = read_sail(guests, sail_id, code_link=waiver_link(sail_id, guest_id))
    meta = found.sail or {}
    capacity = capacity_of(meta, settings)
    size = _party_size(party_size, capacity)
    now = clock()
    _refuse_closed(meta, now, settings)
    guest: Item = {
        "id": guest_id,
        "name": clean_name,
        "email": address,
        "party_size": size,
        "status": ON_HOLD,
        "added_at": iso(now),
        "added_by": actor_email,
    }
    if clean_phone:
        guest["phone"] = clean_phone
    # The waiver code is stored in the same transaction; the email goes out after the commit.
    issued = _waiver_code(meta, guest, found.code_pointer, settings, clock)
    guests.add_guest(sail_id, guest, capacity=capacity, actor=actor_email, code=issued, clock=clock)
    answer: dict[str, Any] = {"guest": guest_view(guest), "waiver_link_sent": True}
    try:
        _mail_waiver_link(mailer, meta, guest, issued.code, settings)
        answer["message"] = f"{clean_name} is on hold until they sign the waiver; the link is on its way."
    except (ServiceUnavailableError, ConfigurationError):
        logger.exception("waiver link not sent", extra={"sail_id": sail_id, "guest_id": guest_id})
        answer["waiver_link_sent"] = False
        answer["message"] = f"{clean_name} was added, but the waiver email could not be sent. Use “Resend waiver link”."
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
    if guest.get("status") == CONFIRMED:
        raise AlreadySignedError(str(guest.get("name", "This guest")))
    _refuse_closed(meta, clock(), settings)
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
