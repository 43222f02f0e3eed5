"""Signed copies: after a guest signs, the copy goes to the guest by email, then to the data
bucket (never overwritten) with the email's message id in its metadata; and the hourly nudge
run finishes the copies not yet known delivered.

The signature is written holding a copy lease and listed among the owed copies (a sparse
index, see `GuestRepository`). The stored copy is the record that it went out, so a full
delivery by the signing request writes nothing more to DynamoDB (two round trips in all).
Listed from the start, a copy is never lost, even if the request dies between its transaction
and the delivery (a timeout, a crash): the run (`finish_owed_copies`) takes every listed copy
whose lease has run out, asks the bucket (HeadObject) and either unlists a copy found
delivered or delivers it, through `complete_waiver_copies`. A failure is recorded on
the signature (`copy_emailed` false, or true with its message id while the copy is not
stored), and posting the signature again finishes it too. Nothing is mailed twice.

Quiet hours do not apply (the guest is waiting for their copy). One copy's failure is reported
in the run's summary and the run goes on; the copy stays listed for the next run. jinja2 and
the S3 client load only when something is listed, so an hour with no new signature costs one
Query more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, epoch, iso
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConfigurationError, QuarterdeckError, ServiceUnavailableError
from quarterdeck.formatting import local_stamp
from quarterdeck.guests import guest_view, read_sail, sail_context
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.guests import GuestRepository
from quarterdeck.waiver_text import WAIVER_DIR, load_waiver, signed_copy

if TYPE_CHECKING:
    from quarterdeck.documents import DocumentStore
    from quarterdeck.nudge_summary import NudgeSummary

# How long one request may own the after-signing effects (email + store the copy) before a
# retry may take over: long enough for S3 and SES with their retries, short enough to retry soon.
COPY_LEASE_SECONDS = 90
# The stored copy's metadata naming the SES message that mailed it (S3 lower-cases the key).
COPY_MESSAGE_ID = "ses-message-id"
WAIVER_COPY = "waiver_copy"
# At most this many owed copies per run (oldest first); the rest wait an hour. Each costs a few
# calls and one email: a backlog after an SES outage drains without nearing the 300 s timeout.
COPIES_PER_RUN = 100


@dataclass(frozen=True)
class CopyDelivery:
    """What delivering a signed copy works with."""

    guests: GuestRepository
    mailer: MailSender
    documents: DocumentStore
    settings: Settings
    clock: Clock
    waiver_dir: Path = WAIVER_DIR


def signature_view(item: Item) -> dict[str, Any]:
    """A signature as the API shows it. `copy_stored` / `copy_emailed` come from the flags a failed
    delivery records; a signature without them had its copy delivered by the request that signed
    (the copy in the bucket is the record of that, and a full delivery writes nothing here)."""
    fields = ("full_name", "minor", "guardian_name", "version", "text_sha256", "signed_at")
    view = {name: item[name] for name in fields if item.get(name) is not None}
    view["copy_stored"] = bool(item.get("copy_stored", True))
    view["copy_emailed"] = bool(item.get("copy_emailed", True))
    return view


def finish(
    how: CopyDelivery, record: Item, guest: Item, meta: Item, *, already: bool, leased: bool = False
) -> dict[str, Any]:
    """Deliver the signed copy if that is still owed, then say how things stand."""
    stored, emailed, state = settle_copy(how, record, guest, meta, leased=leased)
    return _answer(record, guest, stored, emailed, state, already=already, settings=how.settings)


def _lease_is_live(record: Item, clock: Clock) -> bool:
    return int(record.get("copy_lease_until") or 0) >= epoch(clock())


def _delivered(record: Item, found: dict[str, str] | None) -> tuple[bool, bool]:
    """(stored, emailed) from the bucket's answer for the copy's key and what the record says.
    A copy in the bucket names the message that mailed it (the email goes first); a record says
    `copy_emailed` only when the email went out but the copy could not be stored (or, before
    2026-11-23, when both were flagged as they completed)."""
    emailed = bool(record.get("copy_emailed")) or bool(found and found.get(COPY_MESSAGE_ID))
    return found is not None, emailed


def _look(how: CopyDelivery, record: Item) -> tuple[bool, bool] | None:
    """What the bucket says is delivered (one HeadObject); None if it could not be asked."""
    try:
        return _delivered(record, how.documents.head(str(record.get("object_key"))))
    except ServiceUnavailableError:
        logger.exception("signed copy could not be looked up", extra={"key": record.get("object_key")})
        return None


def settle_copy(
    how: CopyDelivery, record: Item, guest: Item, meta: Item, *, leased: bool = False
) -> tuple[bool, bool, str]:
    """Deliver the signed copy if that is still owed. Returns (stored, emailed, state), the
    state being `delivered` (now), `found_delivered` (the bucket holds it already: it is
    unlisted, nothing is sent), `in_flight` (another request holds the lease), `unchecked` (the
    bucket could not be asked) or `owed` (an attempt failed; the copy stays listed as owed).

    `leased`: this request wrote the signature with its lease, so nothing is delivered yet and
    nobody else delivers it: no look first. Otherwise the bucket says whether the copy was
    delivered (one HeadObject), and the lease whether someone is delivering it right now."""
    if leased:
        stored, emailed = _deliver_copy(how, record, guest, meta, (False, False), just_signed=True)
        return stored, emailed, "delivered" if stored and emailed else "owed"
    looked = _look(how, record)
    if looked is None:
        return *_delivered(record, None), "unchecked"
    if all(looked):
        _no_longer_owed(how, record)  # (only a record still listed as owed is written)
        return *looked, "found_delivered"
    if _lease_is_live(record, how.clock):
        return *looked, "in_flight"  # another request is delivering the copy right now
    now = epoch(how.clock())
    taken, current = how.guests.take_copy_lease(record, now=now, until=now + COPY_LEASE_SECONDS)
    record = current or record
    if not taken:
        return *looked, "in_flight"
    # Under the lease nobody else delivers, so the bucket's answer now is final: a request that
    # read the signature before another one delivered sends nothing again.
    looked = _look(how, record)
    if looked is None:
        _let_go(how, record, {})
        return *_delivered(record, None), "unchecked"
    if all(looked):
        _no_longer_owed(how, record)
        return *looked, "found_delivered"
    stored, emailed = _deliver_copy(how, record, guest, meta, looked)
    return stored, emailed, "delivered" if stored and emailed else "owed"


def _answer(
    record: Item, guest: Item, stored: bool, emailed: bool, state: str, *, already: bool, settings: Settings
) -> dict[str, Any]:
    signed = local_stamp(str(record["signed_at"]), settings.timezone)
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


def _no_longer_owed(how: CopyDelivery, record: Item) -> None:
    """A copy the bucket shows delivered while its record still lists it as owed (a normal
    delivery, listed since signing; a delivery whose record write failed; a look that raced
    one): record it done, out of the index."""
    if not record.get("copy_owed"):
        return
    try:
        if how.guests.unlist_copy(record):
            return
    except ServiceUnavailableError:
        pass
    logger.warning("delivered copy still listed as owed", extra={"key": record.get("object_key")})


def _let_go(how: CopyDelivery, record: Item, flags: dict[str, bool]) -> None:
    """Release this request's lease (so a retry may start at once), recording `flags` (what a
    failed attempt leaves owed) and, with them, listing the copy as owed, in the same write.
    Only our own lease: one taken over since is not ours to end."""
    try:
        if how.guests.release_copy_lease(record, flags):
            return
    except ServiceUnavailableError:
        pass
    logger.warning("copy lease left to expire", extra={"key": record.get("object_key")})


def _email_copy(how: CopyDelivery, record: Item, guest: Item, meta: Item, text: str) -> str:
    message = render_email(
        "waiver_signed",
        [str(guest["email"])],
        {
            "name": guest.get("name", ""),
            "sail": sail_context(meta, how.settings),
            "signed_at": local_stamp(str(record["signed_at"]), how.settings.timezone),
            "version": record["version"],
            "sha256": record["text_sha256"],
            "copy": text,
        },
    )
    return how.mailer.send(message) or "-"


def _deliver_copy(
    how: CopyDelivery, record: Item, guest: Item, meta: Item, delivered: tuple[bool, bool], *, just_signed: bool = False
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
        waiver = load_waiver(str(record["version"]), directory=how.waiver_dir, texts=how.guests)
        if waiver.sha256 != record["text_sha256"]:
            raise ConfigurationError(f"Waiver {waiver.version} no longer matches the hash this signature recorded.")
        text = signed_copy(record, waiver, guest, meta, how.settings)
    except ConfigurationError:
        logger.exception("signed copy cannot be built", extra={"key": key})
        _let_go(how, record, {"copy_stored": stored, "copy_emailed": emailed})
        return delivered
    message_id = str(record.get("copy_message_id") or "-")
    emailed_now = not emailed
    if emailed_now:
        try:
            message_id = _email_copy(how, record, guest, meta, text)
        except (ServiceUnavailableError, ConfigurationError):
            logger.exception("signed copy not emailed", extra={"key": key})
            _let_go(how, record, {"copy_stored": stored, "copy_emailed": False})
            return delivered
        emailed = True
    if not stored:
        metadata = {
            "waiver-version": str(record["version"]),
            "waiver-sha256": str(record["text_sha256"]),
            COPY_MESSAGE_ID: message_id,
        }
        try:
            how.documents.put_new(key, text.encode("utf-8"), metadata=metadata)
            stored = True  # (False: already there, which a HeadObject under the lease ruled out)
        except (ServiceUnavailableError, ConfigurationError):
            logger.exception("signed copy emailed but not stored", extra={"key": key})
    if stored and just_signed:
        return True, True  # the normal path: nothing to write
    if not stored and not emailed_now:
        # The email was recorded before; the copy is still owed (and listed so, as before).
        _let_go(how, record, {"copy_stored": False, "copy_emailed": True})
        return stored, emailed
    # Record that a retry delivered what was owed (leaving the owed-copies index), or that this
    # email went out while its copy could not be stored (whoever holds the lease by now: it must
    # not mail it again), listing the copy as owed.
    try:
        how.guests.record_copy_delivery(
            record, stored=stored, emailed_at=iso(how.clock()) if emailed_now else None, message_id=message_id
        )
    except ServiceUnavailableError:
        logger.exception("signed copy delivery not recorded", extra={"key": key})
    return stored, emailed


def complete_waiver_copies(how: CopyDelivery, sail_id: str, guest_id: str) -> dict[str, Any] | None:
    """Finish a signature whose copy was not stored or emailed (the nudge run's job for every
    copy listed as owed); None if unsigned. The sail, guest and signature are one read; then as
    a second signing would: the bucket says what is done, the lease who is on it, and nothing is
    mailed twice. The answer adds `copy`: delivered | found_delivered | in_flight | unchecked | owed."""
    found = read_sail(how.guests, sail_id, guest_id=guest_id, signature=True)
    if not found.signature:
        return None
    guest, meta = found.guest or {}, found.sail or {}
    stored, emailed, state = settle_copy(how, found.signature, guest, meta)
    answer = _answer(found.signature, guest, stored, emailed, state, already=True, settings=how.settings)
    return {**answer, "copy": state}


# --- the hourly run ---------------------------------------------------------------------------
def finish_owed_copies(
    guests: GuestRepository,
    mailer: MailSender,
    summary: NudgeSummary,
    *,
    settings: Settings | None = None,
    clock: Clock,
    documents: DocumentStore | None = None,
) -> None:
    """Deliver every owed copy, each outcome in `summary`: `sent[waiver_copy]` (delivered now),
    `skipped[waiver_copy:found_delivered]` (its signing request, or a retry, delivered it: now
    unlisted), `skipped[waiver_copy:in_flight]` (another request holds its lease), or a line in
    `failed` (still owed: the next run tries again)."""
    try:
        owed = guests.owed_copies(limit=COPIES_PER_RUN)
    except QuarterdeckError as error:
        summary.failed.append(f"{WAIVER_COPY}s: {error.message}")
        logger.exception("owed waiver copies could not be listed")
        return
    if not owed:
        return
    if documents is None:
        from quarterdeck.documents import default_document_store  # deferred: S3 only when owed

        documents = default_document_store()
    how = CopyDelivery(guests, mailer, documents, settings or get_settings(), clock)
    for item in owed:
        sail_id, guest_id = str(item.get("sail_id")), str(item.get("guest_id"))
        what = f"{WAIVER_COPY} {sail_id} {guest_id}"
        try:
            answer = complete_waiver_copies(how, sail_id, guest_id)
        except QuarterdeckError as error:
            summary.failed.append(f"{what}: {error.message}")
            logger.exception("owed waiver copy failed", extra={"sail_id": sail_id, "guest_id": guest_id})
            continue
        state = (answer or {}).get("copy")
        if state == "delivered":
            summary.sent[WAIVER_COPY] += 1
        elif state in ("found_delivered", "in_flight"):
            summary.skipped[f"{WAIVER_COPY}:{state}"] += 1
        else:
            stored, emailed = (answer or {}).get("copy_stored"), (answer or {}).get("copy_emailed")
            summary.failed.append(f"{what}: still owed ({state or 'unsigned'}; stored {stored}, emailed {emailed})")
