"""The outbox page's "Bounce" and "Complaint" buttons: an SES event for a sent message, built as
SES publishes it to EventBridge, handed to MailEventFunction's handler (the code AWS runs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from local import outbox
from local.environment import LambdaContext

EVENTS = {
    "delivery": ("Email Delivered", "Delivery"),
    "bounce": ("Email Bounced", "Bounce"),
    "complaint": ("Email Complaint Received", "Complaint"),
}


def ses_event(kind: str, message_id: str, recipients: list[str], configuration_set: str = "local") -> dict[str, Any]:
    """An EventBridge event of SES's (hard bounce, abuse complaint or delivery) for `recipients`."""
    detail_type, event_type = EVENTS[kind]
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": now,
            "messageId": message_id,
            "destination": recipients,
            "tags": {"ses:configuration-set": [configuration_set]},
        },
    }
    if kind == "bounce":
        detail["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "timestamp": now,
            "bouncedRecipients": [
                {
                    "emailAddress": r,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
                for r in recipients
            ],
        }
    elif kind == "complaint":
        detail["complaint"] = {
            "timestamp": now,
            "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": r} for r in recipients],
        }
    else:
        detail["delivery"] = {"timestamp": now, "recipients": recipients, "smtpResponse": "250 2.0.0 OK"}
    return {
        "version": "0",
        "source": "aws.ses",
        "detail-type": detail_type,
        "account": "123456789012",
        "region": "us-east-1",
        "time": now,
        "resources": [],
        "detail": detail,
    }


def simulate(id: str = "", event: str = "bounce", recipient: str = "") -> dict[str, Any]:  # noqa: A002 - the form's name
    """Simulate `event` for outbox message `id` (to its To recipients, or to `recipient`)."""
    from mail_event_handler import handler

    if event not in EVENTS:
        raise ValueError(f"event is one of {', '.join(EVENTS)}")
    message = next((m for m in outbox.messages() if m["id"] == id), None)
    if message is None:
        raise LookupError(f"no outbox message {id!r}")
    recipients = [recipient] if recipient else list(message["to"])
    result: dict[str, Any] = handler(ses_event(event, id, recipients), LambdaContext())
    return result
