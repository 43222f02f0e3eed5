"""The portfolio data file: the example loads, and a malformed file is refused naming the bad key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from quarterdeck.reports.portfolio import PortfolioError, load_portfolio_file, parse_portfolio

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def refusal(text: str) -> PortfolioError:
    with pytest.raises(PortfolioError) as caught:
        parse_portfolio(text)
    return caught.value


def test_the_example_has_the_business_real_shape() -> None:
    portfolio = load_portfolio_file(EXAMPLE)
    assert [e.name for e in portfolio.entities] == [
        "JADA",
        "Queen of San Diego",
        "QuickDumpNow",
        "Dangerous Centaur",
    ]
    assert {a.name for a in portfolio.assets} == {
        "3028 51st St rental",
        "Expert Yacht Delivery",
        "Dangerous Centaur client portfolio",
    }
    assert len(portfolio.revenue_streams) == 12
    assert len(portfolio.properties) == 8
    email_list = next(c for c in portfolio.channels if c.kind == "email")
    assert email_list.audience == 3676 and email_list.last_used is None
    assert portfolio.meta.example is True


def test_a_value_of_the_wrong_type_is_refused_naming_its_key() -> None:
    error = refusal(example_text().replace("monthly = 1450", 'monthly = "lots"', 1))
    assert error.field == "expenses[0].monthly"
    assert "expenses[0].monthly" in error.message and "'lots'" in error.message


def test_an_unknown_key_is_refused_by_name() -> None:
    error = refusal(example_text().replace('kind = "holding"', 'kind = "holding"\nburnn = 3', 1))
    assert error.field == "entities[0].burnn"
    assert "unknown key" in error.message


def test_a_missing_required_key_is_named() -> None:
    error = refusal(example_text().replace("price = 850", "", 1))
    assert error.field == "charters.price"
    assert "required" in error.message


def test_a_reference_to_nothing_is_named() -> None:
    error = refusal(
        example_text().replace('entity = "quickdumpnow"\ncategory = "vehicle"', 'entity = "qdn"\ncategory = "vehicle"')
    )
    assert error.field is not None and error.field.startswith("expenses[") and error.field.endswith("].entity")
    assert "unknown entity 'qdn'" in error.message


def test_a_negative_amount_and_a_bad_month_are_named() -> None:
    error = refusal(example_text().replace("cash_on_hand = 41300", "cash_on_hand = -5"))
    assert error.field == "finance.cash_on_hand"
    error = refusal(example_text().replace('month = "2026-05"', 'month = "May 2026"', 1))
    assert error.field == "revenue[0].month"


def test_a_syntax_error_is_refused_with_its_line() -> None:
    error = refusal("schema_version = 1\n[meta\nupdated = 2026-01-01\n")
    assert error.field == "(syntax)"
    assert "line 2" in error.message


def test_json_is_accepted_too() -> None:
    data = tomllib.loads(example_text())
    portfolio = parse_portfolio(json.dumps(data, default=str))
    assert len(portfolio.expenses) == len(load_portfolio_file(EXAMPLE).expenses)
