"""Sign-in: login links, redeeming magic codes, ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from quarterdeck.auth import Caller, CodeGrant, Purpose, SigningKeys, consume_code, issue_code, issue_token
from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import CodeRejectedError, RateLimitedError
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import ensure_person, get_person, revoke_session
from quarterdeck.store import ConditionFailedError, Store
from quarterdeck.validation import email_address


@dataclass(frozen=True)
class SignIn:
    token: str
    caller: Caller
    grant: CodeGrant


def magic_link(code: str, settings: Settings | None = None) -> str:
    """The page a code opens; the page POSTs the code, so a prefetching scanner consumes nothing."""
    settings = settings or get_settings()
    return f"{settings.app_url}/#/magic?code={code}"


def _within_rate(store: Store, email: str, settings: Settings, clock: Clock) -> bool:
    """At most `login_links_per_hour` links per email per hour (one conditional counter)."""
    now = clock()
    hour = now.strftime("%Y%m%d%H")
    try:
        store.update(
            f"RATE#login#{email}",
            hour,
            "ADD #count :one SET expires_at = :expires",
            condition="attribute_not_exists(#count) OR #count < :limit",
            names={"#count": "count"},
            values={":one": 1, ":limit": settings.login_links_per_hour, ":expires": epoch(now + timedelta(hours=2))},
        )
        return True
    except ConditionFailedError:
        return False


def request_login_link(
    store: Store,
    mailer: MailSender,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> None:
    """Mail a login link to a known person. Unknown emails and rate-limited ones get nothing,
    and the caller cannot tell the difference."""
    settings = settings or get_settings()
    address = email_address(email)
    person = get_person(store, address)
    # Guests sign in only through their waiver link, never with a crew login link.
    if not (settings.is_admin(address) or (person and person.get("role") in ("admin", "crew"))):
        logger.info("login link asked for an unknown email")
        return
    if not _within_rate(store, address, settings, clock):
        logger.info("login link rate limit reached")
        return
    code = issue_code(store, address, Purpose.login(), timedelta(minutes=settings.login_link_minutes), clock=clock)
    mailer.send(
        render_email("login", [address], {"link": magic_link(code, settings), "minutes": settings.login_link_minutes})
    )


def _failures_window(source: str, settings: Settings, clock: Clock) -> tuple[str, str, int]:
    """The counter of wrong codes from `source` in the current window: (pk, sk, expires_at)."""
    length = settings.magic_code_window_minutes * 60
    start = epoch(clock()) // length * length
    return f"RATE#magic#{source}", str(start), start + 2 * length


def _too_many_failures(store: Store, source: str, settings: Settings, clock: Clock) -> bool:
    pk, sk, _ = _failures_window(source, settings, clock)
    counter = store.get(pk, sk, consistent=True) or {}
    return int(counter.get("count", 0)) >= settings.magic_code_failures_per_window


def _count_failure(store: Store, source: str, settings: Settings, clock: Clock) -> None:
    pk, sk, expires = _failures_window(source, settings, clock)
    store.update(
        pk,
        sk,
        "ADD #count :one SET expires_at = :expires",
        names={"#count": "count"},
        values={":one": 1, ":expires": expires},
    )


def redeem_code(
    store: Store,
    keys: SigningKeys,
    code: str,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> SignIn:
    """Consume a magic code once and open a session for its owner.

    `source` (the caller's address) limits guessing: after `magic_code_failures_per_window`
    wrong codes from it, every code from it (right or wrong, so nothing tells them apart) is
    answered 429 until the window ends, and is not consumed."""
    settings = settings or get_settings()
    if source and _too_many_failures(store, source, settings, clock):
        logger.info("magic code attempts limited")
        raise RateLimitedError(
            f"Too many sign-in attempts from this network. Wait {settings.magic_code_window_minutes} minutes, "
            "then open the newest link from your email.",
            field="code",
            code="too_many_attempts",
        )
    try:
        grant = consume_code(store, code, clock=clock)
    except CodeRejectedError:
        if source:
            _count_failure(store, source, settings, clock)
        raise
    purpose = grant.purpose
    # A waiver link only ever opens a guest session, whoever owns the address.
    role = "guest" if purpose.kind == "waiver" else ("admin" if settings.is_admin(grant.email) else "crew")
    ensure_person(store, grant.email, role, clock=clock)
    token, caller = issue_token(
        keys,
        grant.email,
        role,
        sail_id=purpose.sail_id if role == "guest" else None,
        guest_id=purpose.guest_id if role == "guest" else None,
        settings=settings,
        clock=clock,
    )
    return SignIn(token=token, caller=caller, grant=grant)


def end_session(store: Store, caller: Caller, *, clock: Clock = system_clock) -> None:
    revoke_session(store, caller.email, caller.jti, caller.expires, clock=clock)
