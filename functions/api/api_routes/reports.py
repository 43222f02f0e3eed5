"""Routes of the reports area (admin only): preview any report rendered, send one now (handed
to ReportFunction: 202 at once; the run shows in the list, in api_reads, when recorded). The
domain (quarterdeck.reports) loads on first use, so the API's cold start does not pay for
jinja2 or the strategies."""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, ADMIN_AFRESH, caller
from api_dependencies import report_queue, report_run_repository, store
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

router = APIGatewayHttpRouter()

PERIOD = r"^\d{4}-(W\d{2}|\d{2})$"


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # a week, a month, or any day in the period wanted (the kind's week or month that holds it)
    period: str | None = Field(default=None, max_length=10, pattern=r"^\d{4}-(W\d{2}|\d{2}|\d{2}-\d{2})$")


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    force: StrictBool = False
    period: str | None = Field(default=None, max_length=8, pattern=PERIOD)


@router.post(
    "/api/reports/<kind>/preview", middlewares=[ADMIN], summary="Render a report without sending", tags=["reports"]
)
def preview(kind: str, body: Annotated[PreviewBody, Body()]) -> dict[str, Any]:
    from quarterdeck.reports.reports_page import preview_report
    from quarterdeck.reports.wiring import TableLiveFigures

    return preview_report(kind, period=body.period, live=TableLiveFigures(store()))


@router.post(
    "/api/reports/<kind>/send",
    middlewares=[ADMIN_AFRESH],  # it writes nothing before the hand-off: no guarded write stops a removed admin
    summary="Send a report now: handed to the report function, answered at once (202)",
    tags=["reports"],
    status_code=202,
    responses={
        202: {
            "description": "Queued: the report function sends it; GET /api/reports shows the run when it is recorded",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def send_now(kind: str, body: Annotated[SendBody, Body()]) -> Response[Any]:
    from quarterdeck.reports.reports_page import queue_report_send

    queued = queue_report_send(
        kind,
        report_run_repository(),
        report_queue(),
        requested_by=caller(router).email,
        force=body.force,
        period=body.period,
    )
    return json_response(202, queued)
