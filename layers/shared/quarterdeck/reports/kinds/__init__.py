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
from quarterdeck.reports.live import LiveFigures, Operations
from quarterdeck.reports.model import ActionItem, Needs, Report
from quarterdeck.reports.periods import Period
from quarterdeck.reports.portfolio import Portfolio

if TYPE_CHECKING:
    from quarterdeck.config import Settings
    from quarterdeck.reports.aws_figures import AwsFigures
    from quarterdeck.reports.handoff_notes import HandoffNotes

AwsReader = Callable[[Period, date, datetime, tuple[str, ...]], "AwsFigures"]
NotesReader = Callable[[date], "HandoffNotes"]
LiveReader = Callable[[datetime, date, bool], LiveFigures]  # (now, today, detail): the table's live figures


@dataclass
class Source:
    """Everything a strategy may read. Live figures, AWS figures and handoff notes are fetched
    once per run, on first use. Live figures come from `live_reader` (none without one); AWS
    figures and notes are read with `settings` (or the readers given); without either, they
    are said to be unavailable."""

    portfolio: Portfolio
    now: datetime  # aware
    live_reader: LiveReader | None = None
    settings: Settings | None = None
    aws_reader: AwsReader | None = None
    notes_reader: NotesReader | None = None
    _live: dict[tuple[str, bool], LiveFigures] = field(default_factory=dict)
    _aws: dict[tuple[str, date, tuple[str, ...]], AwsFigures] = field(default_factory=dict)
    _notes: dict[date, HandoffNotes] = field(default_factory=dict)
    _operations: dict[str, Operations | None] = field(default_factory=dict)

    def operations(self, period: Period) -> Operations | None:
        """The period's operations from the sails table: through the live reader when it can
        read a period (the table's reader can); None otherwise. Read once per run."""
        if period.label not in self._operations:
            reader = getattr(self.live_reader, "operations", None)
            self._operations[period.label] = reader(self.now, period) if reader is not None else None
        return self._operations[period.label]

    def aws(self, period: Period, today: date, sources: tuple[str, ...] | None = None) -> AwsFigures:
        """The AWS figures of `sources` (default: all); a read of all of them serves any ask."""
        from quarterdeck.reports import aws_figures

        wanted = tuple(sources or aws_figures.SOURCES)
        everything = (period.label, today, aws_figures.SOURCES)
        key = everything if everything in self._aws else (period.label, today, wanted)
        if key not in self._aws:
            if self.aws_reader is not None:
                figures = self.aws_reader(period, today, self.now, wanted)
            elif self.settings is not None:
                figures = aws_figures.read_aws_figures(period, today, self.now, self.settings, sources=wanted)
            else:
                figures = aws_figures.not_read("no AWS settings were given to this run", wanted)
            self._aws[key] = figures
        return self._aws[key]

    def notes(self, today: date) -> HandoffNotes:
        if today not in self._notes:
            from quarterdeck.reports import handoff_notes

            if self.notes_reader is not None:
                notes = self.notes_reader(today)
            elif self.settings is not None:
                notes = handoff_notes.read_handoff_notes(self.settings, today)
            else:
                notes = handoff_notes.not_read("no data bucket settings were given to this run")
            self._notes[today] = notes
        return self._notes[today]

    def live(self, today: date, *, detail: bool = True) -> LiveFigures | None:
        """The month's live figures; `detail=False` reads the sail counts only (one Query)."""
        if self.live_reader is None:
            return None
        month = f"{today.year:04d}-{today.month:02d}"
        if (month, True) in self._live:  # the detailed read answers any ask
            return self._live[(month, True)]
        if (month, detail) not in self._live:
            self._live[(month, detail)] = self.live_reader(self.now, today, detail)
        return self._live[(month, detail)]


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

    def live(self, *, detail: bool = True) -> LiveFigures | None:
        figures = self.source.live(self.today, detail=detail)
        if figures is None:
            self.needs.lack("live figures from the table (sails, fill rate, waivers, tasks)", "live")
            return None
        for missing in figures.missing:
            if detail or missing.key == "live.sails":  # the counts alone need only the sails
                self.needs.lack(missing.what, missing.key)
        return figures

    def operations(self) -> Operations | None:
        """What happened on the water over the report's period (sails table)."""
        ops = self.source.operations(self.period)
        if ops is None:
            self.needs.lack(f"operations of {self.period.describe()} from the sails table", "live.operations")
            return None
        for missing in ops.missing:
            self.needs.lack(missing.what, missing.key)
        return ops

    def aws(self, *sources: str) -> AwsFigures:
        """Live AWS figures over the report's period: the sources named (default: all of
        quarterdeck.reports.aws_figures.SOURCES), each optional."""
        return self.source.aws(self.period, self.today, sources or None)

    def notes(self) -> HandoffNotes:
        """The projects' handoff notes, as of the report's day."""
        return self.source.notes(self.today)

    def due(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def act(
        self,
        title: str,
        owner: str,
        days: int | date,
        section: str,
        detail: str = "",
        entity: str = "",
        key: str = "",
    ) -> None:
        """An action item. Its card is the same card every run that finds it again: `key` names
        what it is about when the title carries figures or dates that change from run to run
        beyond numbers (numbers and amounts in the title never make it another action)."""
        due = days if isinstance(days, date) else self.due(days)
        self.actions.append(
            ActionItem(title=title, owner=owner, due=due, section=section, detail=detail, entity=entity, key=key)
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
            found=list(self.actions),
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
