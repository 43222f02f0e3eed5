"""The report archive (issue 22): a sent report is kept as it was sent and reads back byte for
byte; the listing filters by kind and period; a copy that cannot be kept never fails a report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quarterdeck.config import get_settings
from quarterdeck.errors import InvalidInputError, NotFoundError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.reports.archive import archive_sent_report, keep_sent_report, list_archive, open_archived
from quarterdeck.reports.dispatch import Collaborators, run_reports
from quarterdeck.reports.periods import parse_period
from tests.unit.fakes import FakeMailer
from tests.unit.memory.deliveries import MemoryDeliveryRepository
from tests.unit.memory.report_archive import MemoryReportArchiveRepository
from tests.unit.memory.reports import MemoryReportRunRepository

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def _email(subject: str = "CFO · 2026-W48") -> OutgoingEmail:
    return OutgoingEmail(
        to=("owner@example.com",),
        bcc=("archive@example.com",),
        subject=subject,
        text="Text\r\n  é ✓\n",
        html="<p>é</p>",
    )


@pytest.fixture
def settings_with_recipients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNER_EMAIL", "owner@example.com")
    monkeypatch.setenv("ARCHIVE_EMAIL", "archive@example.com")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("settings_with_recipients")
def test_a_sent_report_reads_back_from_the_archive_byte_for_byte(mailer: FakeMailer) -> None:
    # Given an archive and the CFO report's data
    archive, deliveries, runs = MemoryReportArchiveRepository(), MemoryDeliveryRepository(), MemoryReportRunRepository()
    # When the dispatch sends the CFO report for 2026-W48
    using = Collaborators(runs=runs, tasks=runs.tasks, mailer=mailer, clock=clock, archive=archive)
    summary = run_reports(["cfo"], period="2026-W48", portfolio_path=EXAMPLE, using=using)
    assert summary.ok and summary.outcomes[0].status == "sent", summary.table()
    # Then the archive lists it under its kind and period
    (listed,) = list_archive(archive, kind="cfo", first="2026-11-01", last="2026-12-31", clock=clock)
    assert (listed["kind"], listed["period"], listed["period_start"]) == ("cfo", "2026-W48", "2026-11-23")
    assert "text" not in listed and "html" not in listed
    # And opens as it was sent: subject, bodies (byte for byte), recipients and MessageIds
    opened = open_archived(archive, deliveries, listed["id"])
    (sent,) = mailer.sent
    assert opened["subject"] == sent.subject
    assert opened["text"].encode() == sent.text.encode() and opened["html"].encode() == sent.html.encode()
    assert opened["recipients"] == list(sent.to) and opened["bcc"] == list(sent.bcc)
    assert opened["sends"] == [{"recipient": sent.to[0], "message_id": summary.outcomes[0].message_id}]
    assert opened["deliveries"][0]["status"] == "sent"


def test_the_listing_filters_by_kind_and_period_newest_first() -> None:
    archive = MemoryReportArchiveRepository()
    for kind, label in [("cfo", "2026-W47"), ("cfo", "2026-W48"), ("ceo", "2026-W48"), ("rental", "2026-10")]:
        period = parse_period(label)
        archive_sent_report(archive, kind=kind, title=kind, period=period, email=_email(), sends=[("o@x", "m")])
    all_kinds = list_archive(archive, first="2026-10-01", last="2026-12-31", clock=clock)
    assert [(r["kind"], r["period"]) for r in all_kinds][:2] in (
        [("cfo", "2026-W48"), ("ceo", "2026-W48")],
        [("ceo", "2026-W48"), ("cfo", "2026-W48")],
    )
    assert [r["period"] for r in all_kinds][-1] == "2026-10"
    assert [r["period"] for r in list_archive(archive, kind="cfo", first="2026-11-20", clock=clock)] == ["2026-W48"]
    # The default range is the year up to today
    assert len(list_archive(archive, clock=clock)) == 4


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"first": "2026-13-01"}, "from"),
        ({"last": "yesterday"}, "to"),
        ({"first": "2026-12-31", "last": "2026-01-01"}, "from"),
        ({"first": "2020-01-01", "last": "2026-01-01"}, "from"),
        ({"kind": "nope"}, "kind"),
    ],
)
def test_a_wrong_listing_is_refused_naming_the_field(options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        list_archive(MemoryReportArchiveRepository(), known_kinds=["cfo"], clock=clock, **options)
    assert refused.value.field == field


@pytest.mark.parametrize("archive_id", ["missing0000000000", "../etc", ""])
def test_an_unknown_id_is_not_found(archive_id: str) -> None:
    with pytest.raises(NotFoundError):
        open_archived(MemoryReportArchiveRepository(), MemoryDeliveryRepository(), archive_id)


def test_a_copy_that_cannot_be_kept_is_logged_and_never_raises() -> None:
    archive = MemoryReportArchiveRepository()
    archive.fail_next["store_report"] = RuntimeError("table gone")
    kept = keep_sent_report(archive, kind="cfo", period=parse_period("2026-W48"), email=_email(), sends=[("o@x", "m")])
    assert kept is None and archive.reports == {}


def test_the_archive_shows_each_recipients_delivery_and_suppression() -> None:
    archive, deliveries = MemoryReportArchiveRepository(), MemoryDeliveryRepository()
    email = replace(_email(), to=("a@x",))
    archive_id = archive_sent_report(
        archive,
        kind="cfo",
        title="CFO",
        period=parse_period("2026-W48"),
        email=email,
        sends=[("a@x", "m-1"), ("b@x", "m-2"), ("c@x", "suppressed:abc")],
        clock=clock,
    )
    deliveries.record_event("m-1", "a@x", "delivery", "2026-12-04T15:00:01Z", "250 OK")
    deliveries.record_event("m-2", "b@x", "bounce", "2026-12-04T15:00:02Z", "Permanent bounce (General)")
    deliveries.suppress("b@x", "Hard bounce: Permanent bounce (General)", "bounce", "m-2", "2026-12-04T15:00:02Z")
    opened = open_archived(archive, deliveries, archive_id)
    statuses = {d["recipient"]: d["status"] for d in opened["deliveries"]}
    assert statuses == {"a@x": "delivery", "b@x": "bounce", "c@x": "suppressed"}
    (bounced,) = [d for d in opened["deliveries"] if d["recipient"] == "b@x"]
    assert bounced["suppressed"]["reason"].startswith("Hard bounce")
    assert date.fromisoformat(opened["period_start"]) == date(2026, 11, 23)
