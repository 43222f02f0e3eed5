"""One task of the progress dashboard, with its history. The domain (quarterdeck.tasks) loads
on first use: every cold start imports this module."""

from __future__ import annotations

from typing import Any

from api_access import ADMIN
from api_dependencies import task_repository
from api_light import ReadTable

router = ReadTable()


@router.get("/api/tasks/<task_id>", summary="One task with its history", tags=["tasks"], middlewares=[ADMIN])
def one_task(task_id: str) -> dict[str, Any]:
    from quarterdeck.tasks import get_task

    return get_task(task_repository(), task_id)
