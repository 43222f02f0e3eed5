"""Unsubscribe tokens for nudge emails: the address and an expiry, under their own HMAC key.

Stateless on purpose: a link in an old email keeps working until it expires
(`Settings.unsubscribe_link_days`), and it can only ever do one harmless thing (turn that
person's nudges off). The key is not the session-signing key, so NudgeFunction, which makes
the links, never holds a key that could sign a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from quarterdeck.auth import SigningKeys, keys_in_secret
from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.repositories.people import PeopleRepository


def load_unsubscribe_keys(settings: Settings | None = None) -> SigningKeys:
    """The unsubscribe-link keys (a secret of the same shape as the signing secret)."""
    return keys_in_secret((settings or get_settings()).unsubscribe_secret_id)


def _mac(key: str, email: str, expires: int) -> str:
    message = f"unsubscribe:{email.lower()}:{expires}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(
    keys: SigningKeys, email: str, *, settings: Settings | None = None, clock: Clock = system_clock
) -> str:
    settings = settings or get_settings()
    expires = epoch(clock() + timedelta(days=settings.unsubscribe_link_days))
    encoded = base64.urlsafe_b64encode(email.lower().encode()).decode().rstrip("=")
    return f"{encoded}.{expires}.{_mac(keys.keys[keys.current_kid], email, expires)}"


def email_of_unsubscribe_token(keys: SigningKeys, token: str, *, clock: Clock = system_clock) -> str:
    """The email a token was made for; InvalidInputError if it was not made with our key or has expired."""
    encoded, expires_text, mac = [*(token or "").split("."), "", "", ""][:3]
    try:
        email = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        expires = int(expires_text)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("This unsubscribe link is not valid.", field="token") from None
    if not email or not any(hmac.compare_digest(mac, _mac(key, email, expires)) for key in keys.keys.values()):
        raise InvalidInputError("This unsubscribe link is not valid.", field="token")
    if expires <= epoch(clock()):
        raise InvalidInputError(
            "This unsubscribe link has expired. Use the link in a newer email, or ask an admin.", field="token"
        )
    return email


def unsubscribe(people: PeopleRepository, keys: SigningKeys, token: str, *, clock: Clock = system_clock) -> str:
    """Honour an unsubscribe link: that person gets no more nudges (a record is made for someone
    we only mailed). Returns the email."""
    email = email_of_unsubscribe_token(keys, token, clock=clock)
    people.set_nudges(email, False, created_at=iso(clock()))
    return email
