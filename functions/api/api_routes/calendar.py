"""Private calendar feeds: issue and revoke a person's secret feed URL (api_reads has the
status and the feed)."""

from __future__ import annotations

from typing import Any

from api_access import MEMBER, caller
from api_dependencies import sail_repository
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from quarterdeck import calendar_feed

router = APIGatewayHttpRouter()


@router.post(
    "/api/calendar/token",
    summary="A new private calendar URL (the old one stops working)",
    tags=["calendar"],
    middlewares=[MEMBER],
)
def new_calendar_token() -> dict[str, Any]:
    who = caller(router)
    return calendar_feed.issue_calendar_token(
        sail_repository(), who.email, guest_sail_id=who.sail_id if who.is_guest else None
    )


@router.delete(
    "/api/calendar/token", summary="Revoke the private calendar URL", tags=["calendar"], middlewares=[MEMBER]
)
def revoke_calendar_token() -> dict[str, Any]:
    calendar_feed.revoke_calendar_token(sail_repository(), caller(router).email)
    return {"active": False}
