"""The roster as admins see it, and the signed-in person's own settings (issue 20). The
domain loads on first use: every cold start imports this module."""

from __future__ import annotations

from typing import Any

from api_access import ADMIN, MEMBER, caller
from api_dependencies import people_repository, sail_repository
from api_light import ReadTable

router = ReadTable()


@router.get("/api/people", summary="Everyone who can sign in (admin)", tags=["people"], middlewares=[ADMIN])
def people() -> dict[str, Any]:
    from quarterdeck import roster

    return roster.list_people(people_repository(), sail_repository())


@router.get("/api/me/settings", summary="My name and which nudges I get", tags=["people"], middlewares=[MEMBER])
def my_settings() -> dict[str, Any]:
    from quarterdeck import people as people_domain

    who = caller(router)
    return people_domain.my_settings(people_repository().person(who.email), who.email)
