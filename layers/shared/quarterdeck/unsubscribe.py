"""Unsubscribe tokens for nudge emails: an HMAC of the email under the signing key.

Stateless and long-lived on purpose: a link in an old email must still work, and it can
only ever do one harmless thing (turn that person's nudges off).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from quarterdeck.auth import SigningKeys
from quarterdeck.errors import InvalidInputError


def _mac(key: str, email: str) -> str:
    digest = hmac.new(key.encode(), f"unsubscribe:{email.lower()}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(keys: SigningKeys, email: str) -> str:
    encoded = base64.urlsafe_b64encode(email.lower().encode()).decode().rstrip("=")
    return f"{encoded}.{_mac(keys.keys[keys.current_kid], email)}"


def email_of_unsubscribe_token(keys: SigningKeys, token: str) -> str:
    """The email a token was made for; InvalidInputError if it was not made with our key."""
    encoded, _, mac = (token or "").partition(".")
    try:
        email = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("This unsubscribe link is not valid.", field="token") from None
    if not email or not any(hmac.compare_digest(mac, _mac(key, email)) for key in keys.keys.values()):
        raise InvalidInputError("This unsubscribe link is not valid.", field="token")
    return email
