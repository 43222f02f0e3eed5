"""Admins manage the manifest: edit a person's name or email, remove a person or a whole
booking, move a booking to another sail. Each is one transaction with the sail's count and
its history (`GuestRepository.edit_guest`, `remove_guests`, `move_booking`); nothing is
deleted: a removed person stays on the manifest as removed (by whom, when) and a signed
waiver is kept.

- A changed email of a person still to sign gets a new waiver link, which revokes the old one
  (and a guest session opened for the old address can no longer sign).
- A moved booking goes on the other sail on hold: a waiver names its sail and times, so its
  adults sign again there, from new links; its signatures stay with the sail they were made for.
"""

from __future__ import annotations

from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConflictError, GuestExistsError, InvalidInputError, SailFullError, SailNotFoundError
from quarterdeck.guests import (
    booking_people,
    capacity_of,
    guest_id_for,
    guest_view,
    issue_codes,
    mail_links,
    read_sail,
    refuse_closed,
    signs_own_waiver,
    waiver_link,
)
from quarterdeck.mail import MailSender
from quarterdeck.repositories import Item
from quarterdeck.repositories.guest_changes import BookingMove
from quarterdeck.repositories.guests import CONFIRMED, GONE, GuestRepository
from quarterdeck.validation import email_address, text_field

__all__ = ["MAX_MOVE", "edit_guest", "move_booking", "remove_guest"]

# One transaction (100 actions) moves a booking: per person its update here, its put there and
# its new code's up to three writes, plus both counts and both histories (19 * 5 + 4 = 99).
MAX_MOVE = 19


def _still_aboard(guest: Item) -> Item:
    if guest.get("status") in GONE:
        raise ConflictError(f"{guest.get('name', 'This guest')} is no longer on this sail.", code="guest_gone")
    return guest


def _aboard(guests: GuestRepository, sail_id: str, guest_id: str) -> tuple[Item, Item, Item | None]:
    """The sail, the person (still aboard) and the person's waiver link's pointer (one read).
    Everyone on the sail is a Query more (`guests_of`), made only by what needs them."""
    found = read_sail(guests, sail_id, guest_id=guest_id, code_link=waiver_link(sail_id, guest_id))
    return found.sail or {}, _still_aboard(found.guest or {}), found.code_pointer


def _with_booking(guests: GuestRepository, sail_id: str, guest_id: str) -> tuple[Item, list[Item]]:
    """The person (still aboard) and everyone on the sail, from the one Query of its guests; the
    sail and the person are read only when the person is not listed, to say which is missing."""
    everyone = guests.guests_of(sail_id)
    guest = next((g for g in everyone if g.get("id") == guest_id), None)
    if guest is None:  # raises SailNotFoundError or GuestNotFoundError, or finds one added since
        guest = read_sail(guests, sail_id, guest_id=guest_id).guest or {}
        everyone = [*everyone, guest]
    return _still_aboard(guest), everyone


def _booking_of(guest: Item, everyone: list[Item]) -> list[Item]:
    booking = str(guest.get("booking_id") or guest["id"])
    members = [
        g for g in everyone if str(g.get("booking_id") or g.get("id")) == booking and g.get("status") not in GONE
    ]
    return sorted(members, key=lambda g: (not g.get("lead", True), str(g.get("added_at", ""))))


