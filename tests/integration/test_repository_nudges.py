"""NudgeRepository's contract: the same scenarios against DynamoDB (moto's server, the table
built from template.yaml) and the in-memory twin the unit tests use, so the fake cannot drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pytest

from quarterdeck import keys
from quarterdeck.repositories import Item
from quarterdeck.repositories.nudges import DynamoNudgeRepository, NudgeMarker, NudgeRepository, opted_out_key
from quarterdeck.repositories.people import DynamoPeopleRepository
from quarterdeck.store import Store
from tests.unit.memory.nudges import MemoryNudgeRepository

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 6, 14, 10, 0, tzinfo=LA)
LIFETIME = timedelta(days=30)
STALE = timedelta(minutes=15)


class World(Protocol):
    @property
    def repo(self) -> NudgeRepository: ...

    def marker(self, marker: NudgeMarker) -> Item | None: ...

    def opt_out(self, email: str) -> None: ...

    def opt_out_of(self, email: str, kinds: list[str]) -> None: ...


@dataclass
class DynamoWorld:
    store: Store

    def __post_init__(self) -> None:
        self.repo = DynamoNudgeRepository(self.store)

    def marker(self, marker: NudgeMarker) -> Item | None:
        found = self.store.get(*keys.nudge_sent(marker.sail_id, marker.kind, marker.recipient, marker.window))
        return {k: v for k, v in found.items() if k in ("status", "message_id", "claimed_at")} if found else None

    def opt_out(self, email: str) -> None:
        DynamoPeopleRepository(self.store).set_nudges(email, False, created_at=NOW.isoformat())

    def opt_out_of(self, email: str, kinds: list[str]) -> None:
        people = DynamoPeopleRepository(self.store)
        people.add_person(email, "crew", created_at=NOW.isoformat())
        people.set_nudge_kinds(email, enabled=True, kinds_off=kinds)


@dataclass
class MemoryWorld:
    repo: MemoryNudgeRepository

    def marker(self, marker: NudgeMarker) -> Item | None:
        found = self.repo.markers.get(marker)
        return {k: v for k, v in found.items() if k in ("status", "message_id", "claimed_at")} if found else None

    def opt_out(self, email: str) -> None:
        self.repo.opt_out(email)

    def opt_out_of(self, email: str, kinds: list[str]) -> None:
        self.repo.people[email.lower()] = {"email": email.lower(), "nudges": True, "nudges_off": kinds}


@pytest.fixture(params=["dynamo", "memory"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")  # moto's server and the table; Store() talks to them
        yield DynamoWorld(Store())
    else:
        yield MemoryWorld(MemoryNudgeRepository())


def claim(world: World, marker: NudgeMarker, at: datetime) -> bool:
    return world.repo.claim(marker, at=at, stale_before=at - STALE, expires=at + LIFETIME)


def a_marker() -> NudgeMarker:
    return NudgeMarker(f"ndg{uuid.uuid4().hex[:10]}", "unfilled_roles", "late@example.com", "d7")


def test_a_marker_is_claimed_once(world: World) -> None:
    # Given a nudge never sent
    marker = a_marker()
    # When two runs claim it
    # Then the first gets it and the second does not
    assert claim(world, marker, NOW) is True
    assert claim(world, marker, NOW + timedelta(minutes=1)) is False
    assert world.marker(marker) == {"status": "claimed", "claimed_at": "2026-06-14T10:00:00-07:00"}


def test_a_stale_claim_is_taken_over_but_a_sent_one_never(world: World) -> None:
    # Given one claim left by a dead run, and one nudge sent, both 16 minutes ago
    dead, sent = a_marker(), a_marker()
    assert claim(world, dead, NOW) and claim(world, sent, NOW)
    world.repo.mark_sent(sent, "message-7")
    later = NOW + STALE + timedelta(minutes=1)
    # When a run claims them now
    # Then it takes over the dead run's claim, and leaves the sent one alone
    assert claim(world, dead, later) is True
    assert claim(world, sent, later) is False
    assert world.marker(sent) == {
        "status": "sent",
        "message_id": "message-7",
        "claimed_at": "2026-06-14T10:00:00-07:00",
    }


def test_a_released_claim_can_be_claimed_again(world: World) -> None:
    # Given a claim whose send failed
    marker = a_marker()
    assert claim(world, marker, NOW)
    # When it is released (twice: the second finds nothing, which is no error)
    world.repo.release(marker)
    world.repo.release(marker)
    # Then the next run claims it
    assert world.marker(marker) is None and claim(world, marker, NOW + timedelta(minutes=1)) is True


def test_the_run_sees_who_turned_nudges_off(world: World) -> None:
    # Given ada@ turned nudges off and bo@ never did
    ada, bo = f"ada{uuid.uuid4().hex[:6]}@example.com", f"bo{uuid.uuid4().hex[:6]}@example.com"
    world.opt_out(ada.upper())
    # Then the run sees ada@ opted out, and not bo@
    assert world.repo.opted_out([ada, bo]) == {ada}


def test_the_run_sees_which_kinds_someone_turned_off(world: World) -> None:
    # Given cy@ turned off the day-of nudge only (on the settings page)
    cy = f"cy{uuid.uuid4().hex[:6]}@example.com"
    world.opt_out_of(cy, ["day_of"])
    # Then the run sees that kind off for cy@, and not cy@ as a whole
    assert world.repo.opted_out([cy]) == {opted_out_key(cy, "day_of")}
