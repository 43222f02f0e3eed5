"""Contract: the report archive's repository, DynamoDB (moto, the table from template.yaml) and
in memory (tests/unit/memory/report_archive.py) run the same scenarios, so the fake cannot drift.

Each test lists its own far-future years, so what another test archived never shows."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.clock import new_id
from quarterdeck.repositories.report_archive import (
    ArchiveEntryExistsError,
    DynamoReportArchiveRepository,
    ReportArchiveRepository,
)
from quarterdeck.store import Store
from tests.unit.memory.report_archive import MemoryReportArchiveRepository


@pytest.fixture(params=["dynamo", "memory"])
def archive(request: pytest.FixtureRequest, stack: LocalStack) -> ReportArchiveRepository:
    # The stack is asked for statically, before the per-test fixtures: it points Store() at its table.
    if request.param == "dynamo":
        return DynamoReportArchiveRepository(Store())
    return MemoryReportArchiveRepository()


def _year() -> int:
    return 2200 + secrets.randbelow(7000)


def _report(kind: str, start: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "kind": kind,
        "title": kind.upper(),
        "period": start[:7],
        "period_start": start,
        "period_end": start,
        "sent_at": "2026-12-04T07:00:00-08:00",
        "subject": f"{kind} · {start}",
        "recipients": ["owner@example.com", "cfo@example.com"],
        "bcc": ["archive@example.com"],
        "sends": [
            {"recipient": "owner@example.com", "message_id": "m-1"},
            {"recipient": "cfo@example.com", "message_id": "m-2"},
        ],
        "text": "Line one\r\nLine two — é ✓\n\n",
        "html": '<p style="color:#123">Dollars &amp; cents: $1,234.56 — é</p>\n',
        **extra,
    }


def test_a_stored_report_reads_back_whole_and_byte_for_byte(archive: ReportArchiveRepository) -> None:
    # Given a report stored in the archive
    report = _report("cfo", f"{_year()}-03-02")
    archive.store_report(report)
    # When it is opened by its id
    opened = archive.archived_report(report["id"])
    # Then every field is as stored, the bodies byte for byte, and no key shows
    assert opened == report
    assert opened is not None and opened["html"].encode() == report["html"].encode()


def test_an_unknown_id_is_none(archive: ReportArchiveRepository) -> None:
    assert archive.archived_report(new_id()) is None


def test_storing_the_same_id_twice_is_refused_and_keeps_the_first(archive: ReportArchiveRepository) -> None:
    report = _report("cfo", f"{_year()}-03-02")
    archive.store_report(report)
    with pytest.raises(ArchiveEntryExistsError):
        archive.store_report({**report, "subject": "changed"})
    opened = archive.archived_report(report["id"])
    assert opened is not None and opened["subject"] == report["subject"]


def test_the_listing_holds_summaries_by_period_start_of_one_kind_or_all(archive: ReportArchiveRepository) -> None:
    # Given reports of two kinds in one year, and one the year after
    year = _year()
    first = _report("cfo", f"{year}-01-05")
    second = _report("ceo", f"{year}-01-12")
    third = _report("cfo", f"{year}-06-01")
    later = _report("cfo", f"{year + 1}-01-04")
    for report in (third, later, second, first):
        archive.store_report(report)
    # When the year is listed
    listed = archive.archived_reports(f"{year}-01-01", f"{year}-12-31")
    # Then its three reports come, oldest period first, without bodies or sends
    assert [r["id"] for r in listed] == [first["id"], second["id"], third["id"]]
    assert set(listed[0]) == {
        "id",
        "kind",
        "title",
        "period",
        "period_start",
        "period_end",
        "sent_at",
        "subject",
        "recipients",
    }
    # And one kind, and the range's ends are inclusive
    assert [r["id"] for r in archive.archived_reports(f"{year}-01-01", f"{year}-12-31", "cfo")] == [
        first["id"],
        third["id"],
    ]
    assert [r["id"] for r in archive.archived_reports(f"{year}-01-12", f"{year}-06-01")] == [second["id"], third["id"]]
    assert archive.archived_reports(f"{year}-01-06", f"{year}-01-11") == []