def edit_guest(
    guests: GuestRepository,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    guest_id: str,
    *,
    name: object = None,
    email: object = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Change a person's name and/or email. Returns `{guest, waiver_link_sent?, message}`."""
    settings = settings or get_settings()
    if name is None and email is None:
        raise InvalidInputError("Send a name, an email or a sail to move the booking to.", field="name")
    meta, guest, pointer = _aboard(guests, sail_id, guest_id)
    changes: Item = {}
    if name is not None:
        clean = text_field(name, "name", single_line=True)
        if clean != guest.get("name"):
            changes["name"] = clean
    if email is not None:
        address = email_address(email)
        if address != guest.get("email"):
            # Only a new address needs everyone on the sail (a renaming is one read less).
            if any(g.get("email") == address and g.get("status") not in GONE for g in guests.guests_of(sail_id)):
                raise GuestExistsError(address)
            changes["email"] = address
    if not changes:
        return {"guest": guest_view(guest), "message": "Nothing changed."}
    edited = {**guest, **changes}
    # A new address of someone still to sign gets a new link; the old one is revoked with it.
    relink = "email" in changes and guest.get("status") != CONFIRMED and signs_own_waiver(edited)
    codes = {}
    if relink:
        refuse_closed(meta, clock(), settings)
        link = waiver_link(sail_id, guest_id)
        codes = issue_codes(meta, [edited], {link: pointer} if pointer else {}, settings, clock)
    guests.edit_guest(sail_id, guest, changes, actor=actor_email, code=codes.get(guest_id), clock=clock)
    answer: dict[str, Any] = {"guest": guest_view(edited), "message": f"{edited['name']} was updated."}
    if relink:
        unsent = mail_links(mailer, meta, [edited], codes, settings)
        answer["waiver_link_sent"] = not unsent
        answer["message"] += (
            f" A new waiver link is on its way to {edited['email']}; the old link no longer works."
            if not unsent
            else " The new waiver link could not be emailed: use “Resend waiver link”."
        )
    return answer


def remove_guest(
    guests: GuestRepository,
    actor_email: str,
    sail_id: str,
    guest_id: str,
    *,
    booking: bool = False,
    clock: Clock = system_clock,
) -> None:
    """Take a person (or, with `booking`, their whole booking) off the sail: they stay on the
    manifest as removed by the admin; their seats are freed; signatures are kept."""
    if booking:
        guest, everyone = _with_booking(guests, sail_id, guest_id)
        people = _booking_of(guest, everyone)
    else:
        people = [_aboard(guests, sail_id, guest_id)[1]]
    guests.remove_guests(sail_id, people, actor=actor_email, clock=clock)


def move_booking(
    guests: GuestRepository,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    guest_id: str,
    *,
    to_sail: object,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Move the booking of `guest_id` to `to_sail`, everyone on hold there with new waiver links.
    Returns `{sail_id, people, waiver_link_sent, message}`."""
    settings = settings or get_settings()
    target = str(to_sail or "")
    if not target or len(target) > 64 or target == sail_id:
        raise InvalidInputError("Choose another sail to move the booking to.", field="sail_id")
    guest, everyone = _with_booking(guests, sail_id, guest_id)
    leaving = _booking_of(guest, everyone)
    if len(leaving) > MAX_MOVE:
        raise InvalidInputError(
            f"A booking of more than {MAX_MOVE} people moves in parts: remove some, move it, book them again.",
            field="sail_id",
        )
    lead = leaving[0]
    new_lead_id = guest_id_for(target, str(lead.get("email") or f"{lead['id']}/moved"))
    moved: list[Item] = []
    for n, person in enumerate(leaving):
        key = str(person.get("email") or f"{new_lead_id}/{n}/{str(person.get('name', '')).lower()}")
        fields = ("name", "email", "phone", "minor", "party_size")
        moved.append({"id": new_lead_id if n == 0 else guest_id_for(target, key), **{f: person.get(f) for f in fields}})
    now = clock()
    arriving = booking_people(moved[0], moved[1:], actor=actor_email, at=iso(now))
    for person in arriving:
        person["moved_from"] = sail_id
    links = tuple(waiver_link(target, str(p["id"])) for p in arriving if signs_own_waiver(p))
    try:
        found = read_sail(guests, target, code_links=links)
    except SailNotFoundError:
        raise InvalidInputError("There is no such sail to move the booking to.", field="sail_id") from None
    meta = found.sail or {}
    refuse_closed(meta, now, settings)
    capacity = capacity_of(meta, settings)
    if len(arriving) > capacity:
        raise SailFullError(capacity, max(capacity - int(meta.get("guest_count") or 0), 0))
    codes = issue_codes(meta, arriving, found.code_pointers, settings, clock)
    move = BookingMove(sail_id, tuple(leaving), target, tuple(arriving), capacity, actor_email, tuple(codes.values()))
    guests.move_booking(move, clock=clock)
    unsent = mail_links(mailer, meta, arriving, codes, settings)
    message = (
        f"{lead.get('name', 'The booking')}'s booking ({len(arriving)}) moved to {meta.get('title', 'the other sail')}."
    )
    message += (
        " Each adult has a new waiver link to sign for that sail."
        if not unsent
        else (f" The waiver email could not be sent to {', '.join(unsent)}: use “Resend waiver link”.")
    )
    return {
        "sail_id": target,
        "people": [guest_view(p) for p in arriving],
        "waiver_link_sent": not unsent,
        "message": message,
    }
