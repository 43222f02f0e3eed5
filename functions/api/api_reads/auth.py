"""Who am I."""

from __future__ import annotations

from typing import Any

from api_access import MEMBER, caller
from api_light import ReadTable

from quarterdeck.config import get_settings

router = ReadTable()


@router.get("/api/me", summary="Who am I", tags=["auth"], middlewares=[MEMBER])
def me() -> dict[str, Any]:
    who = caller(router)
    # The club's time zone (one setting, Settings.timezone_name): the pages show times in it.
    answer: dict[str, Any] = {"email": who.email, "role": who.role, "timezone": get_settings().timezone_name}
    if who.is_guest:
        answer.update(sail_id=who.sail_id, guest_id=who.guest_id)
    return answer
