"""Report periods: an ISO week (`2026-W48`) or a month (`2026-11`), in San Diego dates.

A report is sent once per (kind, period). Weekly kinds default to the week of the run; the
rental report (sent on the 1st) covers the month that just ended.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from quarterdeck.errors import InvalidInputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    @property
    def is_month(self) -> bool:
        return "W" not in self.label

    def describe(self) -> str:
        if self.is_month:
            return self.start.strftime("%B %Y")
        return f"week {self.label} ({self.start:%b} {self.start.day} to {self.end:%b} {self.end.day}, {self.end.year})"


def week_of(day: date) -> Period:
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return Period(f"{year:04d}-W{week:02d}", monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(f"{day.year:04d}-{day.month:02d}", day.replace(day=1), day.replace(day=last))


def previous_month(day: date) -> Period:
    return month_of(day.replace(day=1) - timedelta(days=1))


def parse_period(text: str, field: str = "period") -> Period:
    """`2026-W48` or `2026-11`; anything else is refused naming the field."""
    value = (text or "").strip()
    if match := _WEEK.match(value):
        year, week = int(match.group(1)), int(match.group(2))
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise InvalidInputError(f"{value} is not a week of {year}.", field=field) from None
        return week_of(monday)
    if match := _MONTH.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidInputError(f"{value} is not a month.", field=field)
        return month_of(date(year, month, 1))
    raise InvalidInputError("A period is a week (2026-W48) or a month (2026-11).", field=field)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, count: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + (number - 1) + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, inclusive (empty when last < first)."""
    found: list[str] = []
    current = first
    while current <= last:
        found.append(current)
        current = add_months(current, 1)
    return found
