"""When to be at the dock: sunset and the sail times that follow it, in local time.

The sun is computed with astral for the sail's location (the San Diego marina by default)
at the date's *local* calendar day, in the configured zone (America/Los_Angeles), so both
sides of each daylight-saving change get their own offset. Departure and return are
offsets from sunset taken from the settings, never literals.

A sail may instead depart at a fixed local time (a morning sail, a 2 pm charter) and last a
given number of minutes: `sail_times(day, start=time(14, 0), duration_minutes=180)`. Its
sunset, dusk and golden hour are still those of its day (the page shows them for the record);
only departure and return follow the start and the duration.

astral's `sunset` uses the standard refraction-corrected elevation (the upper limb touching
a flat horizon, -0.833 degrees at observer elevation 0), which is what almanacs print;
civil dusk is the sun 6 degrees below the horizon; the evening golden hour starts when the
sun drops below +6 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from quarterdeck.clock import iso
from quarterdeck.config import Settings, get_settings


@dataclass(frozen=True)
class SailTimes:
    """The times of one sail's evening, all aware datetimes in the sail's zone."""

    date: date
    sunset: datetime
    departure: datetime
    return_: datetime
    civil_dusk: datetime
    golden_hour_start: datetime

    def as_fields(self) -> dict[str, str]:
        """ISO 8601 with the UTC offset, as stored on the sail and answered by the API."""
        return {
            "sunset": iso(self.sunset),
            "departure": iso(self.departure),
            "return": iso(self.return_),
            "civil_dusk": iso(self.civil_dusk),
            "golden_hour_start": iso(self.golden_hour_start),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), **self.as_fields()}


def sail_times(
    day: date,
    *,
    settings: Settings | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    start: time | None = None,
    duration_minutes: int | None = None,
) -> SailTimes:
    """Sunset, departure, return, civil dusk and golden hour for `day` (a local calendar date).
    With `start` (local wall-clock time) and `duration_minutes`, departure and return are those."""
    from astral import Observer
    from astral.sun import SunDirection, dusk, golden_hour, sunset

    settings = settings or get_settings()
    zone = settings.timezone
    observer = Observer(
        latitude=settings.latitude if latitude is None else latitude,
        longitude=settings.longitude if longitude is None else longitude,
    )
    # astral keeps the result on the requested local date when given the zone.
    set_at = sunset(observer, day, tzinfo=zone).replace(microsecond=0)
    civil = dusk(observer, day, tzinfo=zone).replace(microsecond=0)  # depression 6° (civil) by default
    golden_start, _ = golden_hour(observer, day, SunDirection.SETTING, tzinfo=zone)
    # Offsets are added to the absolute instant (in UTC), not the wall clock, so they stay exact
    # even if one ever spanned an offset change.
    set_utc = set_at.astimezone(UTC)
    if start is not None:
        departure, back = fixed_departure(day, start, duration_minutes or 0, settings)
    else:
        departure = (set_utc - timedelta(minutes=settings.departure_before_sunset_minutes)).astimezone(zone)
        back = (set_utc + timedelta(minutes=settings.return_after_sunset_minutes)).astimezone(zone)
    return SailTimes(
        date=day,
        sunset=set_at,
        departure=departure,
        return_=back,
        civil_dusk=civil,
        golden_hour_start=golden_start.replace(microsecond=0),
    )


def fixed_departure(day: date, start: time, duration_minutes: int, settings: Settings) -> tuple[datetime, datetime]:
    """Departure at `start` on `day` in the sails' zone, return `duration_minutes` later (absolute
    minutes, so a sail across a daylight-saving change still lasts what it says). A start that
    falls in the spring-forward gap is read as the clock shows it after the change."""
    zone = settings.timezone
    wall = datetime.combine(day, start.replace(second=0, microsecond=0), tzinfo=zone)
    departure = wall.astimezone(UTC).astimezone(zone)
    back = (departure.astimezone(UTC) + timedelta(minutes=duration_minutes)).astimezone(zone)
    return departure, back


def local_today(now: datetime, settings: Settings | None = None) -> date:
    """The calendar date it is now in the sails' zone."""
    settings = settings or get_settings()
    return now.astimezone(settings.timezone).date()
