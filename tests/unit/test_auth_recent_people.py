"""The caller check on warm requests: person records a container read lately (quarterdeck.people.RecentPeople)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quarterdeck.auth import SigningKeys, authenticate, issue_token
from quarterdeck.config import Settings
from quarterdeck.errors import AuthenticationError
from quarterdeck.people import RecentPeople, recent_people, revoke_session
from tests.unit.memory.people import MemoryPeopleRepository

KEYS = SigningKeys(current_kid="k1", keys={"k1": "x" * 40})
SETTINGS = replace(Settings(), person_cache_seconds=60.0)
EMAIL = "crew@example.com"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def people() -> MemoryPeopleRepository:
    people = MemoryPeopleRepository()
    people.add_person(EMAIL, "crew", created_at="2026-12-01T10:00:00+00:00")
    return people


def test_a_warm_request_checks_its_caller_without_reading_the_table(people: MemoryPeopleRepository) -> None:
    # Given a crew member's token, checked once in this container
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    recent = RecentPeople(Ticks())
    authenticate(people, token, KEYS, settings=SETTINGS, recent=recent)
    reads_before = people.reads
    # When the next request comes within the window
    caller = authenticate(people, token, KEYS, settings=SETTINGS, recent=recent)
    # Then it is let in without another read
    assert caller.email == EMAIL
    assert people.reads == reads_before == 1


def test_a_person_deleted_elsewhere_is_refused_once_the_window_has_passed(people: MemoryPeopleRepository) -> None:
    # Given a crew member checked in this container
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    ticks = Ticks()
    recent = RecentPeople(ticks)
    authenticate(people, token, KEYS, settings=SETTINGS, recent=recent)
    # When another container deletes the person (this one is not told)
    people.delete_person(EMAIL)
    # Then this container trusts what it read for at most the window, and refuses after it
    ticks.now += 59
    assert authenticate(people, token, KEYS, settings=SETTINGS, recent=recent).email == EMAIL
    ticks.now += 2
    with pytest.raises(AuthenticationError, match="no longer exists"):
        authenticate(people, token, KEYS, settings=SETTINGS, recent=recent)


def test_signing_out_in_this_container_is_refused_at_once(people: MemoryPeopleRepository) -> None:
    # Given a crew member checked in this container (the container's own record of people)
    token, caller = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    authenticate(people, token, KEYS, settings=SETTINGS, recent=recent_people)
    # When the session is signed out here
    revoke_session(people, EMAIL, caller.jti, caller.expires)
    # Then the same token is refused on the very next request
    with pytest.raises(AuthenticationError, match="signed out"):
        authenticate(people, token, KEYS, settings=SETTINGS, recent=recent_people)
    recent_people.forget(EMAIL)


def test_an_unknown_person_is_looked_up_every_time(people: MemoryPeopleRepository) -> None:
    # Given a token of someone with no person record
    token, _ = issue_token(KEYS, "nobody@example.com", "crew", settings=SETTINGS)
    recent = RecentPeople(Ticks())
    # When it is presented twice
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="no longer exists"):
            authenticate(people, token, KEYS, settings=SETTINGS, recent=recent)
    # Then both requests read the table (a refusal is never remembered)
    assert people.reads == 2


def test_a_window_of_zero_reads_the_person_on_every_request(people: MemoryPeopleRepository) -> None:
    # Given a container configured not to trust earlier reads
    settings = replace(SETTINGS, person_cache_seconds=0)
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=settings)
    recent = RecentPeople(Ticks())
    # When three requests come at the same instant
    for _ in range(3):
        authenticate(people, token, KEYS, settings=settings, recent=recent)
    # Then each read the person record
    assert people.reads == 3
