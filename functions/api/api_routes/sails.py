"""Sails: list, create (one or a weekly series), edit, cancel (one or the rest of its series);
their checklists; the times preview. (A sail's page is
in api_reads.)"""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, CREW, caller
from api_dependencies import checklist_repository, mailer, sail_repository
from api_responses import json_response
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, StrictBool, StrictInt

from quarterdeck import checklists, sail_series, sails
from quarterdeck.config import get_settings
from quarterdeck.sail_fields import date_range, sail_timing
from quarterdeck.validation import calendar_date

router = APIGatewayHttpRouter()

# Bodies are typed loosely on purpose: the domain checks every value and names the field.
Scalar = str | int | float | bool | None


class NewSailRequest(BaseModel):
    date: Scalar = None
    title: Scalar = None
    crew_slots: Scalar = 2
    notes: Scalar = ""
    guest_capacity: Scalar = None
    meeting_point: Scalar = None
    start: Scalar = None
    duration_minutes: Scalar = None
    repeat_weeks: Scalar = None


class SailChangesRequest(BaseModel):
    date: Scalar = None
    title: Scalar = None
    crew_slots: Scalar = None
    notes: Scalar = None
    guest_capacity: Scalar = None
    meeting_point: Scalar = None
    start: Scalar = None
    duration_minutes: Scalar = None
    version: StrictInt | None = None


class SeriesChangesRequest(BaseModel):
    title: Scalar = None
    crew_slots: Scalar = None
    notes: Scalar = None
    start: Scalar = None
    duration_minutes: Scalar = None
    shift_days: Scalar = None


class CancelRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class TickRequest(BaseModel):
    done: StrictBool


class ChecklistLabelRequest(BaseModel):
    label: Scalar = None


@router.get("/api/sails", summary="Sails in a date range, by departure", tags=["sails"], middlewares=[CREW])
def list_sails(
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    span = date_range(start, end)
    return {
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "sails": sails.list_sails(sail_repository(), span.start, span.end),
    }


@router.post("/api/sails", summary="Create a sail", tags=["sails"], middlewares=[ADMIN], status_code=201)
def create_sail(body: Annotated[NewSailRequest, Body()]) -> Response[Any]:
    created = sails.create_sail(
        sail_repository(),
        caller(router).email,
        date=body.date,
        title=body.title,
        crew_slots=body.crew_slots,
        notes=body.notes,
        guest_capacity=body.guest_capacity,
        meeting_point=body.meeting_point,
        start=body.start,
        duration_minutes=body.duration_minutes,
        repeat_weeks=body.repeat_weeks,
    )
    return json_response(201, created)


@router.get("/api/sun", summary="Sunset and sail times for a date (preview)", tags=["sails"], middlewares=[CREW])
def sun_preview(
    day: Annotated[str, Query(alias="date")],
    start: Annotated[str | None, Query()] = None,
    duration_minutes: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """The day's sunset and the sail times: relative to the sunset, or from `start` for
    `duration_minutes` (a fixed-time sail)."""
    return sail_timing(start, duration_minutes).times(calendar_date(day), get_settings()).as_dict()


@router.patch(
    "/api/sails/<sail_id>", summary="Edit a sail (a new date recomputes the times)", tags=["sails"], middlewares=[ADMIN]
)
def edit_sail(sail_id: str, body: Annotated[SailChangesRequest, Body()]) -> dict[str, Any]:
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "version"}
    return sails.update_sail(
        sail_repository(), caller(router).email, sail_id, changes, version=body.version, mailer=mailer()
    )


@router.post(
    "/api/sails/<sail_id>/cancel", summary="Cancel a sail and tell its people", tags=["sails"], middlewares=[ADMIN]
)
def cancel_sail(sail_id: str, body: Annotated[CancelRequest, Body()]) -> dict[str, Any]:
    return sails.cancel_sail(
        sail_repository(), caller(router).email, sail_id, reason=body.reason or "", mailer=mailer()
    )


@router.patch(
    "/api/sails/<sail_id>/series",
    summary="Edit this sail and the rest of its weekly series (shift_days moves them)",
    tags=["sails"],
    middlewares=[ADMIN],
)
def edit_series(sail_id: str, body: Annotated[SeriesChangesRequest, Body()]) -> dict[str, Any]:
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "shift_days"}
    return sail_series.edit_rest_of_series(
        sail_repository(), caller(router).email, sail_id, changes, shift_days=body.shift_days, mailer=mailer()
    )


@router.post(
    "/api/sails/<sail_id>/series/cancel",
    summary="Cancel this sail and the rest of its weekly series, telling their people",
    tags=["sails"],
    middlewares=[ADMIN],
)
def cancel_series(sail_id: str, body: Annotated[CancelRequest, Body()]) -> dict[str, Any]:
    return sail_series.cancel_rest_of_series(
        sail_repository(), caller(router).email, sail_id, reason=body.reason or "", mailer=mailer()
    )


@router.post(
    "/api/sails/<sail_id>/checklists/<checklist>/items/<n>",
    summary="Tick or untick a checklist item",
    tags=["checklists"],
    middlewares=[CREW],
)
def tick_item(sail_id: str, checklist: str, n: str, body: Annotated[TickRequest, Body()]) -> dict[str, Any]:
    return checklists.set_item_done(checklist_repository(), caller(router).email, sail_id, checklist, n, body.done)


@router.post(
    "/api/sails/<sail_id>/checklists/<checklist>/items",
    summary="Add an item to a sail's checklist",
    tags=["checklists"],
    middlewares=[ADMIN],
    status_code=201,
)
def add_item(sail_id: str, checklist: str, body: Annotated[ChecklistLabelRequest, Body()]) -> Response[Any]:
    added = checklists.add_item(checklist_repository(), caller(router).email, sail_id, checklist, body.label)
    return json_response(201, added)


@router.patch(
    "/api/sails/<sail_id>/checklists/<checklist>/items/<n>",
    summary="Rename a checklist item",
    tags=["checklists"],
    middlewares=[ADMIN],
)
def rename_item(sail_id: str, checklist: str, n: str, body: Annotated[ChecklistLabelRequest, Body()]) -> dict[str, Any]:
    return checklists.rename_item(checklist_repository(), caller(router).email, sail_id, checklist, n, body.label)


@router.delete(
    "/api/sails/<sail_id>/checklists/<checklist>/items/<n>",
    summary="Remove a checklist item",
    tags=["checklists"],
    middlewares=[ADMIN],
)
def remove_item(sail_id: str, checklist: str, n: str) -> dict[str, Any]:
    checklists.remove_item(checklist_repository(), caller(router).email, sail_id, checklist, n)
    return {"status": "removed"}
