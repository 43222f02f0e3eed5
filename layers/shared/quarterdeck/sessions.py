"""Sign-in: login links, redeeming magic codes, ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from quarterdeck.auth import Caller, SigningKeys, issue_token
from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import CodeRejectedError, LimitReachedError, RateLimitedError
from quarterdeck.magic_codes import CodeGrant, Purpose, is_code_text, usable_code
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import may_sign_in, recent_people, revoke_session
from quarterdeck.repositories.people import PeopleRepository
from quarterdeck.repositories.sign_in import Limit, SignInRepository
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


def _links_per_hour(email: str, settings: Settings, clock: Clock) -> Limit:
    """At most `login_links_per_hour` links per email per hour (one conditional counter)."""
    now = clock()
    return Limit(
        f"login#{email}", now.strftime("%Y%m%d%H"), settings.login_links_per_hour, epoch(now + timedelta(hours=2))
    )


def request_login_link(
    people: PeopleRepository,
    sign_in: SignInRepository,
    mailer: MailSender,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> None:
    """Mail a login link to a known person. Unknown emails and rate-limited ones get nothing,
    and the caller cannot tell the difference. Two round trips: the person, then one transaction
    counting the link against the hourly limit and storing its code (cancelled if over the limit)."""
    settings = settings or get_settings()
    address = email_address(email)
    person = people.person(address)
    # Guests sign in only through their waiver link, never with a crew login link.
    if not may_sign_in(person, address, settings):
        logger.info("login link asked for an unknown email")
        return
    try:
        code = sign_in.issue_code(
            address,
            Purpose.login(),
            timedelta(minutes=settings.login_link_minutes),
            limits=[_links_per_hour(address, settings, clock)],
            clock=clock,
        )
    except LimitReachedError:
        logger.info("login link rate limit reached")
        return
    mailer.send(
        render_email("login", [address], {"link": magic_link(code, settings), "minutes": settings.login_link_minutes})
    )


def _wrong_codes(source: str, settings: Settings, clock: Clock) -> Limit:
    """The counter of wrong codes from `source` in the current window."""
    length = settings.magic_code_window_minutes * 60
    start = epoch(clock()) // length * length
    return Limit(f"magic#{source}", str(start), settings.magic_code_failures_per_window, start + 2 * length)


def _too_many(settings: Settings) -> RateLimitedError:
    return RateLimitedError(
        f"Too many sign-in attempts from this network. Wait {settings.magic_code_window_minutes} minutes, "
        "then open the newest link from your email.",
        field="code",
        code="too_many_attempts",
    )


def _refused(sign_in: SignInRepository, rejected: CodeRejectedError, wrong_codes: Limit | None) -> CodeRejectedError:
    if wrong_codes is not None:
        sign_in.count(wrong_codes)
    return rejected


def redeem_code(
    sign_in: SignInRepository,
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
    answered 429 until the window ends, and is not consumed.

    Two round trips: one consistent read of the code and the source's counter, then either one
    transaction (the code used under its condition, the counter still under the limit, the
    person created or updated) or, for a refused code, the counter's increment. The transaction
    decides: the read only chooses the answer's words."""
    settings = settings or get_settings()
    # A malformed code (empty, too long, not the code alphabet: a lone surrogate, a control
    # character) is a wrong guess like any other: counted, and answered as an unknown code.
    known_shape = is_code_text(code)
    wrong_codes = _wrong_codes(source, settings, clock) if source else None
    limits = [wrong_codes] if wrong_codes else []
    found = sign_in.look_up(code if known_shape else None, limits)
    if wrong_codes and found.counts.get(wrong_codes.counter, 0) >= wrong_codes.limit:
        logger.info("magic code attempts limited")
        raise _too_many(settings)
    try:
        grant = usable_code(found.code, clock=clock)
    except CodeRejectedError as rejected:
        raise _refused(sign_in, rejected, wrong_codes) from None
    purpose = grant.purpose
    # A waiver link only ever opens a guest session, whoever owns the address.
    role = "guest" if purpose.kind == "waiver" else ("admin" if settings.is_admin(grant.email) else "crew")
    try:
        sign_in.redeem(code, email=grant.email, role=role, limits=limits, clock=clock)
    except LimitReachedError:
        logger.info("magic code attempts limited")
        raise _too_many(settings) from None
    except CodeRejectedError as rejected:
        raise _refused(sign_in, rejected, wrong_codes) from None
    recent_people.forget(grant.email)
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


def end_session(people: PeopleRepository, caller: Caller, *, clock: Clock = system_clock) -> None:
    revoke_session(people, caller.email, caller.jti, caller.expires, clock=clock)
