"""Magic-link codes as the domain sees them: what a code is for, what using it proves, and why
a stored code cannot be used. No storage here: `quarterdeck.repositories.sign_in` keeps the codes.

A code carries 256 random bits; only its SHA-256 is stored, with its purpose, owner and expiry.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.errors import CodeRejectedError, InvalidInputError


@dataclass(frozen=True)
class Purpose:
    """What a code is for: `login`, `claim <sail>/<slot>` or `waiver <sail>/<guest>`."""

    kind: str
    sail_id: str | None = None
    slot: str | None = None
    guest_id: str | None = None

    def __str__(self) -> str:
        if self.kind == "claim":
            return f"claim {self.sail_id}/{self.slot}"
        if self.kind == "waiver":
            return f"waiver {self.sail_id}/{self.guest_id}"
        return self.kind

    @classmethod
    def parse(cls, text: str) -> Purpose:
        kind, _, rest = text.partition(" ")
        first, _, second = rest.partition("/")
        if kind == "claim":
            return cls(kind, sail_id=first, slot=second)
        if kind == "waiver":
            return cls(kind, sail_id=first, guest_id=second)
        return cls(kind)

    @classmethod
    def login(cls) -> Purpose:
        return cls("login")

    @classmethod
    def claim(cls, sail_id: str, slot: str) -> Purpose:
        return cls("claim", sail_id=sail_id, slot=slot)

    @classmethod
    def waiver(cls, sail_id: str, guest_id: str) -> Purpose:
        return cls("waiver", sail_id=sail_id, guest_id=guest_id)


@dataclass(frozen=True)
class CodeGrant:
    """What a consumed code proves: this email, for this purpose."""

    email: str
    purpose: Purpose


def fresh_code() -> str:
    """A new code in clear (256 random bits, url-safe): the only copy there will ever be."""
    return secrets.token_urlsafe(32)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def code_rejection(current: dict[str, Any] | None, now: datetime) -> CodeRejectedError | None:
    """Why a stored code (None: no such code) cannot be used now; None if it can."""
    if not current:
        return CodeRejectedError("This link is not valid. Ask for a new one.", field="code")
    if current.get("revoked"):
        return CodeRejectedError("This link was replaced by a newer one. Use the latest email.", field="code")
    if current.get("used"):
        return CodeRejectedError("This link has already been used. Ask for a new one.", field="code")
    if int(current.get("expires_at") or 0) <= epoch(now):
        return CodeRejectedError("This link has expired. Ask for a new one.", field="code")
    return None


_CODE_TEXT = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")  # codes are url-safe base64 (secrets.token_urlsafe)


def is_code_text(code: str) -> bool:
    """Whether `code` can be a code at all (before any read): the code alphabet, 1 to 200 long."""
    return bool(_CODE_TEXT.match(code or ""))


def check_code_text(code: str) -> str:
    """The code as given, or 422 naming `code` if it cannot be one."""
    if not is_code_text(code):
        raise InvalidInputError("The code is missing or malformed.", field="code")
    return code


def usable_code(item: dict[str, Any] | None, *, clock: Clock = system_clock) -> CodeGrant:
    """What a stored code grants, if it can be used now; raises CodeRejectedError saying why not.
    Reading decides nothing: the conditional write that uses the code does."""
    rejected = code_rejection(item, clock())
    if rejected is not None:
        raise rejected
    assert item is not None  # nosec B101 - narrows the type: code_rejection refuses a missing code
    return CodeGrant(email=str(item["email"]), purpose=Purpose.parse(str(item["purpose"])))
