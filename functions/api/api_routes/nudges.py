"""Turning nudges off from the link in every nudge email."""

from __future__ import annotations

from typing import Annotated

from api_access import PUBLIC_WRITE
from api_dependencies import nudge_repository
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, SecretStr

from quarterdeck.nudges import unsubscribe
from quarterdeck.unsubscribe import load_unsubscribe_keys

router = APIGatewayHttpRouter()


class UnsubscribeRequest(BaseModel):
    token: SecretStr = Field(min_length=1, max_length=600)  # never in a repr, so never in a debug log


@router.post(
    "/api/nudges/unsubscribe",
    summary="Stop reminder emails (link in every nudge)",
    tags=["nudges"],
    middlewares=[PUBLIC_WRITE],
)
def stop_nudges(body: Annotated[UnsubscribeRequest, Body()]) -> dict[str, str]:
    email = unsubscribe(nudge_repository(), load_unsubscribe_keys(), body.token.get_secret_value())
    return {"status": "unsubscribed", "email": email}
