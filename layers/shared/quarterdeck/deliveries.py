"""What became of the mail we sent: SES events recorded per MessageId, and the suppression list.

SES publishes the configuration set's events (delivery, bounce, complaint) to EventBridge;
MailEventFunction (functions/mail_events) hands each event's `detail` to `record_ses_event`,
and the local stack's outbox page simulates one through the same handler. A hard bounce
(`bounceType` Permanent) or a complaint suppresses the address with a reason people can read;
`quarterdeck.mail` then refuses (skips, logs, counts) every later send to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.mail import SUPPRESSED_PREFIX
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.deliveries import DeliveryRepository

DELIVERY, BOUNCE, COMPLAINT = "delivery", "bounce", "complaint"
SENT, SUPPRESSED = "sent", "suppressed"  # statuses without an event: no word from SES yet; never sent

_PRECEDENCE = {COMPLAINT: 3, BOUNCE: 2, DELIVERY: 1}
_EVENT_TYPES = {"delivery": DELIVERY, "bounce": BOUNCE, "complaint": COMPLAINT}


@dataclass
class Recorded:
    """What one SES event changed."""

    event: str = ""
    message_id: str = ""
    recorded: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "message_id": self.message_id,
            "recorded": self.recorded,
            "suppressed": self.suppressed,
        }


def _addresses(entries: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for entry in entries or ():
        address = entry.get("emailAddress") if isinstance(entry, Mapping) else entry
        if isinstance(address, str) and address.strip():
            found.append(address.strip().lower())
    return found


def _event_of(detail: Mapping[str, Any]) -> tuple[str, list[str], str, str | None, str]:
    """(event, recipients, detail text, suppression reason or None, SES timestamp) of an SES event."""
    kind = _EVENT_TYPES.get(str(detail.get("eventType") or detail.get("notificationType") or "").lower(), "")
    if kind == DELIVERY:
        body = detail.get("delivery") or {}
        return (
            kind,
            _addresses(body.get("recipients", [])),
            str(body.get("smtpResponse") or ""),
            None,
            body.get("timestamp", ""),
        )
    if kind == BOUNCE:
        body = detail.get("bounce") or {}
        bounce_type, sub_type = str(body.get("bounceType") or ""), str(body.get("bounceSubType") or "")
        recipients = body.get("bouncedRecipients", [])
        diagnostic = next((str(r.get("diagnosticCode")) for r in recipients if r.get("diagnosticCode")), "")
        text = f"{bounce_type or 'Undetermined'} bounce ({sub_type or 'General'})" + (
            f": {diagnostic}" if diagnostic else ""
        )
        reason = f"Hard bounce: {text}" if bounce_type == "Permanent" else None
        return kind, _addresses(recipients), text, reason, body.get("timestamp", "")
    if kind == COMPLAINT:
        body = detail.get("complaint") or {}
        feedback = str(body.get("complaintFeedbackType") or "")
        text = "Complaint" + (f" ({feedback})" if feedback else "")
        return (
            kind,
            _addresses(body.get("complainedRecipients", [])),
            text,
            f"{text}: marked as spam",
            body.get("timestamp", ""),
        )
    return "", [], "", None, ""


def record_ses_event(
    detail: Mapping[str, Any], deliveries: DeliveryRepository, *, clock: Clock = system_clock
) -> Recorded:
    """Keep one SES event (the `detail` of its EventBridge event) for each recipient it names,
    and suppress the addresses of a hard bounce or a complaint. Other event types (send,
    open, delivery delay...) are ignored. Repeated events change nothing."""
    kind, recipients, text, reason, at = _event_of(detail)
    message_id = str((detail.get("mail") or {}).get("messageId") or "")
    outcome = Recorded(event=kind, message_id=message_id)
    if not kind or not message_id:
        logger.info("mail event ignored", extra={"event_type": detail.get("eventType"), "message_id": message_id})
        return outcome
    when = str(at or iso(clock()))
    for recipient in recipients:
        if deliveries.record_event(message_id, recipient, kind, when, text):
            outcome.recorded.append(recipient)
        if reason and deliveries.suppress(recipient, reason, kind, message_id, when):
            outcome.suppressed.append(recipient)
    logger.info("mail event recorded", extra=outcome.as_dict())
    return outcome


def delivery_of(message_id: str, recipient: str, events: Sequence[Item], suppressions: Mapping[str, Item]) -> Item:
    """One recipient's delivery of one message: its latest word from SES (a complaint outranks
    a bounce, a bounce a delivery), `sent` while SES has said nothing, `suppressed` when the
    message was never sent; and the address's suppression, if any."""
    address = recipient.strip().lower()
    own = [e for e in events if e.get("recipient") == address]
    status = SUPPRESSED if message_id.startswith(SUPPRESSED_PREFIX) else SENT
    last: Item | None = max(own, key=lambda e: _PRECEDENCE.get(str(e.get("event")), 0), default=None)
    answer: Item = {"recipient": recipient, "message_id": message_id, "status": status}
    if last is not None:
        answer.update(status=str(last["event"]), at=last.get("at"), detail=last.get("detail", ""))
    if address in suppressions:
        answer["suppressed"] = {k: suppressions[address].get(k) for k in ("reason", "at", "event")}
    return answer


def deliveries_of(sends: Sequence[Mapping[str, str]], deliveries: DeliveryRepository) -> list[Item]:
    """Each (recipient, MessageId) of a sent report with what became of it (one BatchGetItem)."""

    def logged(message_id: str) -> str:  # a message never sent has no events to read
        return "" if message_id.startswith(SUPPRESSED_PREFIX) else message_id

    pairs = [(logged(str(s.get("message_id") or "")), str(s["recipient"])) for s in sends]
    events, suppressions = deliveries.log_of(pairs)
    found = []
    for send in sends:
        message_id = str(send.get("message_id") or "")
        own = [e for e in events if e.get("message_id") == message_id]
        found.append(delivery_of(message_id, str(send["recipient"]), own, suppressions))
    return found
