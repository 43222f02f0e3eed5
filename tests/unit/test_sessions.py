"""Sign-in as the domain decides it (quarterdeck.sessions), over the in-memory repositories."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from quarterdeck.auth import SigningKeys, authenticate
from quarterdeck.clock import Clock
from quarterdeck.config import Settings
from quarterdeck.errors import AuthenticationError, CodeRejectedError, RateLimitedError
from quarterdeck.magic_codes import Purpose
from quarterdeck.people import RecentPeople
from quarterdeck.sessions import end_session, login_limits, redeem_code, request_login_link, send_login_link
from tests.unit.fakes import FakeMailer, FixedClock
from tests.unit.memory.people import MemoryPeopleRepository, MemorySignInRepository

KEYS = SigningKeys(current_kid="k1", keys={"k1": "x" * 40})
SETTINGS = replace(Settings(), login_links_per_hour=2, magic_code_failures_per_window=3)
NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
CREATED = "2026-12-01T10:00:00+00:00"


@pytest.fixture
def people() -> MemoryPeopleRepository:
    people = MemoryPeopleRepository()
    people.add_person("crew@example.com", "crew", created_at=CREATED)
    people.add_person("guest@example.com", "guest", created_at=CREATED)
    return people


@pytest.fixture
def sign_in(people: MemoryPeopleRepository) -> MemorySignInRepository:
    return MemorySignInRepository(people)


class HandedOver:
    """The hand-off, run at once after the answer (what the self-invoke or the thread does)."""

    def __init__(self) -> None:
        self.emails: list[str] = []

    def submit(self, email: str) -> None:
        self.emails.append(email)


def ask(
    people: MemoryPeopleRepository,
    sign_in: MemorySignInRepository,
    mailer: FakeMailer,
    email: str,
    *,
    source: str = "10.0.0.9",
    settings: Settings = SETTINGS,
    clock: Clock = lambda: NOW,
) -> None:
    """A login-link request, then the hand-off's work."""
    hand_off = HandedOver()
    request_login_link(sign_in, hand_off, email, source=source, settings=settings, clock=clock)
    for address in hand_off.emails:
        send_login_link(people, sign_in, mailer, address, settings=settings, clock=clock)


def code_in(mailer: FakeMailer, email: str) -> str:
    match = re.search(r"code=([\w-]+)", mailer.to(email)[-1].text)
    assert match
    return match.group(1)


