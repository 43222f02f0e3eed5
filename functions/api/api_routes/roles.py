"""Crew roles on a sail: invite (admin), claim, release, designate (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, CREW, caller
from api_dependencies import mailer, people_repository, sail_repository
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from quarterdeck import crew

router = APIGatewayHttpRouter()


class EmailRequest(BaseModel):
    # Loosely typed on purpose: the domain checks the address and names the field `email`.
    email: str | None = None


@router.post(
    "/api/sails/<sail_id>/roles/<slot>/invite",
    summary="Email a claim link for an open slot (a new invite revokes the previous link)",
    tags=["roles"],
    middlewares=[ADMIN],
)
def invite(sail_id: str, slot: str, body: Annotated[EmailRequest, Body()]) -> dict[str, Any]:
    return crew.invite_to_role(sail_repository(), mailer(), caller(router), sail_id, slot, body.email or "")


@router.post(
    "/api/sails/<sail_id>/roles/<slot>/claim",
    summary="Claim an open slot (409 if someone holds it)",
    tags=["roles"],
    middlewares=[CREW],
)
def claim(sail_id: str, slot: str) -> dict[str, Any]:
    return crew.claim_role(sail_repository(), mailer(), caller(router), sail_id, slot, people=people_repository())


@router.post(
    "/api/sails/<sail_id>/roles/<slot>/release",
    summary="Free a slot (its holder or an admin)",
    tags=["roles"],
    middlewares=[CREW],
)
def release(sail_id: str, slot: str) -> dict[str, Any]:
    return crew.release_role(sail_repository(), mailer(), caller(router), sail_id, slot, people=people_repository())


@router.post(
    "/api/sails/<sail_id>/roles/<slot>/designate",
    summary="Confirm the claimed holder or assign anyone to an open slot",
    tags=["roles"],
    middlewares=[ADMIN],
)
def designate(sail_id: str, slot: str, body: Annotated[EmailRequest, Body()]) -> dict[str, Any]:
    return crew.designate_role(sail_repository(), mailer(), caller(router), sail_id, slot, body.email or "")
