"""In memory: the report archive (quarterdeck.repositories.report_archive's protocol)."""

from __future__ import annotations

import copy

from quarterdeck.repositories import Item
from quarterdeck.repositories.report_archive import ArchiveEntryExistsError, summary_of


class MemoryReportArchiveRepository:
    def __init__(self) -> None:
        self.reports: dict[str, Item] = {}
        self.fail_next: dict[str, Exception] = {}  # method name -> the error its next call raises

    def _maybe_fail(self, method: str) -> None:
        if method in self.fail_next:
            raise self.fail_next.pop(method)

    def store_report(self, report: Item) -> None:
        self._maybe_fail("store_report")
        if report["id"] in self.reports:
            raise ArchiveEntryExistsError(f"The report {report['id']} is archived already.")
        self.reports[str(report["id"])] = copy.deepcopy({k: v for k, v in report.items() if v is not None})

    def archived_reports(self, first: str, last: str, kind: str | None = None) -> list[Item]:
        found = [
            r
            for r in self.reports.values()
            if first <= r["period_start"] <= last and (kind is None or r["kind"] == kind)
        ]
        found.sort(key=lambda r: (r["period_start"], r["kind"], r["id"]))
        return [summary_of(copy.deepcopy(r)) for r in found]

    def archived_report(self, archive_id: str) -> Item | None:
        report = self.reports.get(archive_id)
        return copy.deepcopy(report) if report is not None else None
