"""Signing a waiver: the guest signs its own, from its waiver link, and is `confirmed`.

Signing is one transaction (`GuestRepository.record_signature`): the signature (written only
if absent, so signing twice is a no-op) holding a copy lease and listed among the owed copies,
the guest becoming `confirmed`, and a history entry. The signed copy is then delivered
(`quarterdeck.waiver_copies`). The text signed is `quarterdeck.waiver_text`'s current version;
the signature records its version and SHA-256.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.auth import Caller
from quarterdeck.clock import Clock, IdGenerator, epoch, iso, new_id, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConflictError, ForbiddenError, InvalidInputError, ServiceUnavailableError
from quarterdeck.guests import CONFIRMED, GONE, guest_view, read_sail, sail_timing
from quarterdeck.mail import MailSender
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import GuestRepository
from quarterdeck.validation import text_field
from quarterdeck.waiver_copies import COPY_LEASE_SECONDS, CopyDelivery, finish, signature_view
from quarterdeck.waiver_text import WAIVER_DIR, current_waiver, waiver_object_key

if TYPE_CHECKING:
    from quarterdeck.documents import DocumentStore


def _booking(guests: GuestRepository, sail_id: str, guest: Item) -> list[Item]:
    """The people of the guest's booking still aboard (a guest added alone: none but itself)."""
    if not guest.get("booking_id"):
        return [guest]
    booking = guest["booking_id"]
    return [g for g in guests.guests_of(sail_id) if g.get("booking_id") == booking and g.get("status") not in GONE]


def get_guest_record(guests: GuestRepository, sail_id: str, guest_id: str) -> dict[str, Any]:
    """One guest with its sail's date and times, its signature, if any, and its booking's people
    (the minors it may sign for). Two reads: the sail, guest and signature; the booking."""
    found = read_sail(guests, sail_id, guest_id=guest_id, signature=True)
    guest = found.guest or {}
    return {
        "sail": sail_timing(found.sail or {}),
        "guest": guest_view(guest),
        "signature": signature_view(found.signature) if found.signature else None,
        "booking": [guest_view(p, contact=False) for p in _booking(guests, sail_id, guest)],
    }


def _covered_minors(guests: GuestRepository, sail_id: str, guest: Item, covers: object) -> list[Item]:
    """The minors of the signer's booking, still on hold, that this signature covers."""
    if covers is None or covers == []:
        return []
    if not isinstance(covers, list) or not all(isinstance(c, str) for c in covers) or len(covers) > 48:
        raise InvalidInputError("covers lists the ids of the minors you sign for.", field="covers")
    if guest.get("minor"):
        raise InvalidInputError("A minor cannot sign for others.", field="covers")
    minors = {str(g["id"]): g for g in _booking(guests, sail_id, guest) if g.get("minor")}
    chosen: list[Item] = []
    for minor_id in dict.fromkeys(covers):
        minor = minors.get(minor_id)
        if minor is None:
            raise InvalidInputError("You can sign only for the minors of your own booking.", field="covers")
        if minor.get("status") == CONFIRMED:
            raise ConflictError(
                f"{minor.get('name')} is already covered by a guardian's signature.", code="minor_covered"
            )
        chosen.append(minor)
    return chosen


def _validate_signature(
    full_name: object, accept: object, minor: object, guardian_name: object
) -> tuple[str, str | None]:
    if not " ".join(str(full_name or "").split()):
        raise InvalidInputError("Type your full name to sign.", field="full_name")
    name = text_field(full_name, "full_name", max_length=120, single_line=True)
    if accept is not True:
        raise InvalidInputError("Tick “I have read and accept the waiver” to sign.", field="accept")
    guardian = None
    if minor is True:
        if not " ".join(str(guardian_name or "").split()):
            raise InvalidInputError("A minor's waiver needs the parent or guardian's full name.", field="guardian_name")
        guardian = text_field(guardian_name, "guardian_name", max_length=120, single_line=True)
    return name, guardian


