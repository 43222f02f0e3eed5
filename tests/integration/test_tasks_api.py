"""The dashboard's task API against the local stack (moto server, table from template.yaml)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.clients import client
from quarterdeck.repositories.tasks import DynamoTaskRepository
from quarterdeck.store import Store
from quarterdeck.tasks import BOARD_COMPLETED, STATUSES, new_task_item
from tests.conftest import ApiClient


def unique(prefix: str = "Task") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def add(admin: ApiClient, **fields: Any) -> dict[str, Any]:
    answer = admin.post("/api/tasks", {"title": unique(), **fields})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def column(admin: ApiClient, status: str) -> list[dict[str, Any]]:
    answer = admin.get("/api/tasks", params={"status": status})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["columns"][status])


# --- create, list, move ------------------------------------------------------------------
def test_a_new_task_is_pending_and_listed_in_its_column(admin: ApiClient) -> None:
    # When the admin adds a task
    task = add(admin, entity="QuickDumpNow", owner="CMO", due="2030-01-15", detail="Line one\nLine two")
    # Then it is pending, version 1, with who made it and a first history entry
    assert task["status"] == "pending"
    assert task["version"] == 1
    assert task["created_by"] == "admin@example.com"
    assert task["source"] is None
    assert task["detail"] == "Line one\nLine two"
    assert [(h["from"], h["to"], h["by"]) for h in task["history"]] == [(None, "pending", "admin@example.com")]
    # And it is in the pending column, not in the others
    assert task["id"] in {t["id"] for t in column(admin, "pending")}
    assert task["id"] not in {t["id"] for t in column(admin, "in_review")}
    # And the whole board lists the three columns
    board = admin.get("/api/tasks").json()
    assert set(board["columns"]) == set(STATUSES)
    assert len(board["today"]) == 10
    assert set(admin.get("/api/tasks", params={"status": ""}).json()["columns"]) == set(STATUSES)


def test_moves_go_forward_and_back_and_are_recorded(admin: ApiClient) -> None:
    task = add(admin)
    # When the task is moved to review, to completed, then back to review
    versions = [task["version"]]
    for target in ("in_review", "completed", "in_review"):
        answer = admin.patch(f"/api/tasks/{task['id']}", {"version": versions[-1], "status": target})
        assert answer.status_code == 200, answer.text
        versions.append(answer.json()["version"])
    moved = answer.json()
    # Then each move took a new version, and the history tells the whole way with who moved it
    assert versions == [1, 2, 3, 4]
    assert [(h["from"], h["to"]) for h in moved["history"]] == [
        (None, "pending"),
        ("pending", "in_review"),
        ("in_review", "completed"),
        ("completed", "in_review"),
    ]
    assert all(h["by"] == "admin@example.com" and h["at"] for h in moved["history"])
    # And it is listed only in its current column
    assert task["id"] in {t["id"] for t in column(admin, "in_review")}
    assert task["id"] not in {t["id"] for t in column(admin, "completed")}
    assert task["id"] not in {t["id"] for t in column(admin, "pending")}
    # And the single task route shows the same
    assert admin.get(f"/api/tasks/{task['id']}").json()["status"] == "in_review"


def test_edits_change_fields_without_a_history_entry_and_can_clear_the_due_date(admin: ApiClient) -> None:
    task = add(admin, due="2030-02-01")
    answer = admin.patch(
        f"/api/tasks/{task['id']}", {"version": 1, "title": "  Renamed   task ", "owner": "Dana", "due": None}
    )
    assert answer.status_code == 200, answer.text
    edited = answer.json()
    assert (edited["title"], edited["owner"], edited["due"], edited["version"]) == ("Renamed task", "Dana", None, 2)
    assert len(edited["history"]) == 1  # only status changes are history


def test_overdue_is_open_work_past_its_due_date(admin: ApiClient) -> None:
    late = add(admin, due="2024-01-01")
    assert late["overdue"] is True
    done = admin.patch(f"/api/tasks/{late['id']}", {"version": 1, "status": "completed"}).json()
    assert done["overdue"] is False
    assert add(admin, due="2030-12-31")["overdue"] is False


# --- acceptance 2: two edits from the same version ----------------------------------------
def test_two_edits_from_the_same_version_one_wins_the_other_gets_409(admin: ApiClient) -> None:
    # Given a task both the owner's phone and laptop read at version 1
    task = add(admin)
    url = f"/api/tasks/{task['id']}"
    # When both send a change made from version 1
    first = admin.patch(url, {"version": 1, "status": "in_review"})
    second = admin.patch(url, {"version": 1, "title": "Overwrite attempt"})
    # Then the first wins and the second is refused, naming the version it is now at
    assert first.status_code == 200, first.text
    assert second.status_code == 409, second.text
    error = second.json()["error"]
    assert error["code"] == "stale_version"
    assert error["field"] == "version"
    assert "version 2" in error["message"]
    # And nothing of the losing edit was written
    now = admin.get(url).json()
    assert (now["status"], now["title"], now["version"]) == ("in_review", task["title"], 2)


# --- acceptance 4: validation ------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Due", "due": "2026-02-30"}, "due"),
        ({"title": "Due", "due": "tomorrow"}, "due"),
        ({"title": "Due", "due": "20261123"}, "due"),
        ({"title": "Due", "due": "1999-12-31"}, "due"),
        ({"title": "Wrong type", "entity": 5}, "entity"),
        ({"title": "Extra", "status": "completed"}, "status"),
    ],
)
def test_creating_a_task_refuses_bad_input_naming_the_field(admin: ApiClient, body: dict[str, Any], field: str) -> None:
    answer = admin.post("/api/tasks", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "done"}, "status"),
        ({"status": "IN_REVIEW"}, "status"),
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"due": "2026-13-01"}, "due"),
        ({"due": "next week"}, "due"),
        ({"version": "one", "title": "x"}, "version"),
        ({"version": 0, "title": "x"}, "version"),
        ({"created_by": "someone"}, "created_by"),
    ],
)
def test_changing_a_task_refuses_bad_input_naming_the_field(
    admin: ApiClient, change: dict[str, Any], field: str
) -> None:
    task = add(admin)
    answer = admin.patch(f"/api/tasks/{task['id']}", {"version": 1, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    # And nothing was written
    assert admin.get(f"/api/tasks/{task['id']}").json()["version"] == 1


def test_a_version_without_changes_is_refused(admin: ApiClient) -> None:
    task = add(admin)
    answer = admin.patch(f"/api/tasks/{task['id']}", {"version": 1})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "body"


def test_listing_an_unknown_status_names_the_field(admin: ApiClient) -> None:
    answer = admin.get("/api/tasks", params={"status": "archived"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "status"


def test_an_unknown_task_is_404(admin: ApiClient) -> None:
    assert admin.get("/api/tasks/nope").status_code == 404
    answer = admin.patch("/api/tasks/nope", {"version": 1, "status": "completed"})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "task_not_found"


# --- access ------------------------------------------------------------------------------
def test_only_admins_reach_the_board(crew: ApiClient, anonymous: ApiClient, admin: ApiClient) -> None:
    task = add(admin)
    for who, status in ((crew, 403), (anonymous, 401)):
        assert who.get("/api/tasks").status_code == status
        assert who.get("/api/tasks", params={"status": "pending"}).status_code == status
        assert who.post("/api/tasks", {"title": "Sneaky"}).status_code == status
        assert who.patch(f"/api/tasks/{task['id']}", {"version": 1, "status": "completed"}).status_code == status
    assert admin.get(f"/api/tasks/{task['id']}").json()["version"] == 1


def test_the_openapi_document_lists_the_task_routes(anonymous: ApiClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/tasks"])
    assert {"get", "patch"} <= set(paths["/api/tasks/{task_id}"])


# --- acceptance 3: listing by status reads only that status's items ------------------------
class QueryReads:
    """Items DynamoDB read for our Queries (Count and ScannedCount), and any Scan attempted."""

    def __init__(self) -> None:
        self.count = 0
        self.scanned = 0
        self.queries: list[dict[str, Any]] = []
        self.scans = 0

    def after_query(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.count += int(parsed.get("Count", 0))
        self.scanned += int(parsed.get("ScannedCount", 0))

    def before_query(self, params: dict[str, Any], **_: Any) -> None:
        self.queries.append(params)

    def before_scan(self, **_: Any) -> None:
        self.scans += 1


@pytest.fixture
def thousand_tasks(stack: LocalStack) -> Iterator[dict[str, list[str]]]:
    """1,000 tasks loaded in bulk across the three columns; removed again afterwards."""
    per_status = {"pending": 450, "in_review": 150, "completed": 400}
    batch = uuid.uuid4().hex[:8]
    items = []
    ids: dict[str, list[str]] = {status: [] for status in per_status}
    for status, how_many in per_status.items():
        for n in range(how_many):
            item = new_task_item(
                "seed@example.com", title=f"Bulk {batch} {status} {n}", status=status, entity="Bulk", owner="CFO"
            )
            items.append(item)
            ids[status].append(item["id"])
    store = Store()
    DynamoTaskRepository(store).add_many(items)
    yield ids
    dynamodb = client("dynamodb")
    for start in range(0, len(items), 25):
        chunk = items[start : start + 25]
        dynamodb.batch_write_item(
            RequestItems={
                store.table_name: [
                    {"DeleteRequest": {"Key": {"pk": {"S": f"TASK#{i['id']}"}, "sk": {"S": "META"}}}} for i in chunk
                ]
            }
        )


def test_listing_a_column_of_1000_tasks_reads_only_that_columns_items(
    admin: ApiClient, thousand_tasks: dict[str, list[str]]
) -> None:
    # Given 1,000 tasks across the columns (and whatever other tests left in the table)
    total_in_table = sum(len(column(admin, s)) for s in STATUSES)
    assert total_in_table >= 1000
    # When the admin lists the in-review column, with every DynamoDB read of the handler counted
    reads = QueryReads()
    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.Query", reads.before_query)
    events.register("after-call.dynamodb.Query", reads.after_query)
    events.register("before-call.dynamodb.Scan", reads.before_scan)
    try:
        listed = column(admin, "in_review")
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", reads.before_query)
        events.unregister("after-call.dynamodb.Query", reads.after_query)
        events.unregister("before-call.dynamodb.Scan", reads.before_scan)
    # Then every seeded in-review task is listed, and nothing from another column
    listed_ids = {t["id"] for t in listed}
    assert set(thousand_tasks["in_review"]) <= listed_ids
    assert {t["status"] for t in listed} == {"in_review"}
    # And DynamoDB read exactly the listed items: no Scan, no filtered-out reads, on GSI1 only
    print(
        f"\nin_review listed={len(listed)} read Count={reads.count} ScannedCount={reads.scanned} "
        f"queries={len(reads.queries)} table_total={total_in_table}"
    )
    assert reads.scans == 0
    assert reads.count == reads.scanned == len(listed)
    assert len(listed) < total_in_table - 800
    assert all(q.get("IndexName") == "gsi1" for q in reads.queries)

    # When the admin opens the whole board
    reads = QueryReads()
    events.register("before-parameter-build.dynamodb.Query", reads.before_query)
    events.register("after-call.dynamodb.Query", reads.after_query)
    try:
        answer = admin.get("/api/tasks").json()
        board = answer["columns"]
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", reads.before_query)
        events.unregister("after-call.dynamodb.Query", reads.after_query)
    # Then it is two Queries: every open card, and only the latest completed ones (not all 400)
    assert len(reads.queries) == 2
    assert set(thousand_tasks["in_review"]) <= {t["id"] for t in board["in_review"]}
    assert set(thousand_tasks["pending"]) <= {t["id"] for t in board["pending"]}
    assert len(board["completed"]) == BOARD_COMPLETED
    # And the answer names that limit, so the page can say older completed work is not shown
    assert answer["completed_limit"] == BOARD_COMPLETED
    assert reads.count == reads.scanned == sum(len(c) for c in board.values())


def test_the_board_answer_names_how_many_completed_tasks_it_shows_at_most(
    admin: ApiClient, anonymous: ApiClient
) -> None:
    # Given a task the admin completed
    task = add(admin)
    assert admin.patch(f"/api/tasks/{task['id']}", {"version": 1, "status": "completed"}).status_code == 200
    # When the admin opens the whole board
    board = admin.get("/api/tasks").json()
    # Then the answer says the completed column holds at most BOARD_COMPLETED (the most recent)
    assert board["completed_limit"] == BOARD_COMPLETED
    assert task["id"] in {t["id"] for t in board["columns"]["completed"]}
    assert len(board["columns"]["completed"]) <= board["completed_limit"]
    # And one column asked for by name is not cut, so its answer carries no limit
    assert "completed_limit" not in admin.get("/api/tasks", params={"status": "completed"}).json()
    # And the OpenAPI document describes the field
    document = anonymous.get("/api/openapi.json").json()
    answer = document["paths"]["/api/tasks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["completed_limit"]["type"] == "integer"
    assert set(answer["required"]) == {"today", "columns"}


# --- demo data ----------------------------------------------------------------------------
def test_the_demo_cards_are_seeded_once_even_when_seeding_again(admin: ApiClient) -> None:
    from local.seed_tasks import demo_tasks, seed_tasks

    # Given the stack was seeded at start; when the seed runs again
    seed_tasks(DynamoTaskRepository(Store()))
    # Then each demo card is on the board exactly once, in its intended column
    board = admin.get("/api/tasks").json()["columns"]
    by_title: dict[str, list[str]] = {}
    for status, tasks in board.items():
        for task in tasks:
            by_title.setdefault(task["title"], []).append(status)
    for spec in demo_tasks("any"):
        assert by_title.get(spec["title"]) == [spec["status"]], spec["title"]


# --- archive (issue 22) ------------------------------------------------------------------------
def test_an_archived_card_leaves_the_board_and_keeps_its_history(admin: ApiClient) -> None:
    # Given a card moved to in review
    task = add(admin)
    moved = admin.patch(f"/api/tasks/{task['id']}", {"version": 1, "status": "in_review"})
    assert moved.status_code == 200, moved.text
    # When the admin archives it (twice: the second is the same answer)
    archived = admin.request("DELETE", f"/api/tasks/{task['id']}")
    assert archived.status_code == 200, archived.text
    again = admin.request("DELETE", f"/api/tasks/{task['id']}")
    assert again.status_code == 200 and again.json()["version"] == archived.json()["version"]
    # Then it is on no column of the board, and reads back archived with its whole history
    board = admin.get("/api/tasks").json()["columns"]
    assert all(t["id"] != task["id"] for column in board.values() for t in column)
    one = admin.get(f"/api/tasks/{task['id']}").json()
    assert one["status"] == "archived"
    assert [(h.get("from"), h["to"]) for h in one["history"]] == [
        (None, "pending"),
        ("pending", "in_review"),
        ("in_review", "archived"),
    ]


def test_archiving_a_missing_card_is_404(admin: ApiClient) -> None:
    answer = admin.request("DELETE", f"/api/tasks/nosuch{uuid.uuid4().hex[:8]}")
    assert answer.status_code == 404, answer.text
