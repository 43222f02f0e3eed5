"""A report run refused before it claims anything (no portfolio file, an unverified sender, no
owner address) shows on the reports page with its reason, so an admin who pressed "Send now"
learns why nothing went out, without touching what was delivered before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.config import get_settings
from quarterdeck.reports.dispatch import list_reports, run_reports
from quarterdeck.reports.runs import claim_run, get_run, last_runs, mark_sent, record_refusal
from tests.unit.fakes import FakeMailer, FakeStore

SENT_AT = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def _send(store: FakeStore, period: str, at: datetime) -> None:
    claim = claim_run(store, "cfo", period, attempt=f"attempt-{period}", now=at)
    mark_sent(store, claim, message_id=f"m-{period}", now=at, recipients=["o@x"], subject="CFO", tasks=0, forced=False)


def test_a_refusal_is_the_last_run_until_a_delivery_follows_and_changes_no_delivery(store: FakeStore) -> None:
    # Given the CFO report sent for 2026-W47
    _send(store, "2026-W47", SENT_AT)
    # When the run for 2026-W48 is refused before it claims anything
    record_refusal(store, "cfo", "2026-W48", "The portfolio file does not exist.", SENT_AT + timedelta(days=7))
    # Then the kind's last run is the refusal, with its period and reason
    run = last_runs(store)["cfo"]
    assert run is not None
    assert (run["period"], run["status"], run["error"]) == ("2026-W48", "failed", "The portfolio file does not exist.")
    assert run["message_id"] is None and run["deliveries"] == []
    # And the W47 delivery is still recorded as sent, nor was a W48 run written
    sent = get_run(store, "cfo", "2026-W47")
    assert sent is not None and sent["status"] == "sent"
    assert get_run(store, "cfo", "2026-W48") is None
    # When the cause is fixed and W48 is sent
    _send(store, "2026-W48", SENT_AT + timedelta(days=7, minutes=5))
    # Then the delivery is the last run again
    run = last_runs(store)["cfo"]
    assert run is not None and (run["period"], run["status"], run["message_id"]) == ("2026-W48", "sent", "m-2026-W48")


def test_a_run_without_its_portfolio_file_says_so_on_the_page_for_each_kind(store: FakeStore, tmp_path: Path) -> None:
    # Given no portfolio file where the run looks for it
    missing = tmp_path / "no-portfolio.toml"
    # When the CFO and CTO reports run
    summary = run_reports(["cfo", "cto"], period="2026-W48", portfolio_path=missing, store=store, mailer=FakeMailer())
    # Then both failed, nothing was sent, and the page shows each one's reason
    assert {o.status for o in summary.outcomes} == {"failed"}
    listed = {r["kind"]: r["last_run"] for r in list_reports(store, settings=get_settings())}
    for kind in ("cfo", "cto"):
        assert listed[kind]["status"] == "failed" and listed[kind]["period"] == "2026-W48"
        assert listed[kind]["error"] == summary.outcomes[0].reason
    assert listed["ceo"] is None


def test_a_dry_run_that_fails_notes_nothing(store: FakeStore, tmp_path: Path) -> None:
    summary = run_reports(["cfo"], period="2026-W48", portfolio_path=tmp_path / "none.toml", store=store, dry_run=True)
    assert not summary.ok
    assert last_runs(store) == {}
