"""Magic-link codes and session tokens.

A code carries 256 random bits; only its SHA-256 is stored, with its purpose, owner and
expiry. Consuming it is one conditional write, so a code works exactly once. Sessions are
HS256 JWTs signed with a key from Secrets Manager (cached); the algorithm is pinned and
every claim is required.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import AuthenticationError, CodeRejectedError, InvalidInputError
from quarterdeck.people import RecentPeople, recent_people
from quarterdeck.store import ConditionFailedError, Item, Store, TransactionCanceledError, Write

ROLES = ("admin", "crew", "guest")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "role", "iat", "exp", "jti"]


# --- purposes ------------------------------------------------------------------
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


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _code_key(code_hash: str) -> tuple[str, str]:
    return f"CODE#{code_hash}", "META"


def code_key(code: str) -> tuple[str, str]:
    """Where the code (given in clear) is stored: under its SHA-256."""
    return _code_key(hash_code(code))


def code_pointer_key(link: str) -> tuple[str, str]:
    """The `CODEREF#` item naming the one live code of a link (an invite, a waiver link)."""
    return f"CODEREF#{link}", "META"


@dataclass(frozen=True)
class NewCode:
    """A code not stored yet: `writes` store it (and revoke the link's previous code) inside the
    caller's own transaction. `code` is the only copy in clear; `pointer_index` is the position
    of the pointer's write in `writes` (its cancellation reason says another code won the link)."""

    code: str
    writes: list[Write]
    pointer_index: int | None = None


def new_code(
    email: str,
    purpose: Purpose,
    valid_for: timedelta,
    *,
    replaces: str | None = None,
    pointer: Item | None = None,
    clock: Clock = system_clock,
) -> NewCode:
    """A fresh 256-bit code and the transaction items that store its SHA-256 (never the code).

    With `replaces` (a link with one live code at a time), `pointer` is the link's `CODEREF#`
    item as the caller read it (in its own batch read; None if absent): the writes move the
    pointer to the new code only if it still names the code read (so of two simultaneous
    issues one is cancelled, never two live codes) and revoke that previous code."""
    code = secrets.token_urlsafe(32)
    code_hash = hash_code(code)
    now = clock()
    pk, sk = _code_key(code_hash)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "code",
        "email": email.lower(),
        "purpose": str(purpose),
        "used": False,
        "created_at": iso(now),
        "expires_at": epoch(now + valid_for),
    }
    writes = [Write("Put", item=item, condition="attribute_not_exists(pk)")]
    if not replaces:
        return NewCode(code, writes)
    pointer_pk, pointer_sk = code_pointer_key(replaces)
    previous = str((pointer or {}).get("code_hash") or "")
    moved = {"pk": pointer_pk, "sk": pointer_sk, "type": "code_ref", "code_hash": code_hash, "link": replaces}
    moved["expires_at"] = item["expires_at"]
    if previous:
        writes.append(Write("Put", item=moved, condition="code_hash = :previous", values={":previous": previous}))
    else:
        writes.append(Write("Put", item=moved, condition="attribute_not_exists(pk)"))
    if previous and int((pointer or {}).get("expires_at") or 0) > epoch(now):
        # A pointer still live names a code still live (TTL deletes only after expiry): revoke it.
        writes.append(
            Write(
                "Update",
                key=dict(zip(("pk", "sk"), _code_key(previous), strict=True)),
                update="SET used = :true, revoked = :true",
                condition="attribute_exists(pk)",
                values={":true": True},
            )
        )
    return NewCode(code, writes, pointer_index=1)


def issue_code(
    store: Store,
    email: str,
    purpose: Purpose,
    valid_for: timedelta,
    *,
    replaces: str | None = None,
    clock: Clock = system_clock,
    attempts: int = 3,
) -> str:
    """Store a new one-time code and return it (the only time it exists in clear).

    `replaces` names a link that has only one live code at a time (an invite for a slot,
    a waiver link): issuing a new one revokes the previous in the same transaction. Routes
    put `new_code(...)`'s writes in their own transaction instead (no round trip of its own)."""
    if not replaces:
        issued = new_code(email, purpose, valid_for, clock=clock)
        store.put(issued.writes[0].item or {}, condition="attribute_not_exists(pk)")
        return issued.code
    for attempt in range(1, attempts + 1):
        pointer = store.get(*code_pointer_key(replaces), consistent=True)
        issued = new_code(email, purpose, valid_for, replaces=replaces, pointer=pointer, clock=clock)
        try:
            store.transact(issued.writes)
            return issued.code
        except TransactionCanceledError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _rejection(current: Item | None, now: datetime) -> CodeRejectedError | None:
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


def usable_code(item: Item | None, *, clock: Clock = system_clock) -> CodeGrant:
    """What a code read from the table grants, if it can be used now; raises CodeRejectedError
    saying why not. Reading decides nothing: `use_code_write` in the same transaction does."""
    rejected = _rejection(item, clock())
    if rejected is not None:
        raise rejected
    assert item is not None  # nosec B101 - narrows the type: _rejection refuses a missing code
    return CodeGrant(email=str(item["email"]), purpose=Purpose.parse(str(item["purpose"])))


def use_code_write(code: str, *, clock: Clock = system_clock) -> Write:
    """The transaction item that uses a code once: unused, unexpired, or the transaction is cancelled."""
    now = clock()
    pk, sk = code_key(code)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update="SET used = :true, used_at = :now_iso",
        condition="attribute_exists(pk) AND used = :false AND expires_at > :now",
        values={":true": True, ":false": False, ":now": epoch(now), ":now_iso": iso(now)},
    )


