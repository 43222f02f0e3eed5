"""The owner's figures in the app (issue 22, item 1): save, refuse, version, compare, restore,
download and upload, over the in-memory PortfolioRepository and the example file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError, StaleVersionError
from quarterdeck.reports import portfolio_versions as pv
from quarterdeck.reports.portfolio import parse_portfolio, read_document
from tests.unit.fakes import FixedClock
from tests.unit.memory.portfolio import MemoryPortfolioRepository

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
ADMIN = "admin@example.com"


def example_file(settings: Settings) -> bytes:
    return EXAMPLE.read_bytes()


@pytest.fixture
def repo() -> MemoryPortfolioRepository:
    return MemoryPortfolioRepository()


def options(clock: Any = None) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {"read_file": example_file, "clock": clock or FixedClock(datetime(2026, 12, 1, 16, tzinfo=UTC))}


def example() -> dict[str, Any]:
    data, _ = read_document(EXAMPLE.read_bytes())
    return dict(pv.plain(data))


def test_before_any_save_the_portfolio_is_the_bucket_file_at_version_0(repo: MemoryPortfolioRepository) -> None:
    current = pv.current_portfolio(repo, read_file=example_file)
    assert current["version"] == 0 and current["document"] == example()


def test_a_save_records_the_file_then_the_change_with_who_and_what(repo: MemoryPortfolioRepository) -> None:
    # Given the example file; When an admin changes one revenue figure
    document = example()
    before = document["revenue"][0]["amount"]
    document["revenue"][0]["amount"] = before + 1000
    saved = pv.save_portfolio(repo, ADMIN, version=0, document=document, **options())
    # Then the file is version 1 and the change version 2, naming who, and what changed
    assert saved["version"] == 2 and saved["by"] == ADMIN and saved["how"] == "edited"
    assert saved["changes"] == [{"path": "revenue[0].amount", "before": before, "after": before + 1000}]
    assert [v["version"] for v in pv.list_versions(repo)] == [2, 1]
    assert pv.current_portfolio(repo)["document"]["revenue"][0]["amount"] == before + 1000


def test_a_bad_value_is_refused_naming_the_record_and_the_field_and_nothing_is_stored(
    repo: MemoryPortfolioRepository,
) -> None:
    pv.save_portfolio(repo, ADMIN, version=0, document=example(), **options())
    stored = copy.deepcopy(repo.saved)
    document = example()
    document["entities"][1]["name"] = ""
    document["expenses"][2]["monthly"] = "lots"
    with pytest.raises(InvalidInputError) as refused:
        pv.save_portfolio(repo, ADMIN, version=1, document=document, **options())
    assert refused.value.field == "entities[1].name"
    assert "entities[1].name" in refused.value.message and "[queen]" in refused.value.message
    assert "expenses[2].monthly" in refused.value.message
    assert repo.saved == stored and repo.at == 1


def test_a_save_from_an_older_version_is_refused_with_nothing_stored(repo: MemoryPortfolioRepository) -> None:
    document = example()
    document["finance"]["cash_on_hand"] = 1
    pv.save_portfolio(repo, ADMIN, version=0, document=document, **options())
    document["finance"]["cash_on_hand"] = 2
    with pytest.raises(StaleVersionError) as stale:
        pv.save_portfolio(repo, "other@example.com", version=1, document=document, **options())
    assert "version 2" in stale.value.message and repo.at == 2


def test_an_unchanged_save_stores_nothing(repo: MemoryPortfolioRepository) -> None:
    document = example()
    document["finance"]["cash_on_hand"] = 5
    pv.save_portfolio(repo, ADMIN, version=0, document=document, **options())
    again = pv.save_portfolio(repo, ADMIN, version=2, document=document, **options())
    assert again["version"] == 2 and repo.at == 2


def test_an_earlier_version_is_compared_and_restored_as_a_new_version(repo: MemoryPortfolioRepository) -> None:
    document = example()
    first = document["revenue"][0]["amount"]
    document["revenue"][0]["amount"] = 1
    pv.save_portfolio(repo, ADMIN, version=0, document=document, **options())
    one = pv.one_version(repo, 1)
    assert one["to_current"] == [{"path": "revenue[0].amount", "before": first, "after": 1}]
    restored = pv.restore_version(repo, ADMIN, 1, version=2, **options())
    assert restored["version"] == 3 and restored["how"] == "restored version 1"
    assert pv.current_portfolio(repo)["document"] == example()
    with pytest.raises(pv.PortfolioVersionNotFoundError):
        pv.one_version(repo, 99)


def test_the_download_reads_back_as_the_same_document(repo: MemoryPortfolioRepository) -> None:
    name, text = pv.download_portfolio(repo, read_file=example_file)
    assert name == "portfolio-v0.toml"
    data, _ = read_document(text)
    assert pv.plain(data) == example()
    parse_portfolio(text)  # and a report reads it


def test_an_upload_is_checked_whole_and_names_the_line(repo: MemoryPortfolioRepository) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.strip().startswith("monthly ="))
    lines[n] = "monthly = -5"
    with pytest.raises(InvalidInputError) as refused:
        pv.upload_portfolio(repo, ADMIN, version=0, text="\n".join(lines), **options())
    assert f"line {n + 1}, " in refused.value.message and refused.value.field.endswith(".monthly")
    assert repo.saved == {}
    with pytest.raises(InvalidInputError) as unreadable:
        pv.upload_portfolio(repo, ADMIN, version=0, text="this is [not toml", **options())
    assert unreadable.value.field == "text"
    changed = text.replace("cash_on_hand = ", "cash_on_hand = 1", 1)
    saved = pv.upload_portfolio(repo, ADMIN, version=0, text=changed, **options())
    assert saved["how"] == "uploaded" and saved["version"] == 2


def test_the_reports_read_the_current_version(repo: MemoryPortfolioRepository, monkeypatch: Any) -> None:
    from quarterdeck.reports import portfolio, wiring

    document = example()
    document["finance"]["cash_on_hand"] = 12345
    pv.save_portfolio(repo, ADMIN, version=0, document=document, **options())
    monkeypatch.setattr(wiring, "portfolio_versions", lambda store=None: repo)
    assert portfolio.load_portfolio(settings=get_settings()).finance.cash_on_hand == 12345
