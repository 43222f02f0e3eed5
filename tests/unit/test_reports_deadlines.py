"""Deadlines are fixed dates (issue 22, item 2): a milestone or an SEO step given as "N days"
counts from the portfolio's plan start (`meta.plan_start`, else `meta.updated`), not from the
report's date, so the same data gives the same deadlines week after week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from quarterdeck.reports.kinds import Source, build_report
from quarterdeck.reports.periods import week_of
from quarterdeck.reports.portfolio import load_portfolio_file

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
MONDAY = date(2026, 11, 23)


def _cmo(today: date) -> dict[str, Any]:
    portfolio = load_portfolio_file(EXAMPLE)
    now = datetime(today.year, today.month, today.day, 16, tzinfo=UTC)
    return build_report("cmo", Source(portfolio, now), week_of(today), today).data


def test_seo_and_milestone_deadlines_do_not_slide_with_the_report_date() -> None:
    portfolio = load_portfolio_file(EXAMPLE)
    start = portfolio.meta.horizon_start
    first, later = _cmo(MONDAY), _cmo(MONDAY + timedelta(days=21))
    seo_first = [(s["title"], s["due"]) for s in first["seo"]]
    seo_later = [(s["title"], s["due"]) for s in later["seo"]]
    assert seo_first == seo_later
    assert {due for _, due in seo_first} <= {start + timedelta(days=n) for n in (30, 60, 90)}
