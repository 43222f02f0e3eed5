"""Sign-in: login links, redeeming magic codes, ending sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from quarterdeck.auth import (
    Caller,
    CodeGrant,
    Purpose,
    SigningKeys,
    code_key,
    is_code_text,
    issue_token,
    new_code,
    usable_code,
    use_code_write,
)
from quarterdeck.clock import Clock, epoch, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import CodeRejectedError, RateLimitedError, ServiceUnavailableError
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import get_person, person_upsert, recent_people, revoke_session
from quarterdeck.store import Store, TransactionCanceledError, Write
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


def _rate_write(email: str, settings: Settings, clock: Clock) -> Write:
    """At most `login_links_per_hour` links per email per hour (one conditional counter)."""
    now = clock()
    return Write(
        "Update",
        key={"pk": f"RATE#login#{email}", "sk": now.strftime("%Y%m%d%H")},
        update="ADD #count :one SET expires_at = :expires",
        condition="attribute_not_exists(#count) OR #count < :limit",
        names={"#count": "count"},
        values={":one": 1, ":limit": settings.login_links_per_hour, ":expires": epoch(now + timedelta(hours=2))},
    )


def request_login_link(
    store: Store,
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
    person = get_person(store, address)
    # Guests sign in only through their waiver link, never with a crew login link.
    if not (settings.is_admin(address) or (person and person.get("role") in ("admin", "crew"))):
        logger.info("login link asked for an unknown email")
        return
    issued = new_code(address, Purpose.login(), timedelta(minutes=settings.login_link_minutes), clock=clock)
    try:
        store.transact([_rate_write(address, settings, clock), *issued.writes])
    except TransactionCanceledError:
        logger.info("login link rate limit reached")
        return
    mailer.send(
        render_email(
            "login", [address], {"link": magic_link(issued.code, settings), "minutes": settings.login_link_minutes}
        )
    )


def _failures_window(source: str, settings: Settings, clock: Clock) -> tuple[str, str, int]:
    """The counter of wrong codes from `source` in the current window: (pk, sk, expires_at)."""
    length = settings.magic_code_window_minutes * 60
    start = epoch(clock()) // length * length
    return f"RATE#magic#{source}", str(start), start + 2 * length


def _too_many(settings: Settings) -> RateLimitedError:
    return RateLimitedError(
        f"Too many sign-in attempts from this network. Wait {settings.magic_code_window_minutes} minutes, "
        "then open the newest link from your email.",
        field="code",
        code="too_many_attempts",
    )


def _count_failure(store: Store, source: str, settings: Settings, clock: Clock) -> None:
    pk, sk, expires = _failures_window(source, settings, clock)
    store.update(
        pk,
        sk,
        "ADD #count :one SET expires_at = :expires",
        names={"#count": "count"},
        values={":one": 1, ":expires": expires},
    )


def _refused(
    store: Store, rejected: CodeRejectedError, source: str | None, settings: Settings, clock: Clock
) -> CodeRejectedError:
    if source:
        _count_failure(store, source, settings, clock)
    return rejected


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
    answered 429 until the window ends, and is not consumed.

    Two round trips: one consistent BatchGetItem of the code and the source's counter, then
    either one transaction (the code used under its condition, the counter still under the
    limit as a ConditionCheck, the person created or updated) or, for a refused code, the
    counter's ADD. The transaction decides: the read only chooses the answer's words."""
    settings = settings or get_settings()
    # A malformed code (empty, too long, not the code alphabet: a lone surrogate, a control
    # character) is a wrong guess like any other: counted, and answered as an unknown code.
    code_at = code_key(code) if is_code_text(code) else None
    counter_at = _failures_window(source, settings, clock)[:2] if source else None
    reads = [key for key in (code_at, counter_at) if key]
    found = {(item["pk"], item["sk"]): item for item in store.batch_get(reads, consistent=True)} if reads else {}
    limit = settings.magic_code_failures_per_window
    if counter_at and int(found.get(counter_at, {}).get("count", 0)) >= limit:
        logger.info("magic code attempts limited")
        raise _too_many(settings)
    try:
        grant = usable_code(found.get(code_at) if code_at else None, clock=clock)
    except CodeRejectedError as rejected:
        raise _refused(store, rejected, source, settings, clock) from None
    purpose = grant.purpose
    # A waiver link only ever opens a guest session, whoever owns the address.
    role = "guest" if purpose.kind == "waiver" else ("admin" if settings.is_admin(grant.email) else "crew")
    writes = [use_code_write(code, clock=clock), person_upsert(grant.email, role, clock=clock)]
    if counter_at:
        writes.append(
            Write(
                "ConditionCheck",
                key={"pk": counter_at[0], "sk": counter_at[1]},
                condition="attribute_not_exists(#count) OR #count < :limit",
                names={"#count": "count"},
                values={":limit": limit},
            )
        )
    try:
        store.transact(writes)
    except TransactionCanceledError as lost:
        if len(lost.reasons) > 2 and lost.reasons[2] != "None":
            logger.info("magic code attempts limited")
            raise _too_many(settings) from None
        # The code was used (or replaced) between the read and the write: say which.
        current = store.get(*code_key(code), consistent=True)
        try:
            usable_code(current, clock=clock)
        except CodeRejectedError as rejected:
            raise _refused(store, rejected, source, settings, clock) from None
        raise ServiceUnavailableError("Signing in did not go through; please open the link again.") from None
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


def end_session(store: Store, caller: Caller, *, clock: Clock = system_clock) -> None:
    revoke_session(store, caller.email, caller.jti, caller.expires, clock=clock)
