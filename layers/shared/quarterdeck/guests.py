"""Guests and their liability waivers: a guest is `on_hold` until they sign, then `confirmed`.

- Adding a guest is one transaction: the guest item, the sail's `guest_count` raised by the
  party size under the condition that it stays within capacity (so the capacity holds under
  any race), and a history entry. The waiver link is mailed afterwards; if that fails the
  guest is still added and the admin can resend the link.
- Signing is one transaction: the WAIVER# item (written only if absent, so signing twice is
  a no-op) holding a copy lease and listed among the owed copies (a GSI1 key,
  `keys.owed_waiver_copy`), the guest becoming `confirmed`, and a history entry. The signed
  copy then goes to the guest by email, and then to the data bucket (never overwritten) with
  the email's message id in its metadata: the stored copy is the record that it went out, so
  a full delivery writes nothing more to DynamoDB (two round trips in all). Listed from the
  start, a copy is never lost, even if the request dies between its transaction and the
  delivery (a timeout, a crash): the hourly nudge run (`quarterdeck.waiver_copies`, via
  `complete_waiver_copies`) takes every listed copy whose lease has run out, asks the bucket
  (HeadObject) and either unlists a copy found delivered or delivers it. A failure is
  recorded on the WAIVER# item (`copy_emailed` false, or true with its message id while the
  copy is not stored), and posting the signature again finishes it too.
- The waiver text is versioned: `templates/waiver/index.json` names the current version and
  the SHA-256 of every published version's file. A published file edited in place no longer
  matches its hash and is refused: changing the text means publishing a new version.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from quarterdeck import keys
from quarterdeck.auth import Caller, NewCode, Purpose, code_pointer_key, issue_code, new_code
from quarterdeck.clock import Clock, IdGenerator, epoch, iso, new_id, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.documents import DocumentStore
from quarterdeck.errors import (
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GuestNotFoundError,
    InvalidInputError,
    SailNotFoundError,
    ServiceUnavailableError,
)
from quarterdeck.formatting import local_stamp, sail_for_email
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.repositories.history import history_write
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.sails import get_sail_meta
from quarterdeck.sessions import magic_link
from quarterdeck.store import ConditionFailedError, Item, Store, TransactionCanceledError, Write
from quarterdeck.validation import email_address, text_field

ON_HOLD = "on_hold"
CONFIRMED = "confirmed"
WAIVER_DIR = Path(__file__).parent / "templates" / "waiver"
# How long one request may own the after-signing effects (email + store the copy) before a
# retry may take over: long enough for S3 and SES with their retries, short enough to retry soon.
COPY_LEASE_SECONDS = 90
# The stored copy's metadata naming the SES message that mailed it (S3 lower-cases the key).
COPY_MESSAGE_ID = "ses-message-id"
_PHONE_CHARS = set("0123456789+-(). ")


# --- the waiver text ------------------------------------------------------------------
@dataclass(frozen=True)
class Waiver:
    version: str
    text: str
    sha256: str


def _index(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / "index.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise ConfigurationError("The waiver index is missing or unreadable.") from error


@lru_cache(maxsize=32)
def _read_version(path: Path, version: str, expected_sha256: str) -> Waiver:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected_sha256:
        # A signature records (version, hash): editing a published text in place would make
        # old signatures point at words nobody signed. Publish a new version instead.
        raise ConfigurationError(f"Waiver {version} was edited after publication; publish a new version instead.")
    return Waiver(version=version, text=raw.decode("utf-8"), sha256=digest)


def load_waiver(version: str | None = None, *, directory: Path = WAIVER_DIR) -> Waiver:
    """A published waiver version (the current one by default), checked against its recorded hash.
    The small index is read each time, so publishing a version needs no restart to take effect."""
    index = _index(directory)
    version = version or str(index.get("current", ""))
    entry = (index.get("versions") or {}).get(version)
    if not entry or not entry.get("file") or not entry.get("sha256"):
        raise ConfigurationError(f"Waiver version {version!r} is not published.")
    return _read_version(directory / str(entry["file"]), version, str(entry["sha256"]))


def waiver_view(waiver: Waiver) -> dict[str, Any]:
    return {"version": waiver.version, "sha256": waiver.sha256, "text": waiver.text}


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


def signature_view(item: Item) -> dict[str, Any]:
    """A signature as the API shows it. `copy_stored` / `copy_emailed` come from the flags a failed
    delivery records; a signature without them had its copy delivered by the request that signed
    (the copy in the bucket is the record of that, and a full delivery writes nothing here)."""
    fields = ("full_name", "minor", "guardian_name", "version", "text_sha256", "signed_at")
    view = {name: item[name] for name in fields if item.get(name) is not None}
    view["copy_stored"] = bool(item.get("copy_stored", True))
    view["copy_emailed"] = bool(item.get("copy_emailed", True))
    return view


def sail_timing(meta: Item) -> dict[str, Any]:
    fields = ("id", "title", "date", "sunset", "departure", "return", "status")
    return {name: meta[name] for name in fields if meta.get(name) is not None}


def capacity_of(meta: Item, settings: Settings) -> int:
    return int(meta.get("guest_capacity") or settings.guest_capacity)


def _sail_context(meta: Item, settings: Settings) -> dict[str, Any]:
    return sail_for_email(meta, tz=settings.timezone, app_url=settings.app_url)


def _local_stamp(iso_text: str, settings: Settings) -> str:
    return local_stamp(iso_text, settings.timezone)


# --- reads ------------------------------------------------------------------------------
def _guest(store: Store, sail_id: str, guest_id: str) -> Item:
    guest = store.get(*keys.guest(sail_id, guest_id)) if guest_id and len(guest_id) <= 64 else None
    if not guest:
        raise GuestNotFoundError("There is no such guest on this sail.")
    return guest


def _return_time(meta: Item, settings: Settings, now: datetime) -> datetime:
    if meta.get("return"):
        return datetime.fromisoformat(str(meta["return"]))
    return now + timedelta(hours=settings.claim_link_hours)


def _refuse_closed(meta: Item, now: datetime, settings: Settings) -> None:
    if meta.get("status") == "cancelled":
        raise ConflictError("This sail was cancelled.", code="sail_cancelled")
    if _return_time(meta, settings, now) <= now:
        raise ConflictError("This sail has already returned.", code="sail_returned")


def _sail_guest_waiver(store: Store, sail_id: str, guest_id: str) -> tuple[Item, Item, Item | None]:
    """The sail's META, the guest and its signature (one BatchGetItem); raises if either is missing."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    if not guest_id or len(guest_id) > 64:
        raise GuestNotFoundError("There is no such guest on this sail.")
    wanted = [keys.sail(sail_id), keys.guest(sail_id, guest_id), keys.waiver(sail_id, guest_id)]
    found = {(item["pk"], item["sk"]): item for item in store.batch_get(wanted)}
    meta, guest = found.get(wanted[0]), found.get(wanted[1])
    if not meta or meta.get("type") != "sail":
        raise SailNotFoundError("There is no such sail.")
    if not guest:
        raise GuestNotFoundError("There is no such guest on this sail.")
    return meta, guest, found.get(wanted[2])


