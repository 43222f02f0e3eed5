"""The report strategies: one module per kind, each `build(source) -> Report`.

A strategy selects what its reader needs from the portfolio (and the live figures), computes
every number, lists what is missing, and ends with action items. Modules load on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from quarterdeck.reports import KINDS, ReportKindNotFoundError
from quarterdeck.reports.finance import FinanceFigures, compute_finance
from quarterdeck.reports.live import LiveFigures, live_figures
from quarterdeck.reports.model import ActionItem, Needs, Report
from quarterdeck.reports.periods import Period
from quarterdeck.reports.portfolio import Portfolio

if TYPE_CHECKING:
    from quarterdeck.store import Store


@dataclass
class Source:
    """Everything a strategy may read. Live figures are fetched once per run, on first use."""

    portfolio: Portfolio
    now: datetime  # aware
    store: Store | None = None
    _live: dict[str, LiveFigures] = field(default_factory=dict)

    def live(self, today: date) -> LiveFigures | None:
        if self.store is None:
            return None
        month = f"{today.year:04d}-{today.month:02d}"
        if month not in self._live:
            self._live[month] = live_figures(self.store, self.now, today)
        return self._live[month]


class Draft:
    """A report being built: needs, actions and data, then `finish()`."""

    def __init__(self, kind: str, source: Source, period: Period, today: date) -> None:
        self.kind = kind
        self.source = source
        self.portfolio = source.portfolio
        self.period = period
        self.today = today
        self.needs = Needs()
        self.actions: list[ActionItem] = []
        self.data: dict[str, object] = {}
        self._finance: FinanceFigures | None = None

    @property
    def finance(self) -> FinanceFigures:
        if self._finance is None:
            self._finance = compute_finance(self.portfolio, self.today, self.needs)
        return self._finance

    def live(self) -> LiveFigures | None:
        figures = self.source.live(self.today)
        if figures is None:
            self.needs.lack("live figures from the table (sails, fill rate, waivers, tasks)", "live")
            return None
        for missing in figures.missing:
            self.needs.lack(missing.what, missing.key)
        return figures

    def due(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def act(self, title: str, owner: str, days: int | date, section: str, detail: str = "", entity: str = "") -> None:
        due = days if isinstance(days, date) else self.due(days)
        self.actions.append(
            ActionItem(title=title, owner=owner, due=due, section=section, detail=detail, entity=entity)
        )

    def finish(self, max_actions: int = 6) -> Report:
        ordered = sorted(enumerate(self.actions), key=lambda pair: (pair[1].due, pair[0]))
        return Report(
            kind=self.kind,
            title=KINDS[self.kind].title,
            period=self.period,
            today=self.today,
            generated_at=self.source.now,
            data=self.data,
            actions=[action for _, action in ordered][:max_actions],
            missing=list(self.needs.missing),
            example_data=self.portfolio.meta.example,
        )


Strategy = Callable[[Draft], None]
__all__ = ["Draft", "ReportKindNotFoundError", "Source", "build_report", "strategy"]


def strategy(kind: str) -> Strategy:
    if kind not in KINDS:
        raise ReportKindNotFoundError(
            f"There is no report kind {kind!r}; the kinds are: {', '.join(KINDS)}.", field="kind"
        )
    module = importlib.import_module(f"quarterdeck.reports.kinds.{kind}")
    built: Strategy = module.build
    return built


def build_report(kind: str, source: Source, period: Period, today: date) -> Report:
    """Run the kind's strategy over the source for the period, as of `today`."""
    draft = Draft(kind, source, period, today)
    strategy(kind)(draft)
    return draft.finish()
