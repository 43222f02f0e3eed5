"""The caller check on warm requests: person records a container read lately (quarterdeck.people.RecentPeople)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quarterdeck.auth import SigningKeys, authenticate, issue_token
from quarterdeck.config import Settings
from quarterdeck.errors import AuthenticationError
from quarterdeck.people import RecentPeople, person_key, recent_people, revoke_session
from tests.unit.fakes import FakeStore

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
def store() -> FakeStore:
    store = FakeStore()
    pk, sk = person_key(EMAIL)
    store.items[(pk, sk)] = {"pk": pk, "sk": sk, "type": "person", "email": EMAIL, "role": "crew"}
    return store


def test_a_warm_request_checks_its_caller_without_reading_the_table(store: FakeStore) -> None:
    # Given a crew member's token, checked once in this container
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    people = RecentPeople(Ticks())
    authenticate(store, token, KEYS, settings=SETTINGS, people=people)
    reads_before = store.calls.count("get")
    # When the next request comes within the window
    caller = authenticate(store, token, KEYS, settings=SETTINGS, people=people)
    # Then it is let in without another read
    assert caller.email == EMAIL
    assert store.calls.count("get") == reads_before == 1


def test_a_person_deleted_elsewhere_is_refused_once_the_window_has_passed(store: FakeStore) -> None:
    # Given a crew member checked in this container
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    ticks = Ticks()
    people = RecentPeople(ticks)
    authenticate(store, token, KEYS, settings=SETTINGS, people=people)
    # When another container deletes the person (this one is not told)
    del store.items[person_key(EMAIL)]
    # Then this container trusts what it read for at most the window, and refuses after it
    ticks.now += 59
    assert authenticate(store, token, KEYS, settings=SETTINGS, people=people).email == EMAIL
    ticks.now += 2
    with pytest.raises(AuthenticationError, match="no longer exists"):
        authenticate(store, token, KEYS, settings=SETTINGS, people=people)


def test_signing_out_in_this_container_is_refused_at_once(store: FakeStore) -> None:
    # Given a crew member checked in this container (the container's own record of people)
    token, caller = issue_token(KEYS, EMAIL, "crew", settings=SETTINGS)
    authenticate(store, token, KEYS, settings=SETTINGS, people=recent_people)
    # When the session is signed out here
    revoke_session(store, EMAIL, caller.jti, caller.expires)
    # Then the same token is refused on the very next request
    with pytest.raises(AuthenticationError, match="signed out"):
        authenticate(store, token, KEYS, settings=SETTINGS, people=recent_people)
    recent_people.forget(EMAIL)


def test_an_unknown_person_is_looked_up_every_time(store: FakeStore) -> None:
    # Given a token of someone with no person record
    token, _ = issue_token(KEYS, "nobody@example.com", "crew", settings=SETTINGS)
    people = RecentPeople(Ticks())
    # When it is presented twice
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="no longer exists"):
            authenticate(store, token, KEYS, settings=SETTINGS, people=people)
    # Then both requests read the table (a refusal is never remembered)
    assert store.calls.count("get") == 2


def test_a_window_of_zero_reads_the_person_on_every_request(store: FakeStore) -> None:
    # Given a container configured not to trust earlier reads
    settings = replace(SETTINGS, person_cache_seconds=0)
    token, _ = issue_token(KEYS, EMAIL, "crew", settings=settings)
    people = RecentPeople(Ticks())
    # When three requests come at the same instant
    for _ in range(3):
        authenticate(store, token, KEYS, settings=settings, people=people)
    # Then each read the person record
    assert store.calls.count("get") == 3
