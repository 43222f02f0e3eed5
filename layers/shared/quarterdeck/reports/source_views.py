"""What the CEO, CTO and CFO templates show of the AWS figures and the handoff notes.

The strategies call these; every figure here is computed from what the sources returned
(or from the portfolio file, for the cost estimate), and every source that could not be read
is carried with its reason so the template can say so where the figures would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from quarterdeck.reports import aws_figures as aws
from quarterdeck.reports.aws_figures import AwsFigures
from quarterdeck.reports.handoff_notes import HandoffNote, HandoffNotes, NoteItem
from quarterdeck.reports.portfolio import Portfolio

AWS_VENDOR = "aws"
# The measured cost is called out when it differs from the estimate by more than this share.
COST_TOLERANCE = 0.20


def size_text(size: int) -> str:
    """Bytes in the unit a person reads (1,000-based, as DynamoDB's console shows them)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"  # pragma: no cover - the loop returns


def aws_view(figures: AwsFigures) -> dict[str, Any]:
    window = figures.window
    return {
        "window": (f"{window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC" if window else ""),
        "functions": figures.functions,
        "table": figures.table,
        "table_size": size_text(figures.table.size_bytes) if figures.table else "",
        "cdn": figures.cdn,
        "cost": figures.cost,
        "notes": figures.notes,
        "sources": {
            "lambda": aws.LAMBDA,
            "p95": aws.LAMBDA_P95,
            "table": aws.TABLE,
            "cdn": aws.CDN,
            "cost": aws.COST,
        },
        "unavailable": {
            "lambda": figures.reason(aws.LAMBDA),
            "p95": figures.reason(aws.LAMBDA_P95),
            "table": figures.reason(aws.TABLE),
            "cdn": figures.reason(aws.CDN),
            "cost": figures.reason(aws.COST),
        },
        "all_unavailable": list(figures.unavailable),
    }


@dataclass(frozen=True)
class CostComparison:
    """Cost Explorer's figures against the portfolio's AWS expense lines (the estimate)."""

    estimate: float | None  # a month, from the data file; None when it lists no AWS expense
    last_month: str
    measured_last_month: float
    month: str
    through: date
    month_to_date: float | None
    projected: float | None

    @property
    def last_month_gap(self) -> float | None:
        return None if self.estimate is None else self.measured_last_month - self.estimate

    @property
    def last_month_share(self) -> float | None:
        return None if not self.estimate else self.measured_last_month / self.estimate - 1

    @property
    def projected_gap(self) -> float | None:
        return None if self.estimate is None or self.projected is None else self.projected - self.estimate

    @property
    def projected_share(self) -> float | None:
        return None if not self.estimate or self.projected is None else self.projected / self.estimate - 1

    @property
    def over_estimate(self) -> bool:
        share = self.last_month_share
        return share is not None and share > COST_TOLERANCE


def aws_estimate(portfolio: Portfolio) -> float | None:
    """The data file's estimate of the AWS bill: its expense lines whose vendor is AWS, a month."""
    lines = [e.monthly for e in portfolio.expenses if e.vendor.strip().lower() == AWS_VENDOR]
    return sum(lines) if lines else None


def cost_comparison(figures: AwsFigures, portfolio: Portfolio) -> CostComparison | None:
    cost = figures.cost
    if cost is None:
        return None
    return CostComparison(
        estimate=aws_estimate(portfolio),
        last_month=cost.last_month,
        measured_last_month=cost.total_last_month,
        month=cost.month,
        through=cost.through,
        month_to_date=cost.total_month_to_date,
        projected=cost.projected_month,
    )


def _items(items: tuple[NoteItem, ...], note: HandoffNote) -> list[dict[str, Any]]:
    return [{"text": i.text, "dated": i.dated, "project": note.project, "stale": note.stale} for i in items]


def notes_view(notes: HandoffNotes, portfolio: Portfolio) -> dict[str, Any]:
    return {
        "notes": [
            {
                "key": n.key,
                "project": n.project,
                "entity": portfolio.entity_name(n.entity) if n.entity else "",
                "updated": n.updated,
                "age_days": n.age_days,
                "stale": n.stale,
                "blockers": _items(n.blockers, n),
                "decisions": _items(n.decisions, n),
                "next": _items(n.next_steps, n),
            }
            for n in notes.notes
        ],
        "stale": [n.project for n in notes.stale],
        "stale_days": notes.stale_days,
        "problems": list(notes.problems),
        "unavailable": notes.unavailable,
        "location": notes.location,
    }
