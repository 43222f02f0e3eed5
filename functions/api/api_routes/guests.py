"""Guests and waivers: admins add bookings, edit, move and remove guests, resend waiver links and
publish the waiver text; a guest signs its own waiver. (The manifest, a guest's record and the
waiver text are in api_reads.)"""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, GUEST, caller, viewer_address
from api_dependencies import guest_repository, mailer
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, StrictBool

from quarterdeck import bookings, guests, waiver_text, waivers
from quarterdeck.documents import default_document_store
from quarterdeck.errors import InvalidInputError
from quarterdeck.validation import without_controls

router = APIGatewayHttpRouter()

# Bodies are typed loosely on purpose: the domain checks every value and names the field.
Scalar = str | int | float | bool | None


class NewGuestRequest(BaseModel):
    name: Scalar = None
    email: Scalar = None
    people: list[Any] | Scalar = None  # [{name, email?, minor?}], checked by the domain field by field
    party_size: Scalar = None
    phone: Scalar = None


class GuestChange(BaseModel):
    name: Scalar = None
    email: Scalar = None
    sail_id: Scalar = None  # move the guest's booking to this sail


class WaiverText(BaseModel):
    text: Scalar = None
    based_on: Scalar = None  # the version the admin previewed against


class SignatureRequest(BaseModel):
    full_name: Scalar = None
    accept: Scalar = False
    minor: StrictBool = False
    guardian_name: Scalar = None
    covers: list[Any] | Scalar = None  # ids of the booking's minors this signature covers


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


@router.patch(
    "/api/sails/<sail_id>/guests/<guest_id>",
    summary="Edit a guest's name or email (a new email gets a new waiver link), or move its booking to another sail",
    tags=["guests"],
    middlewares=[ADMIN],
)
def edit(sail_id: str, guest_id: str, body: Annotated[GuestChange, Body()]) -> dict[str, Any]:
    who = caller(router).email
    if body.sail_id not in (None, ""):
        if body.name is not None or body.email is not None:
            raise InvalidInputError("Move a booking on its own, then edit its people.", field="sail_id")
        return bookings.move_booking(guest_repository(), mailer(), who, sail_id, guest_id, to_sail=body.sail_id)
    return bookings.edit_guest(guest_repository(), mailer(), who, sail_id, guest_id, name=body.name, email=body.email)


@router.delete(
    "/api/sails/<sail_id>/guests/<guest_id>",
    summary="Remove a guest (with ?booking=true, its whole booking); it stays on the manifest as removed",
    tags=["guests"],
    middlewares=[ADMIN],
    status_code=204,
    responses={204: {"description": "Removed", "content": {}}},
)
def remove(sail_id: str, guest_id: str) -> Response[Any]:
    whole = (router.current_event.get_query_string_value("booking") or "").lower()
    if whole not in ("", "true", "false"):
        raise InvalidInputError("booking is true or false.", field="booking")
    bookings.remove_guest(guest_repository(), caller(router).email, sail_id, guest_id, booking=whole == "true")
    return Response(status_code=204, body="")


@router.post(
    "/api/waiver",
    summary="Publish a new version of the waiver text (admins, after a preview)",
    tags=["guests"],
    middlewares=[ADMIN],
    status_code=201,
)
def publish(body: Annotated[WaiverText, Body()]) -> Response[Any]:
    answer = waiver_text.publish_waiver(
        guest_repository(), caller(router).email, text=body.text, based_on=body.based_on
    )
    return json_response(201, answer)


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
        covers=body.covers,
        ip=viewer_address(router.current_event),
        user_agent=without_controls(http.user_agent or router.current_event.headers.get("user-agent") or "", 512),
    )
    return json_response(200 if answer["status"] == "already signed" else 201, answer)
