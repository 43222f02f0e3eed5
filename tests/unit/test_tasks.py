"""The tasks domain over the in-memory TaskRepository (tests/unit/memory/tasks.py), fixed clock: no AWS, no HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from quarterdeck import tasks
from quarterdeck.errors import InvalidInputError, StaleVersionError, TaskNotFoundError
from tests.unit.fakes import FixedClock
from tests.unit.memory.tasks import MemoryTaskRepository as Tasks

SOURCE = {
    "kind": "cfo",
    "period": "2026-W48",
    "section": "break-even",
    "link": "#/reports?kind=cfo&period=2026-W48#break-even",
}


@pytest.fixture
def store() -> Tasks:
    return Tasks()


@pytest.fixture
def clock() -> FixedClock:
    # 2026-11-24 03:00 UTC is still the 23rd in San Diego
    return FixedClock(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))


def ids() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"t{n:03d}"


@pytest.fixture
def new_id() -> Any:
    counter = ids()
    return lambda: next(counter)


def make(store: Tasks, clock: FixedClock, new_id: Any, **fields: Any) -> dict[str, Any]:
    return tasks.create_task(store, "owner@example.com", clock=clock, new_id=new_id, **{"title": "Do it", **fields})


# --- creating ------------------------------------------------------------------------------
def test_a_task_is_created_pending_in_its_column(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    task = make(store, clock, new_id, title="  Call   the marina ", entity="Queen of San Diego", owner="CEO")
    assert task["id"] == "t001"
    assert task["title"] == "Call the marina"
    assert (task["status"], task["version"], task["source"]) == ("pending", 1, None)
    assert task["created_at"] == task["updated_at"] == "2026-11-24T03:00:00+00:00"
    item = store.tasks["t001"]
    assert item["history"] == [{"at": "2026-11-24T03:00:00+00:00", "by": "owner@example.com", "to": "pending"}]


def test_a_report_task_is_created_once_per_source_key(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    # Given a report that created a task for its break-even item
    first = make(store, clock, new_id, title="Book 6 charters", source=SOURCE, source_key="cfo/2026-W48/break-even")
    # When the same report runs again (with a reworded title)
    clock.tick(60)
    again = make(store, clock, new_id, title="Book six charters", source=SOURCE, source_key="cfo/2026-W48/break-even")
    # Then there is still one task, the first one, with its source
    assert again == first
    assert len(store.tasks) == 1
    assert first["id"] == tasks.task_id_for("cfo/2026-W48/break-even")
    assert first["source"] == SOURCE
    # And another key makes another task
    other = make(store, clock, new_id, title="Cut burn", source=SOURCE, source_key="cfo/2026-W48/burn")
    assert other["id"] != first["id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": " \n\t "}, "title"),
        ({"title": None}, "title"),
        ({"title": 42}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"detail": "x" * 4001}, "detail"),
        ({"entity": "x" * 81}, "entity"),
        ({"owner": ["CFO"]}, "owner"),
        ({"due": "2026-02-29"}, "due"),
        ({"due": "2026-11-5"}, "due"),
        ({"due": "2026-W48-1"}, "due"),
        ({"due": "2101-01-01"}, "due"),
        ({"due": 20261123}, "due"),
        ({"source": {"period": "2026-W48"}}, "source.kind"),
        ({"source": {"kind": "cfo", "link": "javascript:alert(1)"}}, "source.link"),
        ({"source": {"kind": "cfo", "link": "https://evil.example/"}}, "source.link"),
        ({"source_key": "  "}, "source_key"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    store: Tasks, clock: FixedClock, new_id: Any, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        make(store, clock, new_id, **fields)
    assert refused.value.field == field
    assert store.tasks == {}


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(InvalidInputError) as refused:
        tasks.new_task_item("a@example.com", title="x", status="done")
    assert refused.value.field == "status"


def test_due_dates_accept_a_date_and_empty_means_none(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    assert make(store, clock, new_id, due=date(2026, 12, 1))["due"] == "2026-12-01"
    assert make(store, clock, new_id, due="")["due"] is None
    assert make(store, clock, new_id, due=" 2026-12-02 ")["due"] == "2026-12-02"


# --- changing ------------------------------------------------------------------------------
def test_a_move_changes_column_and_records_who_and_when(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    task = make(store, clock, new_id)
    clock.tick(5)
    moved = tasks.update_task(
        store, "cfo@example.com", task["id"], version=1, changes={"status": "in_review"}, clock=clock
    )
    assert (moved["status"], moved["version"]) == ("in_review", 2)
    assert moved["history"][-1] == {
        "at": "2026-11-24T03:05:00+00:00",
        "by": "cfo@example.com",
        "from": "pending",
        "to": "in_review",
    }
    assert [t["id"] for t in tasks.list_tasks(store, "in_review", clock=clock)] == ["t001"]


def test_moves_may_skip_ahead_and_go_back(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    task = make(store, clock, new_id)
    done = tasks.update_task(store, "a@x.com", task["id"], version=1, changes={"status": "completed"}, clock=clock)
    back = tasks.update_task(store, "a@x.com", task["id"], version=2, changes={"status": "pending"}, clock=clock)
    assert (done["status"], back["status"]) == ("completed", "pending")
    assert [(h.get("from"), h["to"]) for h in back["history"]] == [
        (None, "pending"),
        ("pending", "completed"),
        ("completed", "pending"),
    ]


def test_a_stale_version_is_refused_and_nothing_changes(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    # Given two people read the task at version 1 and the first saves a move
    task = make(store, clock, new_id)
    tasks.update_task(store, "a@x.com", task["id"], version=1, changes={"status": "in_review"}, clock=clock)
    before = copy.deepcopy(store.tasks)
    # When the second saves an edit from version 1
    with pytest.raises(StaleVersionError) as refused:
        tasks.update_task(store, "b@x.com", task["id"], version=1, changes={"title": "Mine"}, clock=clock)
    # Then it is refused, saying what version the task is at now, and nothing was written
    assert "version 2" in refused.value.message
    assert refused.value.field == "version"
    assert store.tasks == before


def test_a_change_that_loses_the_race_after_reading_is_stale(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    """The read saw version 1, but someone wrote before our conditional update landed."""
    task = make(store, clock, new_id)
    store.before_update.append(lambda: store.tasks[task["id"]].update(version=2))  # the other writer lands in between
    with pytest.raises(StaleVersionError):
        tasks.update_task(store, "b@x.com", task["id"], version=1, changes={"status": "completed"}, clock=clock)


def test_edits_are_not_history_and_due_can_be_cleared(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    task = make(store, clock, new_id, due="2026-12-01", owner="CFO")
    edited = tasks.update_task(
        store, "a@x.com", task["id"], version=1, changes={"due": None, "owner": "", "title": "New"}, clock=clock
    )
    assert (edited["due"], edited["owner"], edited["title"], len(edited["history"])) == (None, "", "New", 1)
    assert "due" not in store.tasks["t001"]
    same_status = tasks.update_task(store, "a@x.com", task["id"], version=2, changes={"status": "pending"})
    assert len(same_status["history"]) == 1


@pytest.mark.parametrize(
    ("changes", "version", "field"),
    [
        ({"status": "archived"}, 1, "status"),
        ({"title": ""}, 1, "title"),
        ({"due": "31/12/2026"}, 1, "due"),
        ({"created_by": "me"}, 1, "created_by"),
        ({}, 1, "body"),
        ({"title": "ok"}, 0, "version"),
        ({"title": "ok"}, True, "version"),
    ],
)
def test_bad_changes_are_refused_naming_the_field(
    store: Tasks, clock: FixedClock, new_id: Any, changes: dict[str, Any], version: Any, field: str
) -> None:
    task = make(store, clock, new_id)
    before = copy.deepcopy(store.tasks)
    with pytest.raises(InvalidInputError) as refused:
        tasks.update_task(store, "a@x.com", task["id"], version=version, changes=changes)
    assert refused.value.field == field
    assert store.tasks == before


def test_changing_a_missing_task_is_not_found(store: Tasks) -> None:
    with pytest.raises(TaskNotFoundError):
        tasks.update_task(store, "a@x.com", "nope", version=1, changes={"status": "completed"})
    with pytest.raises(TaskNotFoundError):
        tasks.get_task(store, "nope")


# --- reading -------------------------------------------------------------------------------
def test_a_column_lists_only_its_tasks_most_recent_first(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    first = make(store, clock, new_id)
    clock.tick()
    second = make(store, clock, new_id)
    clock.tick()
    moved = make(store, clock, new_id)
    tasks.update_task(store, "a@x.com", moved["id"], version=1, changes={"status": "completed"}, clock=clock)
    assert [t["id"] for t in tasks.list_tasks(store, "pending", clock=clock)] == [second["id"], first["id"]]
    assert [t["id"] for t in tasks.list_tasks(store, "completed", clock=clock)] == [moved["id"]]
    assert store.reads[-1] == "column completed"
    store.reads.clear()
    board = tasks.list_board(store, clock=clock)
    assert {s: len(c) for s, c in board.items()} == {"pending": 2, "in_review": 0, "completed": 1}
    assert [t["id"] for t in board["pending"]] == [second["id"], first["id"]]
    # The board is two reads: the open columns together and the completed column
    assert store.reads == ["open", "column completed"]
    with pytest.raises(InvalidInputError):
        tasks.list_tasks(store, "everything")


def test_counts_for_reports_are_open_and_overdue_in_san_diego(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    # Given: one task due yesterday, one due today, one without a date, one late but completed
    make(store, clock, new_id, due="2026-11-22")
    make(store, clock, new_id, due="2026-11-23")
    make(store, clock, new_id)
    done = make(store, clock, new_id, due="2026-11-01")
    tasks.update_task(store, "a@x.com", done["id"], version=1, changes={"status": "completed"}, clock=clock)
    # Then on the 23rd (San Diego) three are open and one is overdue
    assert tasks.task_counts(store, "2026-11-23") == {"open": 3, "overdue": 1}
    assert tasks.task_counts(store, clock()) == {"open": 3, "overdue": 1}
    assert tasks.task_counts(store, date(2026, 11, 24)) == {"open": 3, "overdue": 2}
    # And only the open columns were read, together
    assert set(store.reads) == {"open"}
    assert done["id"] not in store.read_ids


def test_overdue_uses_the_san_diego_date(store: Tasks, clock: FixedClock, new_id: Any) -> None:
    # 03:00 UTC on the 24th is the evening of the 23rd in San Diego: due the 23rd is not late yet
    task = make(store, clock, new_id, due="2026-11-23")
    assert task["overdue"] is False
    assert tasks.san_diego_today(clock) == date(2026, 11, 23)


def test_the_board_reads_every_open_task_but_only_the_latest_completed(
    store: Tasks, clock: FixedClock, new_id: Any
) -> None:
    # Given 3 pending, 2 in review and 60 completed tasks, completed one a minute apart
    pending = [make(store, clock, new_id)["id"] for _ in range(3)]
    review: list[str] = []
    for _ in range(2):
        task = make(store, clock, new_id)
        clock.tick()
        tasks.update_task(store, "a@x.com", task["id"], version=1, changes={"status": "in_review"}, clock=clock)
        review.append(task["id"])
    done = []
    for _ in range(60):
        task = make(store, clock, new_id)
        clock.tick()
        tasks.update_task(store, "a@x.com", task["id"], version=1, changes={"status": "completed"}, clock=clock)
        done.append(task["id"])
    store.read_ids.clear()
    store.reads.clear()
    # When the board is listed
    board = tasks.list_board(store, clock=clock)
    # Then every open card is there, in its column, most recently changed first
    assert [t["id"] for t in board["pending"]] == pending[::-1]
    assert [t["id"] for t in board["in_review"]] == review[::-1]
    # And the completed column shows the 50 most recently completed; the 10 oldest were not even read
    assert [t["id"] for t in board["completed"]] == done[::-1][: tasks.BOARD_COMPLETED]
    assert not set(done[:10]) & set(store.read_ids)
    assert len(store.reads) == 2
