"""The report archive: every report as it was sent (issue 22).

Two items per sent report, written in one transaction: the report itself (`ARCHIVE#<id>`:
subject, recipients, MessageIds, text and HTML bodies) and a small entry in the archive's
listing (`ARCHIVES`, sorted by the period's first day), so the reports page lists a year of
reports in one Query without reading a single body.
"""

from __future__ import annotations

from typing import Protocol

from quarterdeck import keys
from quarterdeck.errors import ConflictError
from quarterdeck.repositories import Item
from quarterdeck.store import Store, TransactionCanceledError, Write

SUMMARY_FIELDS = ("id", "kind", "title", "period", "period_start", "period_end", "sent_at", "subject", "recipients")
"""What the listing holds of each report (everything but the bodies and the sends)."""


class ArchiveEntryExistsError(ConflictError):
    code = "archive_entry_exists"


class ReportArchiveRepository(Protocol):
    def store_report(self, report: Item) -> None:
        """Keep a sent report (`id`, `kind`, `period`, `period_start`, `period_end`, `sent_at`,
        `subject`, `recipients`, `bcc`, `sends` [{recipient, message_id}], `text`, `html`);
        ArchiveEntryExistsError if that id is archived already."""
        ...

    def archived_reports(self, first: str, last: str, kind: str | None = None) -> list[Item]:
        """Summaries (SUMMARY_FIELDS) of the reports whose period starts in [first, last]
        (ISO dates), of one kind or all, oldest period first."""
        ...

    def archived_report(self, archive_id: str) -> Item | None:
        """One report whole, as stored, or None."""
        ...


def summary_of(report: Item) -> Item:
    return {name: report[name] for name in SUMMARY_FIELDS if name in report}


class DynamoReportArchiveRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def store_report(self, report: Item) -> None:
        pk, sk = keys.archived_report(str(report["id"]))
        index_pk, index_sk = keys.archive_index_entry(str(report["period_start"]), str(report["kind"]), report["id"])
        try:
            self.store.transact(
                [
                    Write(
                        "Put",
                        name="archive",
                        item={**report, "pk": pk, "sk": sk, "type": "archived_report"},
                        condition="attribute_not_exists(pk)",
                    ),
                    Write("Put", item={**summary_of(report), "pk": index_pk, "sk": index_sk, "type": "archive_entry"}),
                ]
            )
        except TransactionCanceledError as error:
            if "archive" in error.failed:
                raise ArchiveEntryExistsError(f"The report {report['id']} is archived already.") from error
            raise

    def archived_reports(self, first: str, last: str, kind: str | None = None) -> list[Item]:
        found = self.store.query(keys.REPORT_ARCHIVE_INDEX, sk_between=keys.archive_index_range(first, last))
        return [summary_of(item) for item in found if kind is None or item.get("kind") == kind]

    def archived_report(self, archive_id: str) -> Item | None:
        item = self.store.get(*keys.archived_report(archive_id))
        if item is None:
            return None
        return {k: v for k, v in item.items() if k not in ("pk", "sk", "type")}
