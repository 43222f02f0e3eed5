"""A report run refused before it claims anything (no portfolio file, an unverified sender, no
owner address) shows on the reports page with its reason, so an admin who pressed "Send now"
learns why nothing went out, without touching what was delivered before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quarterdeck.config import get_settings
from quarterdeck.reports.dispatch import Collaborators, run_reports
from quarterdeck.reports.reports_page import list_reports
from quarterdeck.reports.runs import claim_run, get_run, last_runs, mark_sent, record_refusal
from tests.unit.fakes import FakeMailer
from tests.unit.memory.reports import MemoryReportRunRepository

SENT_AT = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


@pytest.fixture
def runs() -> MemoryReportRunRepository:
    return MemoryReportRunRepository()


def _send(runs: MemoryReportRunRepository, period: str, at: datetime) -> None:
    claim = claim_run(runs, "cfo", period, attempt=f"attempt-{period}", now=at)
    mark_sent(runs, claim, message_id=f"m-{period}", now=at, recipients=["o@x"], subject="CFO", tasks=0, forced=False)


def test_a_refusal_is_the_last_run_until_a_delivery_follows_and_changes_no_delivery(
    runs: MemoryReportRunRepository,
) -> None:
    # Given the CFO report sent for 2026-W47
    _send(runs, "2026-W47", SENT_AT)
    # When the run for 2026-W48 is refused before it claims anything
    record_refusal(runs, "cfo", "2026-W48", "The portfolio file does not exist.", SENT_AT + timedelta(days=7))
    # Then the kind's last run is the refusal, with its period and reason
    run = last_runs(runs)["cfo"]
    assert run is not None
    assert (run["period"], run["status"], run["error"]) == ("2026-W48", "failed", "The portfolio file does not exist.")
    assert run["message_id"] is None and run["deliveries"] == []
    # And the W47 delivery is still recorded as sent, nor was a W48 run written
    sent = get_run(runs, "cfo", "2026-W47")
    assert sent is not None and sent["status"] == "sent"
    assert get_run(runs, "cfo", "2026-W48") is None
    # When the cause is fixed and W48 is sent
    _send(runs, "2026-W48", SENT_AT + timedelta(days=7, minutes=5))
    # Then the delivery is the last run again
    run = last_runs(runs)["cfo"]
    assert run is not None and (run["period"], run["status"], run["message_id"]) == ("2026-W48", "sent", "m-2026-W48")


def test_a_run_without_its_portfolio_file_says_so_on_the_page_for_each_kind(
    runs: MemoryReportRunRepository, tmp_path: Path
) -> None:
    # Given no portfolio file where the run looks for it
    missing = tmp_path / "no-portfolio.toml"
    # When the CFO and CTO reports run
    using = Collaborators(runs=runs, tasks=runs.tasks, mailer=FakeMailer())
    summary = run_reports(["cfo", "cto"], period="2026-W48", portfolio_path=missing, using=using)
    # Then both failed, nothing was sent, and the page shows each one's reason
    assert {o.status for o in summary.outcomes} == {"failed"}
    listed = {r["kind"]: r["last_run"] for r in list_reports(runs, settings=get_settings())}
    for kind in ("cfo", "cto"):
        assert listed[kind]["status"] == "failed" and listed[kind]["period"] == "2026-W48"
        assert listed[kind]["error"] == summary.outcomes[0].reason
    assert listed["ceo"] is None


def test_a_dry_run_that_fails_notes_nothing(runs: MemoryReportRunRepository, tmp_path: Path) -> None:
    using = Collaborators(runs=runs, tasks=runs.tasks)
    summary = run_reports(["cfo"], period="2026-W48", portfolio_path=tmp_path / "none.toml", dry_run=True, using=using)
    assert not summary.ok
    assert last_runs(runs) == {}
