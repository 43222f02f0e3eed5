"""The PortfolioRepository contract: the same scenarios against DynamoDB (moto's server, the
table built from template.yaml) and against the in-memory twin, so it cannot drift.

The table is shared by the session (the API tests save versions too): each scenario works from
the version it finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack
from quarterdeck.errors import StaleVersionError
from quarterdeck.repositories.portfolio import DynamoPortfolioRepository, PortfolioRepository, PortfolioVersion
from tests.unit.memory.portfolio import MemoryPortfolioRepository

DOCUMENT = {"schema_version": 1, "meta": {"updated": "2026-11-20", "example": True}, "expenses": [{"monthly": 5.5}]}


@pytest.fixture(params=["dynamo", "memory"])
def versions(request: pytest.FixtureRequest, stack: LocalStack) -> Iterator[PortfolioRepository]:
    if request.param == "dynamo":
        from quarterdeck.store import Store
        from tests.integration.test_portfolio_api import forget_versions

        yield DynamoPortfolioRepository(Store())
        forget_versions()  # the reports of other suites read the data file again
    else:
        yield MemoryPortfolioRepository()


def at(versions: PortfolioRepository) -> int:
    current = versions.current()
    return current[0].version if current is not None else 0


def info(version: int, changed: int = 0, changes: tuple[dict[str, object], ...] = ()) -> PortfolioVersion:
    return PortfolioVersion(version, "2099-01-01T00:00:00+00:00", "a@x", "edited", changed, changes)


def test_a_saved_version_is_current_listed_and_read_back(versions: PortfolioRepository) -> None:
    # Given the version the store is at; When a document is saved as the next version
    n = at(versions) + 1
    change = ({"path": "expenses[0].monthly", "before": 5, "after": 5.5},)
    versions.save(DOCUMENT, info(n, changed=1, changes=change))
    # Then it is current, with its document, listed first, and readable by number
    current = versions.current()
    assert current is not None and current[0] == info(n, changed=1, changes=change) and current[1] == DOCUMENT
    assert versions.versions()[0].version == n
    assert versions.version_and_current(n) == (current, current)
    assert versions.version_and_current(n + 1000) == (None, current)
    assert versions.version_and_current(0) == (None, current)


def test_an_older_version_is_read_with_the_current_one(versions: PortfolioRepository) -> None:
    # Given two versions saved, the second changing the first
    n = at(versions) + 1
    versions.save(DOCUMENT, info(n))
    versions.save({**DOCUMENT, "schema_version": 2}, info(n + 1, changed=1))
    # When the first is read
    older, current = versions.version_and_current(n)
    # Then it comes with its own document, and the current version with the later one
    assert older == (info(n), DOCUMENT)
    assert current == (info(n + 1, changed=1), {**DOCUMENT, "schema_version": 2})


def test_a_save_from_a_stale_version_is_refused_and_writes_nothing(versions: PortfolioRepository) -> None:
    # Given a version saved
    n = at(versions) + 1
    versions.save(DOCUMENT, info(n))
    # When another save is made from the version before it (its number taken)
    with pytest.raises(StaleVersionError) as stale:
        versions.save({**DOCUMENT, "schema_version": 2}, info(n))
    # Then it is refused naming the current version, and nothing changed
    assert f"version {n}" in stale.value.message and stale.value.field == "version"
    current = versions.current()
    assert current is not None and current[1] == DOCUMENT
    # And a save skipping a version is refused too
    with pytest.raises(StaleVersionError):
        versions.save(DOCUMENT, info(n + 2))
    assert at(versions) == n
