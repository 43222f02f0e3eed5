"""Mail sent through the local moto server, read back from moto's SES backend in this process."""

from __future__ import annotations

import email
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

_stamp_lock = threading.Lock()
_sent_at: dict[str, float] = {}


def record_send_times() -> None:
    """Stamp each raw message moto accepts with the time it arrived (moto keeps no time)."""
    from moto.ses.models import SESBackend

    original = SESBackend.send_raw_email
    if getattr(original, "_stamped", False):
        return

    def send_raw_email(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = original(self, *args, **kwargs)
        with _stamp_lock:
            _sent_at[message.id] = time.time()
        return message

    send_raw_email._stamped = True  # type: ignore[attr-defined]
    SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]


def _backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _parts(message: email.message.Message) -> tuple[str, str]:
    text, html = "", ""
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        body = payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes) else ""
        if part.get_content_type() == "text/plain" and not text:
            text = body
        elif part.get_content_type() == "text/html" and not html:
            html = body
    return text, html


# What to wait for before the outbox is read: mail handed to a background thread (login links,
# local/login_link_mail.py) is in it by then.
BEFORE_READ: list[Callable[[], Any]] = []


def messages() -> list[dict[str, Any]]:
    """Every message sent, oldest first: {id, to, bcc, subject, text, html, sent_at}."""
    for settle in BEFORE_READ:
        settle()
    found = []
    for sent in list(_backend().sent_messages):
        raw = getattr(sent, "raw_data", None)
        if raw is None:
            continue
        parsed = email.message_from_string(raw)
        to = [address for _, address in getaddresses(parsed.get_all("To", []))]
        everyone = [address for _, address in getaddresses(sent.destinations)]
        bcc = [address for address in dict.fromkeys(everyone) if address not in to]
        text, html = _parts(parsed)
        stamp = _sent_at.get(sent.id)
        found.append(
            {
                "id": sent.id,
                "to": to,
                "bcc": bcc,
                "subject": str(email.header.make_header(email.header.decode_header(parsed.get("Subject", "")))),
                "text": text,
                "html": html,
                "sent_at": datetime.fromtimestamp(stamp, UTC).isoformat() if stamp else None,
            }
        )
    return found
