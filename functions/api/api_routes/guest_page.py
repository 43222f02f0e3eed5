"""A fresh guest link for a guest whose link is spent (no session needed: answered alike for
any address)."""

from __future__ import annotations

from typing import Annotated, Any

from api_access import PUBLIC_WRITE, viewer_address
from api_dependencies import guest_repository, mailer, sign_in_repository
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

router = APIGatewayHttpRouter()


class FreshLinkRequest(BaseModel):
    email: str = Field(max_length=254)


@router.post(
    "/api/sails/<sail_id>/guest-link",
    summary="Email a fresh guest link to an address on the sail's guest list",
    tags=["guests"],
    middlewares=[PUBLIC_WRITE],
    status_code=202,
)
def fresh_guest_link(sail_id: str, body: Annotated[FreshLinkRequest, Body()]) -> Response[Any]:
    from quarterdeck import guest_page

    source = viewer_address(router.current_event) or None
    guest_page.send_fresh_link(guest_repository(), sign_in_repository(), mailer(), sail_id, body.email, source=source)
    return json_response(
        202,
        {
            "status": "sent if booked",
            "message": "If that address is on this sail's guest list, a fresh link is on its way.",
        },
    )
