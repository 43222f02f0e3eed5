"""The progress dashboard's cards: list a column (or the board), add a task, edit or move one,
archive one.
(One task with its history is in api_reads.)"""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, caller
from api_dependencies import task_repository
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from quarterdeck.tasks import (
    BOARD_COMPLETED,
    archive_task,
    create_task,
    list_board,
    list_tasks,
    san_diego_today,
    update_task,
)

router = APIGatewayHttpRouter()


class NewTask(BaseModel):
    """A task someone adds by hand (reports add theirs through the domain, with their source)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=1000)
    detail: str = Field(default="", max_length=10000)
    entity: str = Field(default="", max_length=1000)
    owner: str = Field(default="", max_length=1000)
    due: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD (San Diego)")


class TaskChange(BaseModel):
    """An edit or a move; `version` is the version the change was made from."""

    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=1)
    status: str | None = Field(default=None, description="pending | in_review | completed")
    title: str | None = Field(default=None, max_length=1000)
    detail: str | None = Field(default=None, max_length=10000)
    entity: str | None = Field(default=None, max_length=1000)
    owner: str | None = Field(default=None, max_length=1000)
    due: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD; null or empty clears it")


BOARD_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["today", "columns"],
    "properties": {
        "today": {"type": "string", "description": "Today in San Diego, YYYY-MM-DD."},
        "columns": {
            "type": "object",
            "description": "Status -> its tasks, most recently changed first.",
            "additionalProperties": {"type": "array", "items": {"type": "object"}},
        },
        "completed_limit": {
            "type": "integer",
            "minimum": 1,
            "description": "The whole board only: the completed column holds at most this many, the most recent.",
        },
    },
}


@router.get(
    "/api/tasks",
    summary="The board's columns, or one column",
    tags=["tasks"],
    middlewares=[ADMIN],
    responses={200: {"description": "The columns", "content": {"application/json": {"schema": BOARD_ANSWER}}}},
)
def tasks_by_status(status: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    today = san_diego_today().isoformat()
    if not status:  # no status (or an empty one): the whole board, one Query per column
        columns = list_board(task_repository(), completed=BOARD_COMPLETED)
        return {"today": today, "columns": columns, "completed_limit": BOARD_COMPLETED}
    return {"today": today, "columns": {status: list_tasks(task_repository(), status)}}


@router.post(
    "/api/tasks", summary="Add a task to the pending column", tags=["tasks"], middlewares=[ADMIN], status_code=201
)
def add_task(body: Annotated[NewTask, Body()]) -> Response[Any]:
    task = create_task(task_repository(), caller(router).email, **body.model_dump())
    return json_response(201, task)


@router.patch("/api/tasks/<task_id>", summary="Edit or move a task (409 if stale)", tags=["tasks"], middlewares=[ADMIN])
def change_task(task_id: str, body: Annotated[TaskChange, Body()]) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if changes.get("status", "") is None:
        changes.pop("status")  # a null status means "not moving"
    return update_task(task_repository(), caller(router).email, task_id, version=version, changes=changes)


@router.delete(
    "/api/tasks/<task_id>",
    summary="Archive a card: it leaves the board and keeps its history",
    tags=["tasks"],
    middlewares=[ADMIN],
)
def archive_card(task_id: str) -> dict[str, Any]:
    return archive_task(task_repository(), caller(router).email, task_id)