def sign_waiver(
    guests: GuestRepository,
    mailer: MailSender,
    documents: DocumentStore,
    signer: Caller,
    sail_id: str,
    guest_id: str,
    *,
    full_name: object,
    accept: object,
    minor: object = False,
    guardian_name: object = None,
    covers: object = None,
    ip: str = "",
    user_agent: str = "",
    settings: Settings | None = None,
    clock: Clock = system_clock,
    waiver_dir: Path = WAIVER_DIR,
    new_id: IdGenerator = new_id,
) -> dict[str, Any]:
    """The guest signs their own waiver. Returns `{status: signed | already signed, message,
    guest, signature, copy_stored, copy_emailed}`."""
    how = CopyDelivery(guests, mailer, documents, settings or get_settings(), clock, waiver_dir)
    if not (signer.is_guest and signer.sail_id == sail_id and signer.guest_id == guest_id):
        raise ForbiddenError("Only the guest this waiver is for can sign it, from their own waiver link.")
    name, guardian = _validate_signature(full_name, accept, minor, guardian_name)
    found = read_sail(guests, sail_id, guest_id=guest_id, signature=True, current_waiver=True)
    meta, guest = found.sail or {}, found.guest or {}
    if guest.get("status") in GONE:
        raise ConflictError("You are no longer on this sail's manifest; ask the crew.", code="guest_gone")
    if guest.get("email") and signer.email.lower() != str(guest["email"]).lower():
        # The admin changed this guest's address: only a link sent to the new one signs.
        raise ForbiddenError("This link was sent to an earlier address. Use the link in the latest email.")
    if found.signature:
        return finish(how, found.signature, guest, meta, already=True)
    now = clock()
    if meta.get("status") == "cancelled":
        raise ConflictError("This sail was cancelled.", code="sail_cancelled")
    minors = _covered_minors(guests, sail_id, guest, covers)
    waiver = current_waiver(found.current_waiver, directory=waiver_dir)
    signed_at = iso(now)
    record: Item = {
        "sail_id": sail_id,
        "guest_id": guest_id,
        "full_name": name,
        "minor": minor is True,
        "guardian_name": guardian,
        "version": waiver.version,
        "text_sha256": waiver.sha256,
        "signed_at": signed_at,
        "ip": ip[:64],
        "user_agent": user_agent[:512],
        "signer_email": signer.email,
        "object_key": waiver_object_key(sail_id, guest_id, waiver.version, signed_at),
        # This request owns the copy's delivery for a while; a concurrent double-submit does not repeat it.
        # (No copy flags: the copy in the bucket is the record of its delivery; failures add them.)
        "copy_lease_until": epoch(now) + COPY_LEASE_SECONDS,
        # Owed until the bucket shows it delivered: if this request dies before it delivers the
        # copy, the hourly run still finds the signature (and unlists the copies it finds delivered).
        "copy_owed": True,
        # Which request wrote the signature: it finishes what it wrote even if the answer was lost.
        "request_id": new_id(),
    }
    if minors:  # a guardian's signature covers these minors of the booking (kept by id and name)
        record.update(
            booking_id=guest.get("booking_id"),
            covers=[str(m["id"]) for m in minors],
            covers_names=[str(m.get("name", "")) for m in minors],
        )
    try:
        first = guests.record_signature(record, actor=signer.email, clock=clock)
    except ServiceUnavailableError:
        # A timeout may come after the transaction committed. If our own signature is in place,
        # it (and its copy lease) is ours to finish; otherwise nothing was written: try again.
        landed = guests.signature(sail_id, guest_id)
        if not landed or landed.get("request_id") != record["request_id"]:
            raise
        logger.info("signing answer lost after commit; finishing it", extra={"key": record["object_key"]})
        first = None
    if first is not None:  # someone (a double submit) signed first, confirming the guest in its transaction
        guest = {**guest, "status": CONFIRMED, "signed_at": first.get("signed_at")}
        return finish(how, first, guest, meta, already=True)
    guest = {**guest, "status": CONFIRMED, "signed_at": signed_at}
    return finish(how, record, guest, meta, already=False, leased=True)
