"""The report archive: every report kept as it was sent, listed by kind and period, opened whole
with what became of each recipient's message (issue 22).

The dispatch calls `archive_sent_report` once a report has gone out (one message per
recipient, the same subject and bodies); the reports page lists the archive
(`list_archive`) and opens one (`open_archived`), with each recipient's delivery from the
delivery log (quarterdeck.deliveries).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from quarterdeck.clock import Clock, IdGenerator, iso, new_id, system_clock
from quarterdeck.deliveries import deliveries_of
from quarterdeck.errors import InvalidInputError, NotFoundError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.deliveries import DeliveryRepository
from quarterdeck.repositories.report_archive import ReportArchiveRepository

DEFAULT_DAYS = 366  # the listing without dates: the year up to today
MAX_DAYS = 3 * 366  # one listing covers at most three years
ARCHIVE_ID = re.compile(r"^[A-Za-z0-9]{8,32}$")


class ArchivedReportNotFoundError(NotFoundError):
    code = "archived_report_not_found"


def archive_sent_report(
    archive: ReportArchiveRepository,
    *,
    kind: str,
    title: str,
    period: Any,
    email: OutgoingEmail,
    sends: Sequence[tuple[str, str]],
    clock: Clock = system_clock,
    ids: IdGenerator = new_id,
) -> str:
    """Keep a report as it was sent: `email` as rendered (subject, text and HTML bodies, the
    BCC), and each (recipient, MessageId) it went to. `period` is a reports.periods.Period.
    Returns the archive id."""
    archive_id = ids()
    archive.store_report(
        {
            "id": archive_id,
            "kind": kind,
            "title": title,
            "period": period.label,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "sent_at": iso(clock()),
            "subject": email.subject,
            "recipients": [recipient for recipient, _ in sends],
            "bcc": list(email.bcc),
            "sends": [{"recipient": recipient, "message_id": message_id} for recipient, message_id in sends],
            "text": email.text,
            "html": email.html,
        }
    )
    return archive_id


def _day(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{name} is a date (YYYY-MM-DD).", field=name) from None


def list_archive(
    archive: ReportArchiveRepository,
    *,
    kind: str | None = None,
    first: str | None = None,
    last: str | None = None,
    known_kinds: Sequence[str] = (),
    clock: Clock = system_clock,
) -> list[Item]:
    """The archived reports whose period starts between `first` and `last` (ISO dates; by
    default the year up to today), of one kind or all, newest period first."""
    if kind and known_kinds and kind not in known_kinds:
        raise InvalidInputError(f"There is no report kind {kind!r}.", field="kind")
    today = clock().date()
    end = _day(last, "to") or today
    start = _day(first, "from") or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InvalidInputError("from is after to.", field="from")
    if (end - start).days > MAX_DAYS:
        raise InvalidInputError("List at most three years at a time.", field="from")
    found = archive.archived_reports(start.isoformat(), end.isoformat(), kind or None)
    return sorted(found, key=lambda r: (r.get("period_start", ""), r.get("sent_at", "")), reverse=True)


def open_archived(archive: ReportArchiveRepository, deliveries: DeliveryRepository, archive_id: str) -> Item:
    """One archived report whole (subject, bodies, recipients) and each recipient's delivery."""
    report = archive.archived_report(archive_id) if ARCHIVE_ID.match(archive_id or "") else None
    if report is None:
        raise ArchivedReportNotFoundError("There is no such archived report.")
    report["deliveries"] = deliveries_of(report.get("sends", []), deliveries)
    return report


def keep_sent_report(
    archive: ReportArchiveRepository,
    *,
    kind: str,
    period: Any,
    email: OutgoingEmail,
    sends: Sequence[tuple[str, str]],
    clock: Clock = system_clock,
) -> str | None:
    """The dispatch's hook: `archive_sent_report`, never raising (the report went out either
    way; a copy that could not be kept is logged)."""
    from quarterdeck.reports import KINDS

    try:
        title = KINDS[kind].title if kind in KINDS else kind
        return archive_sent_report(
            archive, kind=kind, title=title, period=period, email=email, sends=sends, clock=clock
        )
    except Exception:
        logger.exception("could not archive the sent report", extra={"kind": kind, "period": period.label})
        return None
