"""A sail's page: the sail with its roles, checklists and guests."""

from __future__ import annotations

from typing import Any

from api_access import MEMBER, caller
from api_dependencies import sail_repository
from api_light import ReadTable

from quarterdeck import sails

router = ReadTable()


@router.get(
    "/api/sails/<sail_id>", summary="A sail with roles, checklists, guests", tags=["sails"], middlewares=[MEMBER]
)
def get_sail(sail_id: str) -> dict[str, Any]:
    return sails.get_sail(sail_repository(), sail_id, caller(router))