def get_guest_record(store: Store, sail_id: str, guest_id: str) -> dict[str, Any]:
    """One guest with its sail's date and times and its signature, if any (one BatchGetItem)."""
    meta, guest, signature = _sail_guest_waiver(store, sail_id, guest_id)
    return {
        "sail": sail_timing(meta),
        "guest": guest_view(guest),
        "signature": signature_view(signature) if signature else None,
    }


def list_guests(store: Store, sail_id: str, *, contact: bool, settings: Settings | None = None) -> dict[str, Any]:
    """The sail's manifest: its timing, capacity, and every guest by the time they were added."""
    settings = settings or get_settings()
    meta = get_sail_meta(DynamoSailRepository(store), sail_id)
    pk, _ = keys.guest(sail_id, "")
    guests = sorted(store.query(pk, sk_prefix="GUEST#"), key=lambda g: (g.get("added_at", ""), g.get("name", "")))
    return {
        "sail": sail_timing(meta),
        "guest_capacity": capacity_of(meta, settings),
        "guest_count": int(meta.get("guest_count") or 0),
        "guests": [guest_view(g, contact=contact) for g in guests],
    }


# --- adding a guest ------------------------------------------------------------------------
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


def _waiver_link(sail_id: str, guest_id: str) -> str:
    """The link a guest's waiver code belongs to: one live code at a time (nudges use it too)."""
    return f"waiver:{sail_id}:{guest_id}"


