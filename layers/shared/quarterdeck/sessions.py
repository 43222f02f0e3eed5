"""Sign-in: login links, redeeming magic codes, ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from quarterdeck.auth import Caller, SigningKeys, issue_token
from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import CodeRejectedError, LimitReachedError, RateLimitedError
from quarterdeck.login_link_mail import LoginLinkMail
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


def _hour_window(clock: Clock) -> tuple[str, datetime, int]:
    """The current hour: its name, when it ends, and when its counters may be deleted."""
    now = clock().astimezone(UTC)
    ends = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return now.strftime("%Y%m%d%H"), ends, epoch(ends + timedelta(hours=1))


def login_limits(email: str, source: str, settings: Settings, clock: Clock) -> list[Limit]:
    """The counters a login-link request goes through, each per clock hour:

    - the address from this source (`login_links_per_hour`): what a person asking again and
      again meets; someone else's requests for the address, from elsewhere, do not count here;
    - the source, whatever the address (`login_links_per_source_per_hour`): one network cannot
      mail many people, nor try many addresses;
    - the address, whatever the source (`login_links_per_address_per_hour`, above the first):
      a mailbox is not flooded from many networks. One source alone cannot reach it, so one
      source cannot keep someone locked out."""
    window, _, expires = _hour_window(clock)
    return [
        Limit(f"login#{email}#{source}", window, settings.login_links_per_hour, expires),
        Limit(f"login-source#{source}", window, settings.login_links_per_source_per_hour, expires),
        Limit(f"login#{email}", window, settings.login_links_per_address_per_hour, expires),
    ]


def _too_many_links(settings: Settings, clock: Clock) -> RateLimitedError:
    _, ends, _ = _hour_window(clock)
    local = ends.astimezone(settings.timezone).strftime("%H:%M")
    return RateLimitedError(
        f"Too many sign-in links were asked for just now. Try again after {local}. "
        "If a link was sent to you, the newest one already in your inbox still works.",
        code="too_many_links",
        retry_at=ends,
    )


def request_login_link(
    sign_in: SignInRepository,
    hand_off: LoginLinkMail,
    email: str,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> None:
    """Count a login-link request and hand the address over to be mailed after the answer.

    Known and unknown addresses take the same path, in the same time: one transaction counting
    the request against `login_limits` (RateLimitedError, with when to try again, if one is
    reached: for every address alike), then the hand-off (`login_link_mail`). Nothing here reads
    the person or talks to SES, so neither the answer nor its time says whether the address is
    someone's."""
    settings = settings or get_settings()
    address = email_address(email)
    try:
        sign_in.count_within(login_limits(address, source or "unknown", settings, clock))
    except LimitReachedError:
        logger.info("login link rate limit reached")
        raise _too_many_links(settings, clock) from None
    hand_off.submit(address)


def send_login_link(
    people: PeopleRepository,
    sign_in: SignInRepository,
    mailer: MailSender,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> bool:
    """Mail a login link if the address is a member's (after the answer: the hand-off's taker).
    Guests sign in only through their waiver link; unknown addresses get nothing. Whether a
    link went out is returned for the logs and tests, never to the person who asked."""
    settings = settings or get_settings()
    address = email_address(email)
    person = people.person(address)
    # Guests sign in only through their waiver link, never with a crew login link.
    if not may_sign_in(person, address, settings):
        logger.info("login link asked for an unknown email")
        return False
    code = sign_in.issue_code(address, Purpose.login(), timedelta(minutes=settings.login_link_minutes), clock=clock)
    mailer.send(
        render_email("login", [address], {"link": magic_link(code, settings), "minutes": settings.login_link_minutes})
    )
    return True


def _wrong_codes(source: str, settings: Settings, clock: Clock) -> Limit:
    """The counter of wrong codes from `source` in the current window."""
    length = settings.magic_code_window_minutes * 60
    start = epoch(clock()) // length * length
    return Limit(f"magic#{source}", str(start), settings.magic_code_failures_per_window, start + 2 * length)


def _too_many(settings: Settings, clock: Clock) -> RateLimitedError:
    length = settings.magic_code_window_minutes * 60
    ends = datetime.fromtimestamp((epoch(clock()) // length + 1) * length, UTC)
    return RateLimitedError(
        f"Too many sign-in attempts from this network. Wait {settings.magic_code_window_minutes} minutes, "
        "then open the newest link from your email.",
        field="code",
        code="too_many_attempts",
        retry_at=ends,
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
        raise _too_many(settings, clock)
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
        raise _too_many(settings, clock) from None
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
