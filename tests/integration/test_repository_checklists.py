"""ChecklistRepository's contract: the same scenarios against DynamoDB (moto's server, the table
built from template.yaml) and the in-memory twin the unit tests use, so the fake cannot drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from quarterdeck import keys
from quarterdeck.errors import ChecklistItemNotFoundError, ConflictError, SailCancelledError
from quarterdeck.repositories.checklists import ChecklistRepository, DynamoChecklistRepository, new_checklist_writes
from quarterdeck.store import Store
from tests.unit.memory.checklists import MemoryChecklistRepository

AT = datetime(2026, 6, 21, 18, 0, tzinfo=UTC)
LATER = AT + timedelta(seconds=1)
LATEST = AT + timedelta(seconds=2)
WHO = "cap@example.com"
LABELS = {"departure": ["Life jackets", "VHF check"], "return": ["Lines coiled"]}


class World(Protocol):
    @property
    def repo(self) -> ChecklistRepository: ...

    def sail(self, sail_id: str, labels: Mapping[str, Sequence[str]], status: str = "scheduled") -> None: ...

    def history(self, sail_id: str) -> list[tuple[str, str, dict[str, Any]]]: ...


@dataclass
class DynamoWorld:
    store: Store

    def __post_init__(self) -> None:
        self.repo = DynamoChecklistRepository(self.store)

    def sail(self, sail_id: str, labels: Mapping[str, Sequence[str]], status: str = "scheduled") -> None:
        pk, sk = keys.sail(sail_id)
        self.store.put({"pk": pk, "sk": sk, "type": "sail", "id": sail_id, "status": status})
        self.store.transact(new_checklist_writes(sail_id, labels))

    def history(self, sail_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        found = self.store.query(keys.sail_partition(sail_id), sk_prefix=keys.HISTORY_PREFIX, consistent=True)
        return [(e["actor"], e["action"], e.get("detail", {})) for e in found]


@dataclass
class MemoryWorld:
    repo: MemoryChecklistRepository

    def sail(self, sail_id: str, labels: Mapping[str, Sequence[str]], status: str = "scheduled") -> None:
        self.repo.add_sail(sail_id, labels, status=status)

    def history(self, sail_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [(e.actor, e.action, e.detail) for e in self.repo.history if e.sail_id == sail_id]


@pytest.fixture(params=["dynamo", "memory"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")  # moto's server and the table; Store() talks to them
        yield DynamoWorld(Store())
    else:
        yield MemoryWorld(MemoryChecklistRepository())


@pytest.fixture
def sail_id(world: World) -> str:
    sail_id = f"chk{uuid.uuid4().hex[:10]}"
    world.sail(sail_id, LABELS)
    return sail_id


def test_a_new_sails_items_are_numbered_from_one_per_list(world: World, sail_id: str) -> None:
    # Given a sail made with two departure items and one return item
    # Then each list's numbers start from 1
    assert sorted(world.repo.item_numbers(sail_id, "departure")) == [1, 2]
    assert world.repo.item_numbers(sail_id, "return") == [1]
    assert world.repo.item_numbers(f"{sail_id}x", "return") == []


def test_tick_and_untick_with_history(world: World, sail_id: str) -> None:
    # When an item is ticked
    ticked = world.repo.set_done(sail_id, "departure", 2, True, actor=WHO, at=AT)
    # Then it says who and when, without its keys
    assert ticked["done"] is True and ticked["done_by"] == WHO and ticked["done_at"] == "2026-06-21T18:00:00+00:00"
    assert ticked["label"] == "VHF check" and ticked["n"] == 2 and "pk" not in ticked and "sk" not in ticked
    # When it is unticked
    unticked = world.repo.set_done(sail_id, "departure", 2, False, actor=WHO, at=LATER)
    # Then no one is named, and both changes are in the sail's history
    assert unticked["done"] is False and "done_by" not in unticked and "done_at" not in unticked
    assert world.history(sail_id) == [
        (WHO, "checklist_ticked", {"list": "departure", "n": 2}),
        (WHO, "checklist_unticked", {"list": "departure", "n": 2}),
    ]


def test_add_rename_remove(world: World, sail_id: str) -> None:
    # When an admin adds return item 2, renames it and removes item 1
    added = world.repo.add(sail_id, "return", 2, "Fenders in", actor=WHO, at=AT)
    renamed = world.repo.rename(sail_id, "return", 2, "Fenders stowed", actor=WHO, at=LATER)
    world.repo.remove(sail_id, "return", 1, actor=WHO, at=LATEST)
    # Then the list holds item 2 only, under its new label, and the history has all three
    assert added == {"type": "check", "list": "return", "n": 2, "label": "Fenders in", "done": False}
    assert renamed["label"] == "Fenders stowed" and renamed["done"] is False
    assert world.repo.item_numbers(sail_id, "return") == [2]
    assert [action for _, action, _ in world.history(sail_id)] == [
        "checklist_item_added",
        "checklist_item_renamed",
        "checklist_item_removed",
    ]


def test_a_missing_item_is_not_found_and_nothing_is_recorded(world: World, sail_id: str) -> None:
    # When a change names an item the list does not have
    with pytest.raises(ChecklistItemNotFoundError, match="no departure item 7 on this sail"):
        world.repo.set_done(sail_id, "departure", 7, True, actor=WHO, at=AT)
    with pytest.raises(ChecklistItemNotFoundError):
        world.repo.rename(sail_id, "departure", 7, "Nothing", actor=WHO, at=AT)
    with pytest.raises(ChecklistItemNotFoundError):
        world.repo.remove(sail_id, "departure", 7, actor=WHO, at=AT)
    # Then no history entry was written with it
    assert world.history(sail_id) == []


def test_adding_a_number_taken_meanwhile_is_a_conflict(world: World, sail_id: str) -> None:
    # Given departure item 2 exists (another admin added it after our read)
    # When we add item 2
    with pytest.raises(ConflictError, match="at the same time") as lost:
        world.repo.add(sail_id, "departure", 2, "Flares", actor=WHO, at=AT)
    # Then it is a plain conflict, not the sail's, and the first item's label stays
    assert not isinstance(lost.value, SailCancelledError)
    assert world.repo.rename(sail_id, "departure", 2, "VHF check", actor=WHO, at=AT)["label"] == "VHF check"


def test_a_cancelled_sails_checklists_are_closed(world: World) -> None:
    # Given a cancelled sail
    sail_id = f"chk{uuid.uuid4().hex[:10]}"
    world.sail(sail_id, LABELS, status="cancelled")
    # When anything changes on its lists
    # Then each change is refused as the sail's, and nothing is recorded
    with pytest.raises(SailCancelledError, match="checklists are closed"):
        world.repo.set_done(sail_id, "departure", 1, True, actor=WHO, at=AT)
    with pytest.raises(SailCancelledError):
        world.repo.rename(sail_id, "departure", 1, "PFDs", actor=WHO, at=AT)
    with pytest.raises(SailCancelledError):
        world.repo.remove(sail_id, "departure", 1, actor=WHO, at=AT)
    with pytest.raises(SailCancelledError, match="cancelled \\(or gone\\)"):
        world.repo.add(sail_id, "departure", 3, "Flares", actor=WHO, at=AT)
    assert world.history(sail_id) == [] and sorted(world.repo.item_numbers(sail_id, "departure")) == [1, 2]


def test_adding_to_a_sail_that_is_gone_is_refused(world: World) -> None:
    # Given no such sail
    # When an item is added to it
    with pytest.raises(SailCancelledError):
        world.repo.add(f"gone{uuid.uuid4().hex[:8]}", "departure", 1, "Flares", actor=WHO, at=AT)