def consume_code(store: Store, code: str, *, clock: Clock = system_clock) -> CodeGrant:
    """Use a code once. Raises CodeRejectedError saying why it is refused."""
    check_code_text(code)
    now = clock()
    try:
        item = store.update(
            *code_key(code),
            "SET used = :true, used_at = :now_iso",
            condition="attribute_exists(pk) AND used = :false AND expires_at > :now",
            values={":true": True, ":false": False, ":now": epoch(now), ":now_iso": iso(now)},
        )
    except ConditionFailedError as lost:
        rejected = _rejection(lost.current, now)
        raise rejected or CodeRejectedError("This link has expired. Ask for a new one.", field="code") from None
    return CodeGrant(email=item["email"], purpose=Purpose.parse(item["purpose"]))


# --- session tokens --------------------------------------------------------------
@dataclass(frozen=True)
class SigningKeys:
    """The current key signs; any listed key verifies (so a rotation does not log everyone out)."""

    current_kid: str
    keys: dict[str, str]

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> SigningKeys:
        kid, key = str(secret.get("kid", "")), str(secret.get("key", ""))
        if not kid or len(key) < 32:
            raise ValueError("signing secret must hold a kid and a key of at least 32 characters")
        keys = {kid: key}
        previous = secret.get("previous") or {}
        if previous.get("kid") and previous.get("key"):
            keys[str(previous["kid"])] = str(previous["key"])
        return cls(current_kid=kid, keys=keys)


SIGNING_KEYS_MAX_AGE = 300  # seconds a container keeps the signing secret it read


def keys_in_secret(secret_id: str) -> SigningKeys:
    """The keys a secret of ours holds (`{kid, key, previous?}`), kept for five minutes per
    container (one read on the shared client, not a boto3 session of its own: see
    quarterdeck.secret_values)."""
    from quarterdeck.secret_values import secret_cache

    return SigningKeys.from_secret(secret_cache.json_secret(secret_id, max_age=SIGNING_KEYS_MAX_AGE))


def load_signing_keys(settings: Settings | None = None) -> SigningKeys:
    """The session-signing keys."""
    return keys_in_secret((settings or get_settings()).signing_secret_id)


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request."""

    email: str
    role: str
    jti: str
    expires: int
    sail_id: str | None = None
    guest_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_guest(self) -> bool:
        return self.role == "guest"


def issue_token(
    keys: SigningKeys,
    email: str,
    role: str,
    *,
    sail_id: str | None = None,
    guest_id: str | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> tuple[str, Caller]:
    import jwt

    settings = settings or get_settings()
    now: datetime = clock()
    expires = now + timedelta(hours=settings.session_hours)
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": email.lower(),
        "role": role,
        "iat": epoch(now),
        "nbf": epoch(now),
        "exp": epoch(expires),
        "jti": jti,
    }
    if sail_id:
        claims["sail_id"] = sail_id
    if guest_id:
        claims["guest_id"] = guest_id
    token = jwt.encode(claims, keys.keys[keys.current_kid], algorithm="HS256", headers={"kid": keys.current_kid})
    caller = Caller(email=email.lower(), role=role, jti=jti, expires=epoch(expires), sail_id=sail_id, guest_id=guest_id)
    return token, caller


def verify_token(token: str, keys: SigningKeys, *, settings: Settings | None = None) -> Caller:
    """Check signature, algorithm, issuer, audience, times and claims; raise AuthenticationError."""
    import jwt

    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
        key = keys.keys.get(str(header.get("kid", "")))
        if header.get("alg") != "HS256" or key is None:
            raise AuthenticationError("Your session is not valid. Please sign in again.")
        claims = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("Your session has expired. Please sign in again.") from None
    except jwt.PyJWTError:
        raise AuthenticationError("Your session is not valid. Please sign in again.") from None
    role = claims.get("role")
    if role not in ROLES or not isinstance(claims.get("sub"), str):
        raise AuthenticationError("Your session is not valid. Please sign in again.")
    if role == "guest" and not (claims.get("sail_id") and claims.get("guest_id")):
        raise AuthenticationError("Your session is not valid. Please sign in again.")
    return Caller(
        email=claims["sub"],
        role=role,
        jti=str(claims["jti"]),
        expires=int(claims["exp"]),
        sail_id=claims.get("sail_id"),
        guest_id=claims.get("guest_id"),
    )


def authenticate(
    store: Store,
    token: str,
    keys: SigningKeys,
    *,
    settings: Settings | None = None,
    people: RecentPeople = recent_people,
) -> Caller:
    """A verified token whose person still exists and has not logged this session out.

    The person record comes from this container's recent reads when it is younger than
    `settings.person_cache_seconds` (docs/decisions.md: a warm request costs no DynamoDB call)."""
    settings = settings or get_settings()
    caller = verify_token(token, keys, settings=settings)
    # Admin rights live in the deploy parameter: an email taken off the list loses them at once,
    # not when its last admin token expires.
    if caller.is_admin and not settings.is_admin(caller.email):
        raise AuthenticationError("Your access has changed. Please sign in again.")
    person = people.get(store, caller.email, max_age=settings.person_cache_seconds)
    if person is None:
        raise AuthenticationError("This account no longer exists.")
    if caller.jti in (person.get("revoked") or {}):
        raise AuthenticationError("You have signed out. Please sign in again.")
    return caller
