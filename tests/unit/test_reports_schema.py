"""The portfolio's validator (quarterdeck.reports.schema): what the owner sees for a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from quarterdeck.reports.portfolio import PortfolioError, parse_portfolio

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"


def example() -> dict:  # type: ignore[type-arg]
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def refusal(data: dict) -> PortfolioError:  # type: ignore[type-arg]
    with pytest.raises(PortfolioError) as caught:
        parse_portfolio(json.dumps(data, default=str))
    return caught.value


def test_every_problem_of_the_file_is_listed_first_one_as_the_field() -> None:
    # Given a file with three mistakes in different places
    data = example()
    data["expenses"][1]["monthly"] = "lots"
    data["entities"][0]["burnn"] = 1
    del data["charters"]["price"]
    # Then the refusal names all three, in the file's order
    error = refusal(data)
    assert error.field == "entities[0].burnn"
    assert "entities[0].burnn: unknown key" in error.message
    assert "expenses[1].monthly: Input should be a valid number, unable to parse string as a number (got 'lots')" in (
        error.message
    )
    assert "charters.price: required key is missing" in error.message


def test_a_yes_or_no_where_an_amount_belongs_is_refused() -> None:
    # Given `monthly = true` (a slip that pydantic took for 1 dollar)
    data = example()
    data["expenses"][0]["monthly"] = True
    # Then it is refused by name
    assert refusal(data).field == "expenses[0].monthly"


def test_a_rule_across_keys_names_its_record() -> None:
    # Given a campaign whose low response rate is above its high one
    data = example()
    data["campaigns"][0]["response_rate_low"], data["campaigns"][0]["response_rate_high"] = 0.5, 0.1
    error = refusal(data)
    assert error.field == "campaigns[0]"
    assert "response_rate_low is above response_rate_high" in error.message


def test_numbers_and_dates_as_json_writes_them_are_accepted() -> None:
    # Given the example as JSON: dates become ISO strings, an amount a numeric string
    data = example()
    data["expenses"][0]["monthly"] = "125.50"
    portfolio = parse_portfolio(json.dumps(data, default=str))
    # Then the values are typed as in the TOML file
    assert portfolio.expenses[0].monthly == 125.5
    assert portfolio.meta.updated == example()["meta"]["updated"]


def test_text_is_trimmed_and_recipients_lower_cased() -> None:
    data = example()
    data["entities"][0]["name"] = "  Queen of San Diego  "
    data["recipients"]["cfo"] = ["owner", "  Books@Example.COM "]
    portfolio = parse_portfolio(json.dumps(data, default=str))
    assert portfolio.entities[0].name == "Queen of San Diego"
    assert portfolio.recipients["cfo"] == ["owner", "books@example.com"]


def test_records_are_frozen() -> None:
    portfolio = parse_portfolio(EXAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(AttributeError):
        portfolio.meta.example = False  # type: ignore[misc]


def test_loading_the_portfolio_does_not_import_pydantic() -> None:
    # The reason the validator exists: a report's cold start without pydantic's ~100 ms
    code = (
        "import sys; from quarterdeck.reports.portfolio import load_portfolio_file; "
        f"load_portfolio_file({str(EXAMPLE)!r}); print('pydantic' in sys.modules)"
    )
    layer = Path(__file__).resolve().parents[2] / "layers" / "shared"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(layer)}
    )
    assert done.stdout.strip() == "False"
