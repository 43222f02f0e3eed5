"""The money figures several reports share, computed from the portfolio (never typed in).

- burn            = sum of every monthly expense
- baseline        = average revenue of the three latest complete months with revenue recorded
- net burn        = burn - baseline
- runway (months) = cash on hand / net burn (when net burn > 0)
- break-even      = fixed monthly costs of the charter entity / (charter price - variable cost
                    per charter), rounded up to whole charters
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from quarterdeck.reports.model import Needs, ceil_div
from quarterdeck.reports.periods import add_months, month_key
from quarterdeck.reports.portfolio import Portfolio

BASELINE_MONTHS = 3


@dataclass(frozen=True)
class TargetMonth:
    month: str
    target: float
    actual: float | None

    @property
    def gap(self) -> float | None:
        return None if self.actual is None else self.target - self.actual

    @property
    def share(self) -> float | None:
        return None if self.actual is None or self.target <= 0 else self.actual / self.target


@dataclass
class FinanceFigures:
    burn: float
    burn_by_entity: list[tuple[str, float]]
    burn_by_category: list[tuple[str, float]]
    revenue_by_month: dict[str, float]
    baseline_months: list[str]
    baseline: float | None
    net_burn: float | None
    cash: float | None
    cash_as_of: date | None
    runway_months: float | None
    covered: bool  # revenue covers burn: no runway limit
    charter_entity: str | None
    fixed_costs: list[tuple[str, float]] = field(default_factory=list)
    fixed_total: float | None = None
    price: float | None = None
    variable_costs: list[tuple[str, float]] = field(default_factory=list)
    variable_cost: float | None = None
    margin: float | None = None
    break_even: int | None = None
    charters_by_month: dict[str, int] = field(default_factory=dict)
    targets: list[TargetMonth] = field(default_factory=list)

    @property
    def last_month(self) -> str | None:
        return max(self.revenue_by_month) if self.revenue_by_month else None

    @property
    def last_revenue(self) -> float | None:
        return self.revenue_by_month[self.last_month] if self.last_month else None


def compute_finance(portfolio: Portfolio, today: date, needs: Needs) -> FinanceFigures:
    this_month = month_key(today)
    # Burn: every recurring monthly expense.
    needs.need(portfolio.expenses, "monthly expenses", "expenses")
    burn = sum(e.monthly for e in portfolio.expenses)
    by_entity: dict[str, float] = defaultdict(float)
    by_category: dict[str, float] = defaultdict(float)
    for expense in portfolio.expenses:
        by_entity[portfolio.entity_name(expense.entity)] += expense.monthly
        by_category[expense.category] += expense.monthly

    # Revenue by complete month (months before the report's month).
    revenue: dict[str, float] = defaultdict(float)
    charters_by_month: dict[str, int] = defaultdict(int)
    charter_entity = portfolio.charters.entity if portfolio.charters else None
    for entry in portfolio.revenue:
        if entry.month >= this_month:
            continue
        revenue[entry.month] += entry.amount
        stream = portfolio.stream(entry.stream)
        if stream and stream.model == "per_charter" and stream.entity == charter_entity and entry.count is not None:
            charters_by_month[entry.month] += entry.count
    months = sorted(revenue)
    baseline_months = months[-BASELINE_MONTHS:]
    baseline = sum(revenue[m] for m in baseline_months) / len(baseline_months) if baseline_months else None
    if baseline is None:
        needs.lack("revenue received by month", "revenue")
    elif months[-1] < add_months(this_month, -1):
        needs.lack(f"revenue after {months[-1]} (the latest month recorded)", "revenue")

    net_burn = burn - baseline if baseline is not None else None
    cash = needs.need(portfolio.finance.cash_on_hand, "cash on hand", "finance.cash_on_hand")
    covered = net_burn is not None and net_burn <= 0
    runway = cash / net_burn if cash is not None and net_burn is not None and net_burn > 0 else None

    figures = FinanceFigures(
        burn=burn,
        burn_by_entity=sorted(by_entity.items(), key=lambda kv: -kv[1]),
        burn_by_category=sorted(by_category.items(), key=lambda kv: -kv[1]),
        revenue_by_month=dict(sorted(revenue.items())),
        baseline_months=baseline_months,
        baseline=baseline,
        net_burn=net_burn,
        cash=cash,
        cash_as_of=portfolio.finance.cash_as_of,
        runway_months=runway,
        covered=covered,
        charter_entity=charter_entity,
        charters_by_month=dict(charters_by_month),
    )

    # Break-even charters a month.
    charters = portfolio.charters
    if charters is None:
        needs.lack("charter price and variable cost per charter", "charters")
    else:
        figures.fixed_costs = [(e.name, e.monthly) for e in portfolio.expenses if e.entity == charters.entity]
        figures.fixed_total = sum(amount for _, amount in figures.fixed_costs)
        figures.price = charters.price
        figures.variable_costs = sorted(charters.variable_costs.items())
        figures.variable_cost = sum(charters.variable_costs.values())
        if not charters.variable_costs:
            needs.lack("variable cost per charter", "charters.variable_costs")
        if not figures.fixed_costs:
            needs.lack(f"monthly expenses of {portfolio.entity_name(charters.entity)}", "expenses")
        figures.margin = charters.price - figures.variable_cost
        if figures.margin > 0 and charters.variable_costs:
            figures.break_even = ceil_div(figures.fixed_total, figures.margin)
        elif figures.margin <= 0:
            needs.lack("a charter price above the variable cost per charter", "charters.price")

    figures.targets = [
        TargetMonth(t.month, t.amount, revenue.get(t.month) if t.month in revenue else None)
        for t in sorted(portfolio.revenue_targets, key=lambda t: t.month)
    ]
    if not figures.targets:
        needs.lack("monthly revenue targets", "revenue_targets")
    return figures


def metric_value(name: str, figures: FinanceFigures) -> float | None:
    """The latest value of a roadmap metric (milestones' `metric`)."""
    if name == "monthly_revenue":
        return figures.last_revenue
    if name == "net_burn":
        return figures.net_burn
    if name == "runway_months":
        return figures.runway_months
    if name == "charters_per_month":
        last = figures.last_month
        return float(figures.charters_by_month.get(last, 0)) if last else None
    return None


def metric_met(name: str, value: float | None, target: float) -> bool | None:
    if value is None:
        return None
    return value <= target if name == "net_burn" else value >= target


METRIC_LABELS = {
    "monthly_revenue": "revenue last month",
    "net_burn": "net burn",
    "runway_months": "runway (months)",
    "charters_per_month": "charters last month",
}
