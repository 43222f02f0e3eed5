"""Guests and waivers, read: crew read the manifest for check-in at the dock; a guest reads its
own record and the waiver it is asked to sign. The domain (quarterdeck.guests and waivers, which
bring the mail adapter) loads on first use: every cold start imports this module."""

from __future__ import annotations

from typing import Any

from api_access import CREW, GUEST, caller
from api_dependencies import guest_repository
from api_light import ReadTable

router = ReadTable()


@router.get(
    "/api/sails/<sail_id>/guests",
    summary="The sail's manifest: everyone aboard by booking, waiver status and version (contact: admins, captain)",
    tags=["guests"],
    middlewares=[CREW],
)
def manifest(sail_id: str) -> dict[str, Any]:
    from quarterdeck import guests

    return guests.list_guests(guest_repository(), sail_id, caller=caller(router))


@router.get(
    "/api/sails/<sail_id>/guests/<guest_id>",
    summary="One guest with its sail's date and times and its signature",
    tags=["guests"],
    middlewares=[GUEST],
)
def guest_record(sail_id: str, guest_id: str) -> dict[str, Any]:
    from quarterdeck import waivers

    return waivers.get_guest_record(guest_repository(), sail_id, guest_id)


@router.get("/api/waiver", summary="The current waiver text, version and SHA-256", tags=["guests"], middlewares=[GUEST])
def current_waiver() -> dict[str, Any]:
    from quarterdeck import waiver_text

    return waiver_text.waiver_view(waiver_text.load_waiver(texts=guest_repository()))
