"""What a strategy hands to its templates: computed figures, charts, missing inputs, actions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from quarterdeck.reports.periods import Period


@dataclass(frozen=True)
class ActionItem:
    """One follow-up a report asks for; it becomes a pending card on the dashboard."""

    title: str
    owner: str
    due: date
    section: str
    detail: str = ""
    entity: str = ""
    key: str = ""  # what the action is about, when its title alone does not say it stably


@dataclass(frozen=True)
class Missing:
    """An input the report needed and the data does not have (said in the report, not guessed)."""

    what: str
    key: str


@dataclass(frozen=True)
class Bar:
    value: float
    width: int  # percent of the chart's width, 0..100
    tone: str  # "actual" | "target" | "good" | "warn" | "muted"
    label: str = ""


@dataclass(frozen=True)
class ChartRow:
    label: str
    bars: tuple[Bar, ...]
    note: str  # the figures in words, for the text part and for screen readers


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart, drawn as a table in HTML and with # marks in text."""

    title: str
    rows: tuple[ChartRow, ...]
    legend: tuple[tuple[str, str], ...] = ()  # (tone, meaning)


def bar_width(value: float | None, largest: float) -> int:
    if not value or value <= 0 or largest <= 0:
        return 0
    return max(1, min(100, round(100 * value / largest)))


def chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[float | None, str, str]], str]],
    legend: Sequence[tuple[str, str]] = (),
) -> Chart:
    """Build a chart; every bar is scaled against the largest value of the whole chart.

    rows: (label, [(value, tone, bar label), ...], note)
    """
    largest = max((value or 0 for _, bars, _ in rows for value, _, _ in bars), default=0)
    built = tuple(
        ChartRow(
            label=label,
            bars=tuple(Bar(value or 0, bar_width(value, largest), tone, name) for value, tone, name in bars),
            note=note,
        )
        for label, bars, note in rows
    )
    return Chart(title=title, rows=built, legend=tuple(legend))


@dataclass
class Report:
    kind: str
    title: str
    period: Period
    today: date
    generated_at: datetime
    data: dict[str, Any]
    actions: list[ActionItem] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    example_data: bool = False
    found: list[ActionItem] = field(default_factory=list)  # every action the strategy found (`actions` is the top)

    @property
    def subject(self) -> str:
        return f"{self.title} · {self.period.label}"


class Needs:
    """Collects missing inputs while a strategy computes (`need(value, what, key)`)."""

    def __init__(self) -> None:
        self.missing: list[Missing] = []

    def need(self, value: Any, what: str, key: str) -> Any:
        if value is None or (isinstance(value, list | tuple | dict) and not value):
            self.lack(what, key)
        return value

    def lack(self, what: str, key: str) -> None:
        if not any(m.key == key and m.what == what for m in self.missing):
            self.missing.append(Missing(what, key))


def ceil_div(numerator: float, denominator: float) -> int:
    """Smallest whole number n with n * denominator >= numerator (denominator > 0)."""
    return math.ceil(round(numerator / denominator, 9))
