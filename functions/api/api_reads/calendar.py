"""Private calendar feeds: whether a person's secret feed URL is active, and the feed itself.
The domain (quarterdeck.calendar_feed) loads on first use: every cold start imports this module."""

from __future__ import annotations

from typing import Any

from api_access import MEMBER, caller
from api_dependencies import people_repository, sail_repository
from api_light import Answer, ReadTable

router = ReadTable()


@router.get(
    "/api/calendar/token", summary="Whether a private calendar URL is active", tags=["calendar"], middlewares=[MEMBER]
)
def calendar_token_status() -> dict[str, Any]:
    from quarterdeck import calendar_feed

    return calendar_feed.calendar_token_status(people_repository(), caller(router).email)


@router.get(
    "/api/calendar/<feed>",
    summary="A person's sails as iCalendar (the secret is the URL)",
    tags=["calendar"],
    responses={
        200: {"description": "iCalendar (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}},
    },
)
def calendar(feed: str) -> Answer:
    from quarterdeck import calendar_feed

    text = calendar_feed.calendar_for_feed(people_repository(), sail_repository(), feed)
    return Answer(
        status_code=200,
        content_type="text/calendar; charset=utf-8",
        body=text,
        headers={
            "Content-Disposition": 'inline; filename="quarterdeck-sails.ics"',
            "Referrer-Policy": "no-referrer",
        },
    )
