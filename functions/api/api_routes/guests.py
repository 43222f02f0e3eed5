"""Guests and waivers: admins add guests and resend waiver links; a guest signs its own waiver.
(The manifest, a guest's record and the waiver text are in api_reads.)"""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, GUEST, caller, viewer_address
from api_dependencies import guest_repository, mailer
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, StrictBool

from quarterdeck import guests, waivers
from quarterdeck.documents import default_document_store
from quarterdeck.validation import without_controls

router = APIGatewayHttpRouter()

# Bodies are typed loosely on purpose: the domain checks every value and names the field.
Scalar = str | int | float | bool | None


class NewGuestRequest(BaseModel):
    name: Scalar = None
    email: Scalar = None
    party_size: Scalar = 1
    phone: Scalar = None


class SignatureRequest(BaseModel):
    full_name: Scalar = None
    accept: Scalar = False
    minor: StrictBool = False
    guardian_name: Scalar = None


@router.post(
    "/api/sails/<sail_id>/guests",
    summary="Add a guest (on hold) and email the waiver link",
    tags=["guests"],
    middlewares=[ADMIN],
    status_code=201,
)
def add_guest(sail_id: str, body: Annotated[NewGuestRequest, Body()]) -> Response[Any]:
    answer = guests.add_guest(guest_repository(), mailer(), caller(router).email, sail_id, **body.model_dump())
    return json_response(201, answer)


@router.post(
    "/api/sails/<sail_id>/guests/<guest_id>/resend",
    summary="Email a fresh waiver link to a guest who has not signed",
    tags=["guests"],
    middlewares=[ADMIN],
)
def resend(sail_id: str, guest_id: str) -> dict[str, Any]:
    return guests.resend_waiver_link(guest_repository(), mailer(), caller(router).email, sail_id, guest_id)


@router.post(
    "/api/sails/<sail_id>/guests/<guest_id>/waiver",
    summary="The guest signs its waiver (201); signing again answers 200 'already signed'",
    tags=["guests"],
    middlewares=[GUEST],
    responses={
        201: {"description": "Signed now", "content": {"application/json": {"schema": {"type": "object"}}}},
        200: {"description": "Already signed", "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
def sign(sail_id: str, guest_id: str, body: Annotated[SignatureRequest, Body()]) -> Response[Any]:
    http = router.current_event.request_context.http
    answer = waivers.sign_waiver(
        guest_repository(),
        mailer(),
        default_document_store(),
        caller(router),
        sail_id,
        guest_id,
        full_name=body.full_name,
        accept=body.accept,
        minor=body.minor,
        guardian_name=body.guardian_name,
        ip=viewer_address(router.current_event),
        user_agent=without_controls(http.user_agent or router.current_event.headers.get("user-agent") or "", 512),
    )
    return json_response(200 if answer["status"] == "already signed" else 201, answer)
