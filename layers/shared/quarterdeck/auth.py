"""Session tokens: HS256 JWTs signed with a key from Secrets Manager (cached); the algorithm
is pinned and every claim is required. No storage here: magic codes are
`quarterdeck.magic_codes` (what they are) and `quarterdeck.repositories.sign_in` (where they
are kept); the caller's person record comes through a `PeopleRepository`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import AuthenticationError
from quarterdeck.people import RecentPeople, effective_role, is_removed, recent_people, sessions_ended
from quarterdeck.repositories.people import PeopleRepository

ROLES = ("admin", "crew", "guest")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "role", "iat", "exp", "jti"]


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
    issued_ms: int = 0  # when the session was issued, epoch milliseconds ("sign out everywhere")

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
        "iat_ms": int(now.timestamp() * 1000),
    }
    if sail_id:
        claims["sail_id"] = sail_id
    if guest_id:
        claims["guest_id"] = guest_id
    token = jwt.encode(claims, keys.keys[keys.current_kid], algorithm="HS256", headers={"kid": keys.current_kid})
    caller = Caller(
        email=email.lower(),
        role=role,
        jti=jti,
        expires=epoch(expires),
        sail_id=sail_id,
        guest_id=guest_id,
        issued_ms=int(claims["iat_ms"]),
    )
    return token, caller


def _issued_ms(claims: dict[str, Any]) -> int:
    """When a token was issued, in milliseconds: its `iat_ms`, or `iat` for a token without one."""
    exact = claims.get("iat_ms")
    if isinstance(exact, int) and not isinstance(exact, bool):
        return exact
    return int(claims["iat"]) * 1000


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
        issued_ms=_issued_ms(claims),
    )


def standing(person: dict[str, Any] | None, caller: Caller, settings: Settings) -> str:
    """The role the person's record gives this session now; AuthenticationError, saying why,
    if it gives none (removed, signed out, no longer crew). A guest session keeps `guest`."""
    if person is None or is_removed(person):
        raise AuthenticationError("This account no longer exists.")
    if caller.jti in (person.get("revoked") or {}) or sessions_ended(person, caller.issued_ms):
        raise AuthenticationError("You have signed out. Please sign in again.")
    if caller.is_guest:
        return caller.role
    role = effective_role(person, caller.email, settings)
    if role == "guest":
        raise AuthenticationError("Your access has changed. Please sign in again.")
    return role


def authenticate(
    people: PeopleRepository,
    token: str,
    keys: SigningKeys,
    *,
    settings: Settings | None = None,
    recent: RecentPeople = recent_people,
    fresh: bool = False,
) -> Caller:
    """A verified token whose person is still on the roster and has not signed this session out,
    with the role their record gives them now (the token's role is only what it was at sign-in).

    The person record comes from this container's recent reads when it is younger than
    `settings.person_cache_seconds` (docs/decisions.md: a warm read costs no DynamoDB call);
    `fresh` reads it consistently. A request that changes something does not need to: its writes
    carry `write_guard`, which the table checks in the same call."""
    settings = settings or get_settings()
    caller = verify_token(token, keys, settings=settings)
    person = recent.get(people, caller.email, max_age=0 if fresh else settings.person_cache_seconds)
    role = standing(person, caller, settings)
    return caller if role == caller.role else replace(caller, role=role)


def guarded_role(caller: Caller, settings: Settings | None = None) -> str | None:
    """The role a write of `caller` must still have on record (`PeopleRepository.caller_check`):
    none for a guest or one of the deploy's ADMIN_EMAILS (their record cannot take it away)."""
    settings = settings or get_settings()
    return None if caller.is_guest or settings.is_admin(caller.email) else caller.role


def write_refusal(
    current: dict[str, Any] | None,
    caller: Caller,
    *,
    settings: Settings | None = None,
    recent: RecentPeople = recent_people,
) -> AuthenticationError | None:
    """Why the caller's person record as it is (`current`; None: there is none) refuses a write
    of theirs, in the words `authenticate` uses, or None if it still lets them act as admitted
    (docs/decisions.md, "A write checks its caller inside the write")."""
    settings = settings or get_settings()
    try:
        now = standing(current, caller, settings)
        if guarded_role(caller, settings) == "admin" and now != "admin":
            raise AuthenticationError("Your access has changed. Please sign in again.")
    except AuthenticationError as refused:
        recent.forget(caller.email)  # what this container remembers of them is out of date
        return refused
    return None
