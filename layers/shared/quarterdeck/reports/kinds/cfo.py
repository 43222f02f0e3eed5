"""CFO: burn, runway, capital deployment tiers, break-even, monthly revenue targets, rules."""

from __future__ import annotations

from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import ceil_div, chart
from quarterdeck.reports.periods import add_months, month_key, month_of
from quarterdeck.reports.portfolio import Initiative, Portfolio
from quarterdeck.reports.source_views import aws_view, cost_comparison

TIERS = ("zero-cost", "low-cost", "revenue-producing", "do not deploy")
RUNWAY_CHART_MONTHS = 12


def tier_of(initiative: Initiative, portfolio: Portfolio) -> tuple[str, float | None]:
    """The capital tier of an initiative and its payback in months (None when it never pays back).

    zero-cost: costs nothing. low-cost: first-year cost (once + 12 x monthly) within the
    limit and it brings in more than it costs each month. revenue-producing: pays back its
    one-off cost within `payback_months`. Otherwise: do not deploy (capital goes only to
    revenue-generating work).
    """
    finance = portfolio.finance
    first_year = initiative.cost_once + 12 * initiative.cost_monthly
    net_monthly = initiative.revenue_monthly - initiative.cost_monthly
    payback = initiative.cost_once / net_monthly if net_monthly > 0 else None
    if first_year == 0:
        return "zero-cost", 0.0
    if net_monthly > 0 and first_year <= finance.low_cost_limit:
        return "low-cost", payback
    if payback is not None and payback <= finance.payback_months:
        return "revenue-producing", payback
    return "do not deploy", payback


def build(d: Draft) -> None:
    f = d.finance
    p = d.portfolio
    data: dict[str, Any] = {"finance": f, "rules": p.finance.rules}
    this_month = month_key(d.today)

    # Runway drawn month by month: cash left at the current net burn.
    if f.cash is not None and f.net_burn is not None and f.net_burn > 0:
        rows = []
        for n in range(RUNWAY_CHART_MONTHS + 1):
            left = max(0.0, f.cash - n * f.net_burn)
            month = add_months(this_month, n)
            tone = "good" if left >= 6 * f.net_burn else "warn"
            rows.append((month, [(left, tone, "cash left")], f"${left:,.0f} left"))
            if left == 0:
                break
        data["runway_chart"] = chart(
            "Burn against runway: cash left each month at the current net burn",
            rows,
            (("good", "six months or more left"), ("warn", "under six months left")),
        )

    # Capital deployment tiers.
    tiers: dict[str, list[dict[str, Any]]] = {tier: [] for tier in TIERS}
    for initiative in p.initiatives:
        tier, payback = tier_of(initiative, p)
        tiers[tier].append(
            {
                "name": initiative.name,
                "entity": p.entity_name(initiative.entity),
                "first_year_cost": initiative.cost_once + 12 * initiative.cost_monthly,
                "net_monthly": initiative.revenue_monthly - initiative.cost_monthly,
                "payback": payback,
            }
        )
    data["tiers"] = tiers
    data["low_cost_limit"] = p.finance.low_cost_limit
    data["payback_months"] = p.finance.payback_months
    if not p.initiatives:
        d.needs.lack("initiatives to sort into capital tiers", "initiatives")

    # Charters this month (live) against break-even: the sail counts are all it needs.
    live = d.live(detail=False)
    data["live"] = live
    data["charters_this_month"] = live.sails_total if live else None
    data["charters_short"] = (
        max(0, f.break_even - live.sails_total)
        if live is not None and live.sails_total is not None and f.break_even is not None
        else None
    )

    # Revenue targets by month: actual against target, and what closing the gap takes.
    targets = []
    for t in f.targets:
        gap_charters = None
        if f.price and t.actual is None and f.baseline is not None and t.target > f.baseline:
            gap_charters = ceil_div(t.target - f.baseline, f.price)
        targets.append({"t": t, "charters_to_close": gap_charters, "past": t.month < this_month})
    data["targets"] = targets
    if f.targets:
        data["targets_chart"] = chart(
            "Revenue against target by month",
            [
                (
                    t.month,
                    [(t.actual, "actual", "revenue"), (t.target, "target", "target")],
                    f"${t.actual:,.0f} of ${t.target:,.0f}"
                    if t.actual is not None
                    else f"target ${t.target:,.0f}, not recorded yet",
                )
                for t in f.targets
            ],
            (("actual", "revenue received"), ("target", "target")),
        )
    # The AWS bill by service as Cost Explorer measures it (optional: unavailable is said).
    from quarterdeck.reports.aws_figures import COST

    figures = d.aws(COST)
    data["aws"] = aws_view(figures)
    data["cost_measured"] = cost_comparison(figures, p)
    d.data.update(data)

    # Action items.
    month_end = month_of(d.today).end
    if data["charters_short"]:
        d.act(
            f"Book {data['charters_short']} more charters this month to reach break-even ({f.break_even})",
            "CMO",
            month_end if month_end > d.today else d.due(7),
            "Break-even",
            entity=p.entity_name(f.charter_entity),
        )
    if f.runway_months is not None and f.runway_months < 12:
        d.act(
            f"Runway is {f.runway_months:.1f} months: cut burn or raise revenue by ${f.net_burn or 0:,.0f} a month",
            "CFO",
            14,
            "Runway",
        )
    for item in tiers["zero-cost"][:2]:
        d.act(f"Start now (zero-cost): {item['name']}", "CEO", 7, "Capital deployment", entity=item["entity"])
    # "Do not deploy" is said once, as the tier's lines: nothing to do, so no card repeats it.
    last = next((t for t in reversed(f.targets) if t.actual is not None), None)
    if last is not None and last.gap and last.gap > 0:
        d.act(
            f"Explain the ${last.gap:,.0f} shortfall against the {last.month} revenue target",
            "CFO",
            7,
            "Revenue targets",
        )
