"""Acceptance 1: with the example data, the CFO report's break-even, burn and runway equal the
values computed by hand from data/portfolio.example.toml (the arithmetic is written out here)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quarterdeck.reports.kinds import Source, build_report
from quarterdeck.reports.periods import week_of
from quarterdeck.reports.portfolio import Portfolio, load_portfolio_file, parse_portfolio
from quarterdeck.reports.render import render_parts

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
TODAY = date(2026, 11, 23)  # a Monday: week 2026-W48; the last complete month is October
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

# --- the arithmetic, by hand, from the example file -----------------------------------------
# Burn: every [[expenses]] line, entity by entity.
QUEEN = 1450 + 615 + 650 + 820 + 44 + 48  # slip, insurance, maintenance, loan, AWS, domains = 3,627
JADA = 380 + 180 + 36 + 150 + 14 + 1780 + 290 + 85  # incl. the rental's mortgage, tax, insurance = 2,915
QUICKDUMPNOW = 890 + 310 + 420 + 57 + 450  # = 2,127
DANGEROUS_CENTAUR = 22 + 45 + 60  # = 127
BURN = QUEEN + JADA + QUICKDUMPNOW + DANGEROUS_CENTAUR  # = 8,796 a month

# Break-even: Queen of San Diego's fixed monthly costs / (charter price - variable cost), rounded up.
PRICE = 850
VARIABLE = 45 + 120 + 35  # fuel + crew + cleaning and provisions = 200
BREAK_EVEN = math.ceil(QUEEN / (PRICE - VARIABLE))  # ceil(3,627 / 650) = ceil(5.58) = 6

# Runway: cash / (burn - average revenue of the last three complete months recorded).
AUGUST = 3400 + 1250 + 500  # charters, junk removal, retainers (no rent: vacant) = 5,150
SEPTEMBER = 1700 + 980 + 500 + 1475  # = 4,655
OCTOBER = 850 + 900 + 500 + 2950  # = 5,200
BASELINE = (AUGUST + SEPTEMBER + OCTOBER) / 3  # = 5,001.67
NET_BURN = BURN - BASELINE  # = 3,794.33
CASH = 41300
RUNWAY = CASH / NET_BURN  # = 10.88 months


@pytest.fixture(scope="module")
def example() -> Portfolio:
    return load_portfolio_file(EXAMPLE)


def cfo(portfolio: Portfolio):  # type: ignore[no-untyped-def]
    return build_report("cfo", Source(portfolio, NOW), week_of(TODAY), TODAY)


def test_the_hand_arithmetic_is_what_the_write_ups_say() -> None:
    # The example lands inside the owner's ranges: burn $7-9K, break-even about 6 charters.
    assert BURN == 8796 and 7000 <= BURN <= 9000
    assert BREAK_EVEN == 6
    assert round(RUNWAY, 1) == 10.9


def test_cfo_figures_equal_the_hand_arithmetic(example: Portfolio) -> None:
    # Given the example data, when the CFO report is built for week 2026-W48
    report = cfo(example)
    f = report.data["finance"]
    # Then burn, break-even and runway are the hand-computed values
    assert f.burn == pytest.approx(BURN)
    assert f.fixed_total == pytest.approx(QUEEN)
    assert f.variable_cost == pytest.approx(VARIABLE)
    assert f.break_even == BREAK_EVEN
    assert f.baseline_months == ["2026-08", "2026-09", "2026-10"]
    assert f.baseline == pytest.approx(BASELINE)
    assert f.net_burn == pytest.approx(NET_BURN)
    assert f.runway_months == pytest.approx(RUNWAY)


def test_cfo_report_says_those_numbers(example: Portfolio) -> None:
    report = cfo(example)
    text, html = render_parts(report, "https://quarterdeck.example")
    for part in (text, html):
        assert "$8,796" in part  # burn
        assert f"{BREAK_EVEN} charters a month" in part
        assert "10.9 months" in part  # runway
        assert "$3,794" in part  # net burn
    # and ends with action items, each with an owner and a due date
    assert report.actions
    assert all(a.owner and a.due >= TODAY for a in report.actions)


def test_a_missing_input_is_said_not_guessed() -> None:
    # Given the example without cash on hand
    text = EXAMPLE.read_text(encoding="utf-8").replace("cash_on_hand = 41300", "")
    report = cfo(parse_portfolio(text))
    # Then the runway is not computed, and the report says which input is missing
    assert report.data["finance"].runway_months is None
    assert any(m.key == "finance.cash_on_hand" for m in report.missing)
    rendered, _ = render_parts(report, "")
    assert "cash on hand (data: finance.cash_on_hand)" in rendered
    assert "Runway (cash / net burn): not available" in rendered


def test_break_even_rounds_up_and_refuses_a_price_below_cost() -> None:
    raw = EXAMPLE.read_text(encoding="utf-8")
    # 3,627 / (900 - 200) = 5.18 -> 6 charters (rounded up, never down)
    assert cfo(parse_portfolio(raw.replace("price = 850", "price = 900"))).data["finance"].break_even == 6
    # A charter that costs more than it earns has no break-even: said, not guessed
    report = cfo(parse_portfolio(raw.replace("price = 850", "price = 150")))
    assert report.data["finance"].break_even is None
    assert any(m.key == "charters.price" for m in report.missing)