def _waiver_code(meta: Item, guest: Item, pointer: Item | None, settings: Settings, clock: Clock) -> NewCode:
    """A new waiver code for the guest, valid until the sail returns, as transaction items that
    also revoke the link's previous code (`pointer`: the link's CODEREF# item as read)."""
    now = clock()
    sail_id, guest_id = str(meta["id"]), str(guest["id"])
    return new_code(
        str(guest["email"]),
        Purpose.waiver(sail_id, guest_id),
        _return_time(meta, settings, now) - now,
        replaces=_waiver_link(sail_id, guest_id),
        pointer=pointer,
        clock=clock,
    )


def _mail_waiver_link(mailer: MailSender, meta: Item, guest: Item, code: str, settings: Settings) -> str:
    message = render_email(
        "waiver_request",
        [str(guest["email"])],
        {"name": guest.get("name", ""), "sail": _sail_context(meta, settings), "link": magic_link(code, settings)},
    )
    return mailer.send(message)


def send_waiver_link(
    store: Store,
    mailer: MailSender,
    meta: Item,
    guest: Item,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> str:
    """Issue the guest's waiver code (valid until the sail returns; replaces any earlier link)
    and email it. Returns the message id. (The API's routes issue the code inside their own
    transaction instead.)"""
    settings = settings or get_settings()
    now = clock()
    _refuse_closed(meta, now, settings)
    sail_id, guest_id = str(meta["id"]), str(guest["id"])
    code = issue_code(
        store,
        str(guest["email"]),
        Purpose.waiver(sail_id, guest_id),
        _return_time(meta, settings, now) - now,
        replaces=_waiver_link(sail_id, guest_id),
        clock=clock,
    )
    return _mail_waiver_link(mailer, meta, guest, code, settings)


def _link_in_flight() -> ConflictError:
    return ConflictError(
        "Another waiver link for this guest was sent at the same moment; that link is the live one.",
        code="waiver_link_in_flight",
    )


def _meta_and(store: Store, sail_id: str, wanted: list[tuple[str, str]]) -> tuple[Item, dict[tuple[str, str], Item]]:
    """The sail's META and other items of its partition or the table, in one BatchGetItem."""
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    found = {(item["pk"], item["sk"]): item for item in store.batch_get([keys.sail(sail_id), *wanted])}
    meta = found.get(keys.sail(sail_id))
    if not meta or meta.get("type") != "sail":
        raise SailNotFoundError("There is no such sail.")
    return meta, found


def add_guest(
    store: Store,
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
    added (the admin is told and can resend)."""
    settings = settings or get_settings()
    clean_name = text_field(name, "name", single_line=True)
    address = email_address(email)
    clean_phone = _phone(phone)
    guest_id = guest_id_for(sail_id, address)
    pointer_key = code_pointer_key(_waiver_link(sail_id, guest_id))
    meta, found = _meta_and(store, sail_id, [pointer_key])
    capacity = capacity_of(meta, settings)
    size = _party_size(party_size, capacity)
    now = clock()
    _refuse_closed(meta, now, settings)
    pk, sk = keys.guest(sail_id, guest_id)
    guest: Item = {
        "pk": pk,
        "sk": sk,
        "type": "guest",
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
    meta_pk, meta_sk = keys.sail(sail_id)
    writes = [
        Write("Put", item=guest, condition="attribute_not_exists(pk)"),
        Write(
            "Update",
            key={"pk": meta_pk, "sk": meta_sk},
            update="SET guest_count = if_not_exists(guest_count, :zero) + :size",
            # No arithmetic in conditions: `count + size <= capacity` is `count <= capacity - size`.
            condition=(
                "attribute_exists(pk) AND #status <> :cancelled"
                " AND (attribute_not_exists(guest_count) OR guest_count <= :room)"
            ),
            names={"#status": "status"},
            values={":zero": 0, ":size": size, ":room": capacity - size, ":cancelled": "cancelled"},
        ),
        history_write(
            sail_id,
            actor_email,
            "guest_added",
            {"guest_id": guest_id, "name": clean_name, "party_size": size},
            clock=clock,
        ),
    ]
    # The waiver code is stored in the same transaction; the email goes out after the commit.
    issued = _waiver_code(meta, guest, found.get(pointer_key), settings, clock)
    try:
        store.transact([*writes, *issued.writes])
    except TransactionCanceledError as lost:
        if lost.reasons[:1] == ["ConditionalCheckFailed"]:
            raise ConflictError(
                f"{address} is already a guest on this sail.", field="email", code="guest_exists"
            ) from None
        if any(reason != "None" for reason in lost.reasons[len(writes) :]):
            raise _link_in_flight() from None
        current = store.get(meta_pk, meta_sk, consistent=True)
        if not current:
            raise SailNotFoundError("There is no such sail.") from None
        if current.get("status") == "cancelled":
            raise ConflictError("This sail was cancelled.", code="sail_cancelled") from None
        room = max(capacity - int(current.get("guest_count") or 0), 0)
        raise ConflictError(
            f"This sail takes {capacity} guests and has room for {room} more.",
            field="party_size",
            code="sail_full",
        ) from None
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
    store: Store,
    mailer: MailSender,
    actor_email: str,
    sail_id: str,
    guest_id: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Mail a fresh waiver link to a guest who has not signed; the previous link stops working.
    Two round trips: the sail, the guest and the link's pointer in one BatchGetItem, then one
    transaction (the new code, the old one revoked, the guest still unsigned, history)."""
    settings = settings or get_settings()
    if not guest_id or len(guest_id) > 64:
        raise GuestNotFoundError("There is no such guest on this sail.")
    guest_key, pointer_key = keys.guest(sail_id, guest_id), code_pointer_key(_waiver_link(sail_id, guest_id))
    meta, found = _meta_and(store, sail_id, [guest_key, pointer_key])
    guest = found.get(guest_key)
    if not guest:
        raise GuestNotFoundError("There is no such guest on this sail.")
    if guest.get("status") == CONFIRMED:
        raise ConflictError(f"{guest.get('name', 'This guest')} has already signed the waiver.", code="already_signed")
    _refuse_closed(meta, clock(), settings)
    issued = _waiver_code(meta, guest, found.get(pointer_key), settings, clock)
    writes = [
        Write(
            "ConditionCheck",
            key={"pk": guest_key[0], "sk": guest_key[1]},
            condition="attribute_exists(pk) AND #status = :on_hold",
            names={"#status": "status"},
            values={":on_hold": ON_HOLD},
        ),
        # "issued", not "sent": the transaction commits before the mail goes out, and a failed
        # send answers 503 (the admin resends) with this entry already written.
        history_write(sail_id, actor_email, "waiver_link_issued", {"guest_id": guest_id}, clock=clock),
    ]
    try:
        store.transact([*writes, *issued.writes])
    except TransactionCanceledError as lost:
        if lost.reasons[:1] == ["ConditionalCheckFailed"]:
            raise ConflictError(
                f"{guest.get('name', 'This guest')} has already signed the waiver.", code="already_signed"
            ) from None
        raise _link_in_flight() from None
    _mail_waiver_link(mailer, meta, guest, issued.code, settings)
    return {
        "guest": guest_view(guest),
        "waiver_link_sent": True,
        "message": f"A new waiver link is on its way to {guest['email']}.",
    }


# --- signing -------------------------------------------------------------------------------
def waiver_object_key(sail_id: str, guest_id: str, version: str, signed_at: str) -> str:
    stamp = datetime.fromisoformat(signed_at).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"waivers/{sail_id}/{guest_id}/{version}-{stamp}.txt"


def signed_copy(signature: Item, waiver: Waiver, guest: Item, meta: Item, settings: Settings) -> str:
    """The signed document: the exact waiver text, then who signed it, when, where from, and
    the text's version and hash. Built only from stored fields, so a retry builds the same bytes."""
    sail = _sail_context(meta, settings)
    lines = [
        waiver.text.rstrip("\n"),
        "",
        "-" * 72,
        "SIGNATURE",
        f"Signed by (typed full name): {signature['full_name']}",
    ]
    if signature.get("minor"):
        lines.append(f"Signed for a minor by parent or guardian: {signature.get('guardian_name', '')}")
    lines += [
        f"Guest: {guest.get('name', '')} <{guest.get('email', '')}>, party of {guest.get('party_size', 1)}",
        f"Sail: {sail['title']}, {sail['date']}, departs {sail['departure']}, returns {sail['return']}",
        f"Sail id / guest id: {meta.get('id', '')} / {guest.get('id', '')}",
        f"Signed at: {signature['signed_at']}",
        f"Session email: {signature.get('signer_email', '')}",
        f"IP address: {signature.get('ip', '')}",
        f"User agent: {signature.get('user_agent', '')}",
        f"Waiver version: {signature['version']}",
        f"SHA-256 of the waiver text: {signature['text_sha256']}",
        "",
    ]
    return "\n".join(lines)


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
    store: Store,
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
    ip: str = "",
    user_agent: str = "",
    settings: Settings | None = None,
    clock: Clock = system_clock,
    waiver_dir: Path = WAIVER_DIR,
    new_id: IdGenerator = new_id,
) -> dict[str, Any]:
    """The guest signs their own waiver. Returns `{status: signed | already signed, message,
    guest, signature, copy_stored, copy_emailed}`."""
    settings = settings or get_settings()
    if not (signer.is_guest and signer.sail_id == sail_id and signer.guest_id == guest_id):
        raise ForbiddenError("Only the guest this waiver is for can sign it, from their own waiver link.")
    name, guardian = _validate_signature(full_name, accept, minor, guardian_name)
    meta, guest, existing = _sail_guest_waiver(store, sail_id, guest_id)
    if existing:
        return _finish(
            store,
            mailer,
            documents,
            existing,
            guest,
            meta,
            already=True,
            settings=settings,
            clock=clock,
            waiver_dir=waiver_dir,
        )
    now = clock()
    if meta.get("status") == "cancelled":
        raise ConflictError("This sail was cancelled.", code="sail_cancelled")
    waiver = load_waiver(directory=waiver_dir)
    signed_at = iso(now)
    pk, sk = keys.waiver(sail_id, guest_id)
    record: Item = {
        "pk": pk,
        "sk": sk,
        "type": "waiver",
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
        # Which request wrote the signature: it finishes what it wrote even if the answer was lost.
        "request_id": new_id(),
    }
    # Owed until the bucket shows it delivered: if this request dies before it delivers the copy,
    # the hourly run still finds the signature (and unlists the copies it finds delivered).
    record.update(_owed(record))
    guest_pk, guest_sk = keys.guest(sail_id, guest_id)
    meta_pk, meta_sk = keys.sail(sail_id)
    writes = [
        Write("Put", item=record, condition="attribute_not_exists(pk)"),
        Write(
            "Update",
            key={"pk": guest_pk, "sk": guest_sk},
            update="SET #status = :confirmed, signed_at = :at",
            condition="attribute_exists(pk) AND #status = :on_hold",
            names={"#status": "status"},
            values={":confirmed": CONFIRMED, ":on_hold": ON_HOLD, ":at": signed_at},
        ),
        Write(
            "ConditionCheck",
            key={"pk": meta_pk, "sk": meta_sk},
            condition="attribute_exists(pk) AND #status <> :cancelled",
            names={"#status": "status"},
            values={":cancelled": "cancelled"},
        ),
        history_write(
            sail_id,
            signer.email,
            "waiver_signed",
            {"guest_id": guest_id, "version": waiver.version, "text_sha256": waiver.sha256},
            clock=clock,
        ),
    ]
    try:
        store.transact(writes)
    except TransactionCanceledError:
        current = store.get(pk, sk, consistent=True)
        if current:  # someone (a double submit) signed first, confirming the guest in its transaction
            guest = {**guest, "status": CONFIRMED, "signed_at": current.get("signed_at")}
            return _finish(
                store,
                mailer,
                documents,
                current,
                guest,
                meta,
                already=True,
                settings=settings,
                clock=clock,
                waiver_dir=waiver_dir,
            )
        if not store.get(guest_pk, guest_sk, consistent=True):
            raise GuestNotFoundError("There is no such guest on this sail.") from None
        raise ConflictError("This sail was cancelled.", code="sail_cancelled") from None
    except ServiceUnavailableError:
        # A timeout may come after the transaction committed. If our own signature is in place,
        # it (and its copy lease) is ours to finish; otherwise nothing was written: try again.
        landed = store.get(pk, sk, consistent=True)
        if not landed or landed.get("request_id") != record["request_id"]:
            raise
        logger.info("signing answer lost after commit; finishing it", extra={"key": record["object_key"]})
    guest = {**guest, "status": CONFIRMED, "signed_at": signed_at}
    return _finish(
        store,
        mailer,
        documents,
        record,
        guest,
        meta,
        already=False,
        settings=settings,
        clock=clock,
        leased=True,
        waiver_dir=waiver_dir,
    )


def _lease_is_live(record: Item, clock: Clock) -> bool:
    return int(record.get("copy_lease_until") or 0) >= epoch(clock())


def _take_lease(store: Store, record: Item, clock: Clock) -> tuple[bool, Item]:
    """Own the copy's delivery for COPY_LEASE_SECONDS (one conditional write) unless someone else
    holds it. Returns (taken, the record as it is now, with what failed attempts recorded)."""
    now = epoch(clock())
    key = keys.waiver(str(record["sail_id"]), str(record["guest_id"]))
    try:
        fresh = store.update(
            *key,
            "SET copy_lease_until = :until",
            condition="attribute_exists(pk) AND (attribute_not_exists(copy_lease_until) OR copy_lease_until < :now)",
            values={":until": now + COPY_LEASE_SECONDS, ":now": now},
        )
        return True, fresh
    except ConditionFailedError as lost:
        return False, lost.current or record


def _delivered(record: Item, found: dict[str, str] | None) -> tuple[bool, bool]:
    """(stored, emailed) from the bucket's answer for the copy's key and what the record says.
    A copy in the bucket names the message that mailed it (the email goes first); a record says
    `copy_emailed` only when the email went out but the copy could not be stored (or, before
    2026-11-23, when both were flagged as they completed)."""
    emailed = bool(record.get("copy_emailed")) or bool(found and found.get(COPY_MESSAGE_ID))
    return found is not None, emailed


def _finish(
    store: Store,
    mailer: MailSender,
    documents: DocumentStore,
    record: Item,
    guest: Item,
    meta: Item,
    *,
    already: bool,
    settings: Settings,
    clock: Clock,
    leased: bool = False,
    waiver_dir: Path = WAIVER_DIR,
) -> dict[str, Any]:
    """Deliver the signed copy if that is still owed, then say how things stand."""
    stored, emailed, state = _settle_copy(
        store,
        mailer,
        documents,
        record,
        guest,
        meta,
        settings=settings,
        clock=clock,
        leased=leased,
        waiver_dir=waiver_dir,
    )
    return _answer(record, guest, stored, emailed, state, already=already, settings=settings)


def _settle_copy(
    store: Store,
    mailer: MailSender,
    documents: DocumentStore,
    record: Item,
    guest: Item,
    meta: Item,
    *,
    settings: Settings,
    clock: Clock,
    leased: bool = False,
    waiver_dir: Path = WAIVER_DIR,
) -> tuple[bool, bool, str]:
    """Deliver the signed copy if that is still owed. Returns (stored, emailed, state), the
    state being `delivered` (now), `found_delivered` (the bucket holds it already: it is
    unlisted, nothing is sent), `in_flight` (another request holds the lease), `unchecked` (the
    bucket could not be asked) or `owed` (an attempt failed; the copy stays listed as owed).

    `leased`: this request wrote the signature with its lease, so nothing is delivered yet and
    nobody else delivers it: no look first. Otherwise the bucket says whether the copy was
    delivered (one HeadObject), and the lease whether someone is delivering it right now."""
    key = str(record.get("object_key"))
    in_flight = unchecked = found = False
    if leased:
        stored, emailed = _deliver_copy(
            store,
            mailer,
            documents,
            record,
            guest,
            meta,
            (False, False),
            settings=settings,
            clock=clock,
            waiver_dir=waiver_dir,
            just_signed=True,
        )
    else:
        try:
            stored, emailed = _delivered(record, documents.head(key))
        except ServiceUnavailableError:
            logger.exception("signed copy could not be looked up", extra={"key": key})
            (stored, emailed), unchecked = _delivered(record, None), True
        if stored and emailed:
            found = True
            _no_longer_owed(store, record)  # (only a record still listed as owed is written)
        elif unchecked:
            pass
        elif _lease_is_live(record, clock):
            in_flight = True  # another request is delivering the copy right now
        else:
            taken, record = _take_lease(store, record, clock)
            if not taken:
                in_flight = True
            else:
                # Under the lease nobody else delivers, so the bucket's answer now is final: a
                # request that read the signature before another one delivered sends nothing again.
                try:
                    stored, emailed = _delivered(record, documents.head(key))
                except ServiceUnavailableError:
                    logger.exception("signed copy could not be looked up", extra={"key": key})
                    _let_go(store, record, {})
                    (stored, emailed), unchecked = _delivered(record, None), True
                if stored and emailed:
                    found = True
                    _no_longer_owed(store, record)
                elif not unchecked:
                    stored, emailed = _deliver_copy(
                        store,
                        mailer,
                        documents,
                        record,
                        guest,
                        meta,
                        (stored, emailed),
                        settings=settings,
                        clock=clock,
                        waiver_dir=waiver_dir,
                    )
    if in_flight:
        state = "in_flight"
    elif unchecked:
        state = "unchecked"
    elif found:
        state = "found_delivered"
    else:
        state = "delivered" if stored and emailed else "owed"
    return stored, emailed, state


def _answer(
    record: Item, guest: Item, stored: bool, emailed: bool, state: str, *, already: bool, settings: Settings
) -> dict[str, Any]:
    signed = _local_stamp(str(record["signed_at"]), settings)
    if already:
        message = f"Already signed ({signed}): you are confirmed for this sail."
    else:
        message = "Thank you: your waiver is signed and you are confirmed for this sail."
    if state == "in_flight":
        message += " Your copy is on its way by email."
    elif state == "unchecked":
        message += " We could not check on your copy just now; sign again later to make sure it reaches you."
    elif not (stored and emailed):
        message += (
            " Your copy could not be stored or emailed yet; we will retry within the hour"
            " (or sign again later to retry now, or ask the crew)."
        )
    return {
        "status": "already signed" if already else "signed",
        "message": message,
        "guest": guest_view(guest),
        "signature": {**signature_view(record), "copy_stored": stored, "copy_emailed": emailed},
        "copy_stored": stored,
        "copy_emailed": emailed,
    }


def _no_longer_owed(store: Store, record: Item) -> None:
    """A copy the bucket shows delivered while its record still lists it as owed (a normal
    delivery, listed since signing; a delivery whose record write failed; a look that raced
    one): record it done, out of the index."""
    if not record.get("gsi1pk"):
        return
    pk, sk = keys.waiver(str(record["sail_id"]), str(record["guest_id"]))
    try:
        store.update(
            pk,
            sk,
            "SET copy_stored = :true, copy_emailed = :true REMOVE gsi1pk, gsi1sk",
            condition="attribute_exists(gsi1pk)",
            values={":true": True},
        )
    except (ServiceUnavailableError, ConditionFailedError):
        logger.warning("delivered copy still listed as owed", extra={"key": record.get("object_key")})


def _owed(record: Item) -> dict[str, str]:
    """The GSI1 key that lists this signature among the owed copies (the nudge run finishes them)."""
    gsi1pk, gsi1sk = keys.owed_waiver_copy(str(record["signed_at"]), str(record["sail_id"]), str(record["guest_id"]))
    return {"gsi1pk": gsi1pk, "gsi1sk": gsi1sk}


def _let_go(store: Store, record: Item, flags: dict[str, bool]) -> None:
    """Release this request's lease (so a retry may start at once), recording `flags` (what a
    failed attempt leaves owed) and, with them, the owed-copies index key, in the same write.
    Only our own lease: one taken over since is not ours to end."""
    pk, sk = keys.waiver(str(record["sail_id"]), str(record["guest_id"]))
    fields: dict[str, Any] = {**flags, **_owed(record)} if flags else {}
    sets = ", ".join(f"{name} = :{name}" for name in fields)
    try:
        store.update(
            pk,
            sk,
            (f"SET {sets} " if sets else "") + "REMOVE copy_lease_until",
            condition="copy_lease_until = :mine",
            values={":mine": record.get("copy_lease_until"), **{f":{name}": value for name, value in fields.items()}},
        )
    except (ServiceUnavailableError, ConditionFailedError):
        logger.warning("copy lease left to expire", extra={"key": record.get("object_key")})


def _deliver_copy(
    store: Store,
    mailer: MailSender,
    documents: DocumentStore,
    record: Item,
    guest: Item,
    meta: Item,
    delivered: tuple[bool, bool],
    *,
    settings: Settings,
    clock: Clock,
    waiver_dir: Path,
    just_signed: bool = False,
) -> tuple[bool, bool]:
    """Under the lease: email the signed copy, then put it in the bucket (never overwriting) with
    the message's id in its metadata, whatever of the two is still owed (`delivered`).

    The stored copy is the durable record that the copy went out, so the signing request's full
    delivery (`just_signed`) writes nothing to DynamoDB: the lease simply runs out, and the next
    nudge run unlists the copy when it finds it stored. A retry's delivery unlists it at once.
    Failures write: a failed email lets go of the lease (recording `copy_emailed = false`); an
    email whose copy could not be stored is recorded (`copy_emailed`, its message id) so a
    retry stores it without mailing again. At least once: the one duplicate possible is a crash
    between the email and the put (or a failed put and a failed record of the email), after
    which the lease runs out and a retry mails it again."""
    stored, emailed = delivered
    key = str(record["object_key"])
    try:
        waiver = load_waiver(str(record["version"]), directory=waiver_dir)
        if waiver.sha256 != record["text_sha256"]:
            raise ConfigurationError(f"Waiver {waiver.version} no longer matches the hash this signature recorded.")
        text = signed_copy(record, waiver, guest, meta, settings)
    except ConfigurationError:
        logger.exception("signed copy cannot be built", extra={"key": key})
        _let_go(store, record, {"copy_stored": stored, "copy_emailed": emailed})
        return delivered
    message_id = str(record.get("copy_message_id") or "-")
    if not emailed:
        try:
            message = render_email(
                "waiver_signed",
                [str(guest["email"])],
                {
                    "name": guest.get("name", ""),
                    "sail": _sail_context(meta, settings),
                    "signed_at": _local_stamp(str(record["signed_at"]), settings),
                    "version": record["version"],
                    "sha256": record["text_sha256"],
                    "copy": text,
                },
            )
            message_id = mailer.send(message) or "-"
        except (ServiceUnavailableError, ConfigurationError):
            logger.exception("signed copy not emailed", extra={"key": key})
            _let_go(store, record, {"copy_stored": stored, "copy_emailed": False})
            return delivered
        emailed_now = emailed = True
    else:
        emailed_now = False
    if not stored:
        try:
            documents.put_new(
                key,
                text.encode("utf-8"),
                metadata={
                    "waiver-version": str(record["version"]),
                    "waiver-sha256": str(record["text_sha256"]),
                    COPY_MESSAGE_ID: message_id,
                },
            )
            stored = True  # (False: already there, which a HeadObject under the lease ruled out)
        except (ServiceUnavailableError, ConfigurationError):
            logger.exception("signed copy emailed but not stored", extra={"key": key})
    pk, sk = keys.waiver(str(record["sail_id"]), str(record["guest_id"]))
    if stored and just_signed:
        return True, True  # the normal path: nothing to write
    if not stored and not emailed_now:
        # The email was recorded before; the copy is still owed (and listed so, as before).
        _let_go(store, record, {"copy_stored": False, "copy_emailed": True})
        return stored, emailed
    # Record that a retry delivered what was owed (leaving the owed-copies index), or that this
    # email went out while its copy could not be stored (whoever holds the lease by now: it must
    # not mail it again), listing the copy as owed.
    values: dict[str, Any] = {":stored": stored, ":true": True}
    update = "SET copy_stored = :stored, copy_emailed = :true"
    if emailed_now:
        update += ", copy_emailed_at = :at, copy_message_id = :id"
        values.update({":at": iso(clock()), ":id": message_id})
    if stored:
        update += " REMOVE copy_lease_until, gsi1pk, gsi1sk"
    else:
        owed = _owed(record)
        update += ", gsi1pk = :owed_pk, gsi1sk = :owed_sk REMOVE copy_lease_until"
        values.update({":owed_pk": owed["gsi1pk"], ":owed_sk": owed["gsi1sk"]})
    try:
        store.update(pk, sk, update, condition="attribute_exists(pk)", values=values)
    except ServiceUnavailableError:
        logger.exception("signed copy delivery not recorded", extra={"key": key})
    return stored, emailed


def complete_waiver_copies(
    store: Store,
    mailer: MailSender,
    documents: DocumentStore,
    sail_id: str,
    guest_id: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
    waiver_dir: Path = WAIVER_DIR,
) -> dict[str, Any] | None:
    """Finish a signature whose copy was not stored or emailed (the nudge run's job for every
    copy listed as owed); None if unsigned. The sail, guest and signature are one BatchGetItem;
    then as a second signing would: the bucket says what is done, the lease who is on it, and
    nothing is mailed twice. The answer adds `copy`: delivered | found_delivered | in_flight |
    unchecked | owed."""
    settings = settings or get_settings()
    meta, guest, record = _sail_guest_waiver(store, sail_id, guest_id)
    if not record:
        return None
    stored, emailed, state = _settle_copy(
        store, mailer, documents, record, guest, meta, settings=settings, clock=clock, waiver_dir=waiver_dir
    )
    return {**_answer(record, guest, stored, emailed, state, already=True, settings=settings), "copy": state}
