"""The TaskRepository contract: the same scenarios against DynamoDB (moto's server, the table
built from template.yaml) and against the in-memory twin the unit tests use, so it cannot drift.

The local stack is seeded with demo cards: each scenario reads back only the tasks it made
(and makes them "changed" in 2099, so they head their columns)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.errors import StaleVersionError, TaskNotFoundError
from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import DynamoTaskRepository, FoundActions, TaskRepository
from tests.unit.memory.tasks import MemoryTaskRepository

AT = "2099-01-01T00:00:{:02d}+00:00"


@pytest.fixture(params=["dynamo", "memory"])
def tasks(request: pytest.FixtureRequest, stack: LocalStack) -> TaskRepository:
    """(The stack starts before any test's environment is patched: it is session-wide.)"""
    if request.param == "dynamo":
        from quarterdeck.store import Store

        return DynamoTaskRepository(Store())
    return MemoryTaskRepository()


def task(status: str = "pending", second: int = 0, **fields: Any) -> Item:
    task_id = "c" + uuid.uuid4().hex[:12]
    at = AT.format(second)
    return {
        "type": "task",
        "id": task_id,
        "title": f"Contract {task_id}",
        "detail": "",
        "entity": "",
        "owner": "CFO",
        "status": status,
        "created_at": at,
        "created_by": "contract@example.com",
        "updated_at": at,
        "version": 1,
        "history": [{"at": at, "by": "contract@example.com", "to": status}],
        **fields,
    }


def ids(items: list[Item], mine: set[str]) -> list[str]:
    return [str(i["id"]) for i in items if i["id"] in mine]


def test_a_task_is_created_once_and_reads_back_as_written(tasks: TaskRepository) -> None:
    # Given a new task
    first = task(due="2099-02-01")
    # When it is created, and then created again under the same id with another title
    created = tasks.create(first)
    again = tasks.create({**first, "title": "Another title"})
    # Then both answers are the first task, as written, without any storage keys
    assert created == again == first
    assert tasks.get(first["id"]) == tasks.get(first["id"], consistent=True) == first


def test_a_missing_task_reads_as_none(tasks: TaskRepository) -> None:
    assert tasks.get("nosuchtask" + uuid.uuid4().hex[:6]) is None


def test_many_tasks_load_at_once(tasks: TaskRepository) -> None:
    # Given three tasks in different columns; When they are loaded in bulk
    batch = [task("pending"), task("in_review"), task("completed")]
    tasks.add_many(batch)
    # Then each reads back
    assert [tasks.get(t["id"], consistent=True) for t in batch] == batch


def test_filing_cards_creates_the_missing_and_leaves_the_existing(tasks: TaskRepository) -> None:
    # Given a card filed before and since moved on
    old = task()
    tasks.create(old)
    moved = tasks.update(old, changes={"title": "Moved on"}, now=AT.format(5))
    # When the report's cards are filed again, with a new one among them
    new = task()
    tasks.file_cards([old, new])
    # Then the old card is as it was moved, and the new one exists
    assert tasks.get(old["id"], consistent=True) == moved
    assert tasks.get(new["id"], consistent=True) == new


def test_an_edit_bumps_the_version_and_a_none_removes_the_field(tasks: TaskRepository) -> None:
    # Given a task with a due date
    first = task(due="2099-02-01")
    tasks.create(first)
    # When it is edited from version 1: a new title, the due date cleared
    after = tasks.update(first, changes={"title": "New", "due": None}, now=AT.format(9))
    # Then the answer is the task afterwards, and reads back the same
    assert after["title"] == "New" and "due" not in after
    assert (after["version"], after["updated_at"], after["history"]) == (2, AT.format(9), first["history"])
    assert tasks.get(first["id"], consistent=True) == after


def test_a_move_changes_the_column_and_the_history(tasks: TaskRepository) -> None:
    # Given a pending task
    first = task()
    tasks.create(first)
    history = [*first["history"], {"at": AT.format(3), "by": "b@x", "from": "pending", "to": "completed"}]
    # When it is moved to completed with its new history
    after = tasks.update(first, changes={"status": "completed"}, now=AT.format(3), history=history)
    # Then it has the new status and history, and is in the completed column, not the open ones
    assert (after["status"], after["history"]) == ("completed", history)
    assert first["id"] in ids(tasks.column("completed"), {first["id"]})
    assert ids(tasks.open_tasks(), {first["id"]}) == []
    assert ids(tasks.column("pending"), {first["id"]}) == []


def test_a_stale_version_is_refused_and_nothing_changes(tasks: TaskRepository) -> None:
    # Given a task edited once (now at version 2)
    first = task()
    tasks.create(first)
    now = tasks.update(first, changes={"title": "One"}, now=AT.format(1))
    # When another edit is made from version 1
    with pytest.raises(StaleVersionError) as refused:
        tasks.update(first, changes={"title": "Two"}, now=AT.format(2))
    # Then it is refused naming the version the task is at, and the task is unchanged
    assert "version 2" in refused.value.message and refused.value.field == "version"
    assert tasks.get(first["id"], consistent=True) == now


def test_changing_a_missing_task_is_not_found(tasks: TaskRepository) -> None:
    with pytest.raises(TaskNotFoundError):
        tasks.update({**task(), "id": "nosuch" + uuid.uuid4().hex[:6]}, changes={"title": "x"}, now=AT)


def test_columns_are_most_recently_changed_first_and_open_ones_read_together(tasks: TaskRepository) -> None:
    # Given tasks in every column, changed at different seconds
    made = {
        "p_old": task("pending", 10),
        "p_new": task("pending", 20),
        "r_old": task("in_review", 11),
        "r_new": task("in_review", 21),
        "done": task("completed", 30),
    }
    for item in made.values():
        tasks.create(item)
    mine = {str(t["id"]) for t in made.values()}
    name = {str(t["id"]): key for key, t in made.items()}
    # Then each column holds only its tasks, most recently changed first
    assert [name[i] for i in ids(tasks.column("pending"), mine)] == ["p_new", "p_old"]
    assert [name[i] for i in ids(tasks.column("in_review"), mine)] == ["r_new", "r_old"]
    assert [name[i] for i in ids(tasks.column("completed"), mine)] == ["done"]
    # And a limit keeps the most recent (these are the latest of 2099)
    assert [name[i] for i in ids(tasks.column("pending", limit=1), mine)] == ["p_new"]
    # And the open columns read together: pending first, then in review, each most recent first
    assert [name[i] for i in ids(tasks.open_tasks(), mine)] == ["p_new", "p_old", "r_new", "r_old"]


def test_an_edit_resorts_the_task_in_its_column(tasks: TaskRepository) -> None:
    # Given two pending tasks, the second changed later
    first, second = task("pending", 40), task("pending", 41)
    tasks.create(first)
    tasks.create(second)
    # When the first is edited later still
    tasks.update(first, changes={"title": "Again"}, now=AT.format(42))
    # Then it heads its column
    assert ids(tasks.column("pending"), {first["id"], second["id"]}) == [first["id"], second["id"]]


def test_many_tasks_read_at_once_by_id(tasks: TaskRepository) -> None:
    # Given two tasks; When they are read by id with one that does not exist
    first, second = task(), task("completed")
    tasks.create(first)
    tasks.create(second)
    found = tasks.get_many([first["id"], second["id"], "nosuch" + uuid.uuid4().hex[:6], first["id"]])
    # Then the existing ones come back by id, as written
    assert found == {first["id"]: first, second["id"]: second}
    assert tasks.get_many([]) == {}


def test_an_archived_card_leaves_the_open_and_completed_columns(tasks: TaskRepository) -> None:
    # Given a pending card; When it is archived (a move to the archived status)
    first = task("pending", 44)
    tasks.create(first)
    history = [*first["history"], {"at": AT.format(45), "by": "a@x", "from": "pending", "to": "archived"}]
    tasks.update(
        first,
        changes={"status": "archived", "archived_at": AT.format(45)},
        now=AT.format(45),
        history=history,
    )
    # Then no board column reads it, the archived ones do, and it keeps its history
    mine = {first["id"]}
    assert ids(tasks.open_tasks(), mine) == ids(tasks.column("completed"), mine) == []
    assert ids(tasks.column("archived"), mine) == [first["id"]]
    stored = tasks.get(first["id"], consistent=True)
    assert stored is not None and stored["history"] == history


def test_what_a_kind_found_is_recorded_and_replaced(tasks: TaskRepository) -> None:
    kind = "k" + uuid.uuid4().hex[:8]
    # Given no run recorded yet, nothing is known
    assert tasks.found_actions(kind) is None
    # When a first run records what it found (no earlier run known), and a second replaces it
    tasks.record_found_actions(FoundActions(kind, "2099-W01", frozenset({"a", "b"}), None), now=AT)
    assert tasks.found_actions(kind) == FoundActions(kind, "2099-W01", frozenset({"a", "b"}), None)
    later = FoundActions(kind, "2099-W02", frozenset({"b"}), frozenset({"a", "b"}))
    tasks.record_found_actions(later, now=AT)
    # Then the latest reads back
    assert tasks.found_actions(kind) == later


def test_old_column_keys_are_moved_to_the_shared_partition(stack: LocalStack) -> None:
    """DynamoDB only: the one-off migration of the keys tasks had before the open columns shared one."""
    from quarterdeck.store import Store

    store = Store()
    dynamo = DynamoTaskRepository(store)
    # Given tasks written with the keys of before (one partition per column, no status in the sort key)
    old_open, old_done = task("in_review", 50), task("completed", 51)
    for item in (old_open, old_done):
        dynamo.create(item)
        status = item["status"]
        store.update(
            f"TASK#{item['id']}",
            "META",
            "SET gsi1pk = :pk, gsi1sk = :sk",
            values={":pk": f"TASKS#{status}", ":sk": f"{item['updated_at']}#{item['id']}"},
        )
    mine = {old_open["id"], old_done["id"]}
    assert ids(dynamo.open_tasks(), mine) == []
    # When they are re-keyed (twice: it is safe to repeat)
    assert dynamo.rekey_legacy_columns(("pending", "in_review", "completed")) >= 2
    dynamo.rekey_legacy_columns(("pending", "in_review", "completed"))
    # Then each is found in its column again
    assert ids(dynamo.open_tasks(), mine) == [old_open["id"]]
    assert ids(dynamo.column("completed"), mine) == [old_done["id"]]
