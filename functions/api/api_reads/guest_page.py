"""The guest's own page for a sail: its `.ics` and the signed copy (the guest's record is in
api_reads.guests); and the dock manifest as CSV. The domain loads on first use."""

from __future__ import annotations

from api_access import CREW, GUEST, caller
from api_dependencies import guest_repository
from api_light import Answer, ReadTable

router = ReadTable()


def _download(content_type: str, name: str, body: str, disposition: str = "attachment") -> Answer:
    return Answer(
        status_code=200,
        content_type=content_type,
        body=body,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"', "Referrer-Policy": "no-referrer"},
    )


@router.get(
    "/api/sails/<sail_id>/guests/<guest_id>/sail.ics",
    summary="The guest's sail as one iCalendar event",
    tags=["guests"],
    middlewares=[GUEST],
    responses={
        200: {"description": "iCalendar (RFC 5545)", "content": {"text/calendar": {"schema": {"type": "string"}}}}
    },
)
def guest_sail_calendar(sail_id: str, guest_id: str) -> Answer:
    from quarterdeck import guest_page

    name, text = guest_page.sail_calendar(guest_repository(), sail_id, guest_id)
    return _download("text/calendar; charset=utf-8", name, text)


@router.get(
    "/api/sails/<sail_id>/guests/<guest_id>/waiver.txt",
    summary="The guest's signed waiver, as emailed",
    tags=["guests"],
    middlewares=[GUEST],
    responses={200: {"description": "The signed copy", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def signed_copy(sail_id: str, guest_id: str) -> Answer:
    from quarterdeck import guest_page

    name, text = guest_page.signed_copy_text(guest_repository(), sail_id, guest_id)
    return _download("text/plain; charset=utf-8", name, text, disposition="inline")


@router.get(
    "/api/sails/<sail_id>/manifest.csv",
    summary="The dock manifest as CSV, one row a person (admin or the sail's captain)",
    tags=["guests"],
    middlewares=[CREW],
    responses={200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def manifest_csv(sail_id: str) -> Answer:
    from quarterdeck import manifest_export

    name, text = manifest_export.manifest_csv(guest_repository(), sail_id, caller(router))
    return _download("text/csv; charset=utf-8", name, text)
