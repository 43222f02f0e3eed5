"""A sail's inputs, validated (each refusal names its field): date, title, notes, crew slots;
when it departs (relative to its day's sunset, or at a fixed local time for a duration); and
how many weekly sails a new one repeats as."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from quarterdeck.clock import Clock, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.sun import SailTimes, local_today, sail_times
from quarterdeck.validation import calendar_date, text_field

MAX_CREW_SLOTS = 8
TITLE_MAX = 120
NOTES_MAX = 2000
MIN_DURATION, MAX_DURATION = 15, 720  # a fixed-time sail lasts 15 minutes to 12 hours
MAX_REPEAT_WEEKS = 26
_START = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Timing:
    """When a sail departs: relative to sunset (`start` None) or at a fixed local time for
    `duration_minutes`."""

    start: time | None = None
    duration_minutes: int | None = None

    def fields(self) -> dict[str, Any]:
        """What META keeps (None: remove the field; a sunset sail keeps neither)."""
        if self.start is None:
            return {"start": None, "duration_minutes": None}
        return {"start": self.start.strftime("%H:%M"), "duration_minutes": self.duration_minutes}

    def times(self, day: date, settings: Settings) -> SailTimes:
        return sail_times(day, settings=settings, start=self.start, duration_minutes=self.duration_minutes)


def whole_number(value: object, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInputError(message, field=field)
    text = str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInputError(message, field=field)
    return int(text)


def sail_timing(start: object, duration_minutes: object) -> Timing:
    """`start` "HH:MM" (local, 24-hour) with `duration_minutes`, or neither (sunset)."""
    if start is None or start == "":
        if duration_minutes not in (None, ""):
            raise InvalidInputError("A duration goes with a fixed start time (start, as HH:MM).", field="start")
        return Timing()
    if not isinstance(start, str) or not _START.match(start.strip()):
        raise InvalidInputError("The start is a local time as HH:MM (24-hour), e.g. 14:00.", field="start")
    if duration_minutes is None or duration_minutes == "":
        raise InvalidInputError("A fixed-time sail needs its duration in minutes.", field="duration_minutes")
    minutes = whole_number(
        duration_minutes,
        "duration_minutes",
        MIN_DURATION,
        MAX_DURATION,
        f"The duration is a whole number of minutes from {MIN_DURATION} to {MAX_DURATION}.",
    )
    return Timing(time.fromisoformat(start.strip()), minutes)


def timing_of(meta: Mapping[str, Any]) -> Timing:
    """The timing a stored sail was created or last edited with."""
    if not meta.get("start"):
        return Timing()
    return Timing(time.fromisoformat(str(meta["start"])), int(meta.get("duration_minutes") or 0))


def repeat_count(value: object) -> int:
    if value is None or value == "":
        return 1
    return whole_number(
        value, "repeat_weeks", 1, MAX_REPEAT_WEEKS, f"Repeat is a whole number of weeks from 1 to {MAX_REPEAT_WEEKS}."
    )


def sail_date(value: object, *, now: datetime, settings: Settings, field: str = "date") -> date:
    """A real calendar date, not before today in the sails' zone."""
    if value is None or value == "":
        raise InvalidInputError("The date is required.", field=field)
    today = local_today(now, settings)
    day = calendar_date(value, field, today=today)
    if day < today:
        raise InvalidInputError("The date is in the past. Pick today or a later day.", field=field)
    return day


def sail_title(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError("The title is text.", field="title")
    return text_field(value, "title", min_length=1, max_length=TITLE_MAX, single_line=True)


def sail_notes(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError("The notes are text.", field="notes")
    text = value.strip()
    if len(text) > NOTES_MAX:
        raise InvalidInputError(f"The notes must be at most {NOTES_MAX} characters.", field="notes")
    return text


def crew_slot_count(value: object) -> int:
    message = f"Crew slots is a whole number from 0 to {MAX_CREW_SLOTS}."
    return whole_number(value, "crew_slots", 0, MAX_CREW_SLOTS, message)


# --- a list request's dates --------------------------------------------------------------
MAX_RANGE_DAYS = 400  # a list request reads at most ~13 months of sails (one Query)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date


def date_range(
    start: object,
    end: object,
    *,
    clock: Clock = system_clock,
    settings: Settings | None = None,
    default_days: int = 180,
) -> DateRange:
    """`from`/`to` of a list request; `from` defaults to today, `to` to `default_days` later."""
    settings = settings or get_settings()
    today = local_today(clock(), settings)
    first = calendar_date(start, "from", today=today) if start else today
    last = calendar_date(end, "to", today=today) if end else first + timedelta(days=default_days)
    if last < first:
        raise InvalidInputError("'to' is before 'from'.", field="to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInputError(f"A range spans at most {MAX_RANGE_DAYS} days.", field="to")
    return DateRange(first, last)
