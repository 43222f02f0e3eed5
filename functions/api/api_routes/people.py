"""The roster (admins add, change and remove people) and my settings (issue 20)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import unquote

from api_access import ADMIN, MEMBER, SESSION_COOKIE, caller
from api_dependencies import mailer, people_repository, sail_repository, sign_in_repository
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from pydantic import BaseModel, ConfigDict, Field

from quarterdeck import people as people_domain
from quarterdeck import roster
from quarterdeck.config import get_settings

router = APIGatewayHttpRouter()

NudgeKind = Literal["unfilled_roles", "waiver_pending", "checklist_open", "day_of"]


class NewPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    role: Literal["crew", "admin"]
    name: str | None = Field(default=None, max_length=80)


class PersonChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["crew", "admin"] | None = None
    name: str | None = Field(default=None, max_length=80)


class MySettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=80)
    nudges: dict[NudgeKind, bool] | None = None


def _roster() -> roster.Roster:
    return roster.Roster(
        people=people_repository(), sails=sail_repository(), sign_in=sign_in_repository(), mailer=mailer()
    )


@router.post(
    "/api/people",
    summary="Add someone as crew or admin (a welcome email with a sign-in link)",
    tags=["people"],
    middlewares=[ADMIN],
    status_code=201,
)
def add_person(body: Annotated[NewPerson, Body()]) -> Response[Any]:
    added = roster.add_person(_roster(), caller(router).email, body.email, body.role, body.name)
    return json_response(201, added)


@router.patch("/api/people/<email>", summary="Change someone's role or name", tags=["people"], middlewares=[ADMIN])
def change_person(email: str, body: Annotated[PersonChange, Body()]) -> dict[str, Any]:
    return roster.change_person(people_repository(), unquote(email), role=body.role, name=body.name)


@router.delete(
    "/api/people/<email>",
    summary="Remove someone (sessions end, upcoming slots open again)",
    tags=["people"],
    middlewares=[ADMIN],
)
def remove_person(email: str) -> dict[str, Any]:
    return roster.remove_person(_roster(), caller(router).email, unquote(email))


@router.patch("/api/me", summary="Change my name or which nudges I get", tags=["people"], middlewares=[MEMBER])
def change_my_settings(body: Annotated[MySettingsChange, Body()]) -> dict[str, Any]:
    who = caller(router)
    nudges = {str(kind): on for kind, on in body.nudges.items()} if body.nudges is not None else None
    return people_domain.update_my_settings(people_repository(), who.email, name=body.name, nudges=nudges)


@router.post(
    "/api/me/sign-out-everywhere",
    summary="End every session of mine, this one included",
    tags=["people"],
    middlewares=[MEMBER],
)
def sign_out_everywhere() -> Response[Any]:
    who = caller(router)
    people_domain.end_all_sessions(people_repository(), who.email, jti=who.jti, expires=who.expires)
    cookie = Cookie(
        name=SESSION_COOKIE,
        value="",
        path="/api",
        secure=get_settings().cookie_secure,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=0,
    )
    return json_response(200, {"status": "signed out everywhere"}, cookies=[cookie])