def test_crew_and_admins_get_a_link_and_nobody_else_does(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    mailer = FakeMailer()
    # Given crew, an admin of the deploy (not on record), a guest and a stranger
    # When each asks for a login link
    for email in ("crew@example.com", "admin@example.com", "guest@example.com", "stranger@example.com"):
        ask(people, sign_in, mailer, email)
    # Then crew and the admin get one; the guest and the stranger get nothing
    assert sorted(address for message in mailer.sent for address in message.to) == [
        "admin@example.com",
        "crew@example.com",
    ]


def test_links_beyond_the_hourly_limit_are_refused_saying_when(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    mailer, clock = FakeMailer(), FixedClock(NOW + timedelta(minutes=20))
    # Given crew who asked for as many links as an hour allows
    for _ in range(SETTINGS.login_links_per_hour):
        ask(people, sign_in, mailer, "crew@example.com", clock=clock)
    # When they ask once more
    with pytest.raises(RateLimitedError) as limited:
        ask(people, sign_in, mailer, "crew@example.com", clock=clock)
    # Then it is refused, saying when to try again (the hour's end) and that the newest link works
    assert limited.value.retry_at == NOW + timedelta(hours=1)
    assert "newest one already in your inbox still works" in limited.value.message
    assert len(mailer.sent) == SETTINGS.login_links_per_hour
    # And the next hour they may ask again
    clock.tick(60)
    ask(people, sign_in, mailer, "crew@example.com", clock=clock)
    assert len(mailer.sent) == SETTINGS.login_links_per_hour + 1


def test_known_and_unknown_addresses_are_answered_alike_and_never_read(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    # Given a member and a stranger asking for links
    outcomes: dict[str, list[str]] = {}
    for email in ("crew@example.com", "stranger@example.com"):
        hand_off, answers = HandedOver(), []
        for _ in range(SETTINGS.login_links_per_hour + 2):
            try:
                request_login_link(sign_in, hand_off, email, source="10.0.0.7", settings=SETTINGS, clock=lambda: NOW)
                answers.append("accepted")
            except RateLimitedError as limited:
                answers.append(limited.message)
        outcomes[email] = answers
        # Then each accepted request is handed over, known or not (the person is read afterwards)
        assert hand_off.emails == [email] * SETTINGS.login_links_per_hour
    assert outcomes["crew@example.com"] == outcomes["stranger@example.com"]


def test_one_source_cannot_lock_a_member_out(people: MemoryPeopleRepository, sign_in: MemorySignInRepository) -> None:
    mailer = FakeMailer()
    settings = replace(SETTINGS, login_links_per_hour=2, login_links_per_source_per_hour=50)
    # Given an attacker who asks for a member's links from one source until refused
    with pytest.raises(RateLimitedError):
        for _ in range(10):
            ask(people, sign_in, mailer, "crew@example.com", source="203.0.113.66", settings=settings)
    # When the member asks from their own network
    ask(people, sign_in, mailer, "crew@example.com", source="198.51.100.4", settings=settings)
    # Then the link goes out
    assert len(mailer.to("crew@example.com")) == 3


def test_one_source_cannot_ask_for_many_addresses(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    settings = replace(SETTINGS, login_links_per_source_per_hour=3)
    for n in range(3):
        ask(people, sign_in, FakeMailer(), f"someone{n}@example.com", source="203.0.113.9", settings=settings)
    with pytest.raises(RateLimitedError):
        ask(people, sign_in, FakeMailer(), "crew@example.com", source="203.0.113.9", settings=settings)
    # And one address is not flooded from many sources: above the per-source-and-address ceiling
    limits = login_limits("crew@example.com", "x", SETTINGS, lambda: NOW)
    assert limits[2].limit > limits[0].limit


def test_a_mailed_code_opens_one_session(people: MemoryPeopleRepository, sign_in: MemorySignInRepository) -> None:
    mailer = FakeMailer()
    ask(people, sign_in, mailer, "crew@example.com")
    code = code_in(mailer, "crew@example.com")
    # When the code is redeemed
    signed_in = redeem_code(sign_in, KEYS, code, source="10.0.0.1", settings=SETTINGS, clock=lambda: NOW)
    # Then it opens a crew session, once
    assert (signed_in.caller.email, signed_in.caller.role, signed_in.grant.purpose.kind) == (
        "crew@example.com",
        "crew",
        "login",
    )
    with pytest.raises(CodeRejectedError, match="already been used"):
        redeem_code(sign_in, KEYS, code, source="10.0.0.1", settings=SETTINGS, clock=lambda: NOW)


def test_a_waiver_code_opens_a_guest_session_for_its_sail(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    # Given a waiver code of an address we have not seen
    code = sign_in.issue_code("new@example.com", Purpose.waiver("s1", "g1"), timedelta(hours=1), clock=lambda: NOW)
    # When it is redeemed
    signed_in = redeem_code(sign_in, KEYS, code, settings=SETTINGS, clock=lambda: NOW)
    # Then the session is a guest's, for that sail and guest, and the person is on record as a guest
    assert (signed_in.caller.role, signed_in.caller.sail_id, signed_in.caller.guest_id) == ("guest", "s1", "g1")
    assert (people.person("new@example.com") or {})["role"] == "guest"


def test_a_source_that_guessed_too_often_is_refused_even_with_a_good_code(
    people: MemoryPeopleRepository, sign_in: MemorySignInRepository
) -> None:
    # Given a source that made as many wrong guesses as the window allows (one malformed)
    for guess in ("w" * 43, "not a code!", "x" * 43):
        with pytest.raises(CodeRejectedError):
            redeem_code(sign_in, KEYS, guess, source="10.0.0.9", settings=SETTINGS, clock=lambda: NOW)
    good = sign_in.issue_code("crew@example.com", Purpose.login(), timedelta(minutes=15), clock=lambda: NOW)
    # When it sends a good code
    with pytest.raises(RateLimitedError) as limited:
        redeem_code(sign_in, KEYS, good, source="10.0.0.9", settings=SETTINGS, clock=lambda: NOW)
    # Then it is refused like a wrong one would be, and the code is not spent
    assert limited.value.code == "too_many_attempts"
    assert (
        redeem_code(sign_in, KEYS, good, source="10.0.0.10", settings=SETTINGS, clock=lambda: NOW).caller.role == "crew"
    )


def test_a_signed_out_session_is_refused(people: MemoryPeopleRepository, sign_in: MemorySignInRepository) -> None:
    # Given a crew session
    code = sign_in.issue_code("crew@example.com", Purpose.login(), timedelta(minutes=15))
    signed_in = redeem_code(sign_in, KEYS, code, settings=SETTINGS)
    recent = RecentPeople()
    assert authenticate(people, signed_in.token, KEYS, settings=SETTINGS, recent=recent).email == "crew@example.com"
    # When it is ended
    end_session(people, signed_in.caller)
    # Then its token is refused
    with pytest.raises(AuthenticationError, match="signed out"):
        authenticate(people, signed_in.token, KEYS, settings=SETTINGS, recent=RecentPeople())
