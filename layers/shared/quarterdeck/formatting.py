"""How times, dates and a sail read in emails, reports and calendars: the one place for it.

Stored times are ISO 8601 with their UTC offset; people read them in the club's time zone
(`Settings.timezone`), as `7:29 PM` and `Sunday, June 21, 2026`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

TO_BE_ANNOUNCED = "to be announced"


def clock_time(iso_text: str | None, tz: ZoneInfo) -> str:
    """'2026-06-22T02:29:32+00:00' -> '7:29 PM' in `tz` (empty or missing: 'to be announced')."""
    if not iso_text:
        return TO_BE_ANNOUNCED
    moment = datetime.fromisoformat(str(iso_text)).astimezone(tz)
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def long_date(date_text: str | None) -> str:
    """'2026-06-21' (or an ISO time: its date as written) -> 'Sunday, June 21, 2026'."""
    if not date_text:
        return TO_BE_ANNOUNCED
    day = date.fromisoformat(str(date_text)[:10])
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def local_stamp(iso_text: str, tz: ZoneInfo) -> str:
    """'Saturday, June 20, 2026 at 7:29 PM': a moment in `tz`, date and time."""
    moment = datetime.fromisoformat(str(iso_text)).astimezone(tz)
    return f"{long_date(moment.date().isoformat())} at {clock_time(iso_text, tz)}"


def sail_for_email(meta: Mapping[str, Any], *, tz: ZoneInfo, app_url: str, meeting_point: str = "") -> dict[str, Any]:
    """A sail as every email shows it: `title`, `date` (long), `departure`, `return` and
    `sunset` (clock times in `tz`), `meeting_point` (the sail's, else the given default) and
    `link` to its page."""
    sail_id = str(meta.get("id", ""))
    return {
        "id": sail_id,
        "title": meta.get("title") or "Sail",
        "date": long_date(meta.get("date")),
        "departure": clock_time(meta.get("departure"), tz),
        "return": clock_time(meta.get("return"), tz),
        "sunset": clock_time(meta.get("sunset"), tz),
        "meeting_point": str(meta.get("meeting_point") or meeting_point),
        "link": f"{app_url}/#/sails/{sail_id}",
    }
