"""Report dispatch against the local stack (moto's SES, DynamoDB and S3, the seeded portfolio).

Each test uses its own period label (`2031-W..`), so runs recorded by one test never make
another skip; the stack is shared by the whole session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.clients import client
from quarterdeck.config import get_settings
from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail, SesMailSender
from quarterdeck.reports import KINDS
from quarterdeck.reports.dispatch import Collaborators, run_reports
from quarterdeck.reports.runs import claim_run, get_run
from quarterdeck.reports.sending import report_sender
from quarterdeck.reports.wiring import report_runs, task_board
from tests.conftest import outbox

ROOT = Path(__file__).resolve().parents[2]
OWNER = "owner@queenofsandiego.example"
ARCHIVE = "archive@queenofsandiego.example"


def mail_for(stack: LocalStack, period: str, before: int = 0) -> list[dict[str, Any]]:
    """Report messages of one period sent since the outbox held `before` messages."""
    return [m for m in outbox(stack)[before:] if m["subject"].endswith(f"· {period}")]


def cli(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m local.commands report ...` (what `make report` runs) against this stack."""
    env = {
        **os.environ,
        "MOTO_PORT": stack.moto_url.rsplit(":", 1)[1],
        "PORT": stack.url.rsplit(":", 1)[1],
    }
    return subprocess.run(
        [sys.executable, "-m", "local.commands", "report", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@contextmanager
def ses_throttles_first(calls: int) -> Iterator[dict[str, int]]:
    """SES answers the first `calls` SendEmail requests with a throttling error (botocore events)."""
    from botocore.awsrequest import AWSResponse

    sesv2 = client("sesv2")
    seen = {"calls": 0, "throttled": 0}

    def throttle(**_: Any) -> Any:
        seen["calls"] += 1
        if seen["calls"] > calls:
            return None  # let the request go to SES
        seen["throttled"] += 1
        body = {
            "Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        }
        return AWSResponse("https://email.us-east-1.amazonaws.com", 429, {}, None), body

    sesv2.meta.events.register("before-call.sesv2.SendEmail", throttle, unique_id="test-throttle")
    try:
        yield seen
    finally:
        sesv2.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="test-throttle")


@contextmanager
def account_send_rate(rate: float) -> Iterator[None]:
    """The account's quota (SES GetSendQuota) says MaxSendRate = rate."""
    ses = client("ses")

    def quota(parsed: dict[str, Any], **_: Any) -> None:
        parsed["MaxSendRate"] = rate

    ses.meta.events.register("after-call.ses.GetSendQuota", quota, unique_id="test-rate")
    try:
        yield
    finally:
        ses.meta.events.unregister("after-call.ses.GetSendQuota", unique_id="test-rate")


def fast_sender() -> SesMailSender:
    return report_sender(rate=50)


# --- acceptance 2 ------------------------------------------------------------------------------
@pytest.mark.slow
def test_all_eight_go_out_once_each_with_bcc_then_none_then_one_forced(stack: LocalStack) -> None:
    period = "2031-W02"
    before = len(outbox(stack))
    # When `make report` runs every kind for the period
    first = cli(stack, "--period", period)
    # Then eight messages go out, one per kind, To the owner, BCC the archive, with both parts
    assert first.returncode == 0, first.stderr
    sent = mail_for(stack, period, before)
    assert sorted(m["subject"] for m in sent) == sorted(f"{info.title} · {period}" for info in KINDS.values())
    for message in sent:
        assert message["to"] == [OWNER]
        assert message["bcc"] == [ARCHIVE]
        assert message["text"].strip() and message["html"].strip()
    # and the command printed a progress line per report and the summary table
    progress = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and all(f"{period}  sent" in line for line in progress)
    assert "8 reports: 8 sent, 0 skipped, 0 failed" in first.stderr

    # When it runs again for the same period, nothing is sent
    again = cli(stack, "--period", period)
    assert again.returncode == 0, again.stderr
    assert len(mail_for(stack, period, before)) == 8
    assert "8 reports: 0 sent, 8 skipped, 0 failed" in again.stderr

    # When the CFO report is forced alone, exactly one more goes out
    forced = cli(stack, "--period", period, "--force", "--only", "cfo")
    assert forced.returncode == 0, forced.stderr
    after = mail_for(stack, period, before)
    assert len(after) == 9
    assert after[-1]["subject"] == f"CFO report · {period}" and after[-1]["bcc"] == [ARCHIVE]
    run = get_run(report_runs(), "cfo", period)
    assert run is not None and run["sends"] == 2 and len(run["message_ids"]) == 2


# --- acceptance 3 ------------------------------------------------------------------------------
def test_throttled_sends_still_go_out_exactly_once(stack: LocalStack) -> None:
    period = "2031-W03"
    before = len(outbox(stack))
    # Given SES throttles the first three send attempts
    with ses_throttles_first(3) as seen:
        summary = run_reports(period=period, using=Collaborators(mailer=fast_sender()))
    # Then every report still goes out, each exactly once
    assert seen["throttled"] == 3
    assert summary.ok, summary.table()
    assert len(summary.of("sent")) == 8
    subjects = [m["subject"] for m in mail_for(stack, period, before)]
    assert sorted(subjects) == sorted(f"{info.title} · {period}" for info in KINDS.values())
    for kind in KINDS:
        run = get_run(report_runs(), kind, period)
        assert run is not None and run["status"] == "sent" and run["sends"] == 1


def test_throttling_beyond_the_retries_fails_that_report_only(stack: LocalStack) -> None:
    period = "2031-W04"
    before = len(outbox(stack))
    sender = fast_sender()
    sender.max_attempts = 2
    sender.base_delay = 0.01
    # Given SES throttles the first two attempts (all the retries of the first report)
    with ses_throttles_first(2):
        summary = run_reports(["ceo", "cfo"], period=period, using=Collaborators(mailer=sender))
    # Then the first report failed with a reason, and the second went out anyway
    assert [o.status for o in summary.outcomes] == ["failed", "sent"]
    assert "try again" in summary.failed[0].reason
    assert [m["subject"] for m in mail_for(stack, period, before)] == [f"CFO report · {period}"]
    # And the failed run is released: the next run sends it (and skips the one sent)
    retry = run_reports(["ceo", "cfo"], period=period, using=Collaborators(mailer=fast_sender()))
    assert [o.status for o in retry.outcomes] == ["sent", "skipped"]


# --- acceptance 4 ------------------------------------------------------------------------------
@contextmanager
def recorded_send_times() -> Iterator[list[float]]:
    """The moment each SendEmail request leaves this process (botocore's before-send event).

    That is the send time the pacer controls. moto's own arrival stamps (the outbox's
    `sent_at`) add its server's latency, which on a loaded machine varies by a tenth of a second
    between requests, more than the pacer's margin: they are checked only for order and span.
    """
    import time

    sesv2 = client("sesv2")
    times: list[float] = []

    def stamp(**_: Any) -> None:
        times.append(time.monotonic())

    sesv2.meta.events.register("before-send.sesv2.SendEmail", stamp, unique_id="test-send-times")
    try:
        yield times
    finally:
        sesv2.meta.events.unregister("before-send.sesv2.SendEmail", unique_id="test-send-times")


def test_pacing_at_two_a_second(stack: LocalStack) -> None:
    period = "2031-W05"
    before = len(outbox(stack))
    # Given the account's MaxSendRate is 2 a second
    with account_send_rate(2.0), recorded_send_times() as times:
        summary = run_reports(period=period)  # the sender reads the rate from the account
    assert summary.ok, summary.table()
    # Then the eight sends take at least 3.5 s ...
    assert len(times) == 8
    assert times[-1] - times[0] >= 3.5
    # ... and no one-second window holds more than two of them
    for first, third in zip(times, times[2:], strict=False):
        assert third - first >= 1.0, [round(t - times[0], 3) for t in times]
    # SES received the eight, in about the same span
    arrived = sorted(datetime.fromisoformat(m["sent_at"]) for m in mail_for(stack, period, before))
    assert len(arrived) == 8
    assert (arrived[-1] - arrived[0]).total_seconds() >= 3.2
    # (that it is not needlessly slower than the rate: tests/unit/test_reports_pacing.py, on a fake
    # clock, since on a loaded machine building a report can take longer than the gap)


# --- acceptance 5 ------------------------------------------------------------------------------
def test_a_malformed_file_is_refused_naming_the_key_and_nothing_is_sent(stack: LocalStack, tmp_path: Path) -> None:
    period = "2031-W06"
    before = len(outbox(stack))
    bad = tmp_path / "portfolio.toml"
    text = (ROOT / "data" / "portfolio.example.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("price = 850", 'price = "eight fifty"'), encoding="utf-8")
    # When the reports run from the malformed file
    result = cli(stack, "--period", period, "--portfolio", str(bad))
    # Then the run fails, naming the bad key, and nothing is sent or recorded
    assert result.returncode == 1
    assert "charters.price" in result.stderr
    assert "8 reports: 0 sent, 0 skipped, 8 failed" in result.stderr
    assert mail_for(stack, period, before) == []
    assert all(get_run(report_runs(), kind, period) is None for kind in KINDS)


def test_a_malformed_file_in_the_data_bucket_is_refused_too(stack: LocalStack) -> None:
    period = "2031-W07"
    settings = replace(get_settings(), portfolio_key="broken/portfolio.toml")
    text = (ROOT / "data" / "portfolio.example.toml").read_text(encoding="utf-8")
    client("s3").put_object(
        Bucket=settings.data_bucket,
        Key=settings.portfolio_key,
        Body=text.replace('status = "active"\naudience = 1850', 'status = "sometimes"\naudience = 1850').encode(),
    )
    before = len(outbox(stack))
    summary = run_reports(period=period, using=Collaborators(settings=settings, mailer=fast_sender()))
    assert not summary.ok
    assert {o.status for o in summary.outcomes} == {"failed"}
    assert "channels[1].status" in summary.failed[0].reason
    assert mail_for(stack, period, before) == []


# --- once per period: claims, crashes, failures ------------------------------------------------
def test_a_crashed_claim_is_retried_and_a_live_one_is_left_alone(stack: LocalStack) -> None:
    period = "2031-W08"
    runs = report_runs()
    now = datetime.now(UTC)
    # Given a run that claimed CEO an hour ago and died before sending
    claim_run(runs, "ceo", period, attempt="crashed", now=now - timedelta(hours=1))
    # and a run that claimed CTO a moment ago and is still sending
    claim_run(runs, "cto", period, attempt="busy", now=now)
    before = len(outbox(stack))
    summary = run_reports(["ceo", "cto"], period=period, using=Collaborators(mailer=fast_sender()))
    # Then the crashed one is sent now, and the live one is not sent twice
    assert [o.status for o in summary.outcomes] == ["sent", "skipped"]
    assert "another run is sending it" in summary.outcomes[1].reason
    assert [m["subject"] for m in mail_for(stack, period, before)] == [f"CEO report · {period}"]
    run = get_run(runs, "ceo", period)
    assert run is not None and run["status"] == "sent" and run["attempts"] == 2


class FailsFor:
    """Our MailSender, failing for one report kind (the others go through the real sender)."""

    def __init__(self, kind: str, inner: SesMailSender) -> None:
        self.kind, self.inner = kind, inner

    def send(self, email: OutgoingEmail) -> str:
        if email.kind == f"report_{self.kind}":
            raise ServiceUnavailableError("Email could not be sent; please try again.")
        return self.inner.send(email)


def test_one_failure_does_not_stop_the_others_and_the_command_says_so(stack: LocalStack) -> None:
    period = "2031-W09"
    before = len(outbox(stack))
    summary = run_reports(period=period, using=Collaborators(mailer=FailsFor("cto", fast_sender())))
    assert [o.kind for o in summary.failed] == ["cto"]
    assert summary.failed[0].reason == "Email could not be sent; please try again."
    assert len(summary.of("sent")) == 7
    assert len(mail_for(stack, period, before)) == 7
    assert "1 failed" in summary.table() and "cto" in summary.table()
    run = get_run(report_runs(), "cto", period)
    assert run is not None and run["status"] == "failed" and "lease_until" not in run


def test_an_unverified_sender_is_refused_before_anything_is_sent(stack: LocalStack) -> None:
    period = "2031-W10"
    settings = replace(get_settings(), sender_email="nobody@unverified.example")
    before = len(outbox(stack))
    summary = run_reports(
        period=period, using=Collaborators(settings=settings, mailer=SesMailSender(settings=settings))
    )
    assert {o.status for o in summary.outcomes} == {"failed"}
    assert "not verified" in summary.failed[0].reason
    assert mail_for(stack, period, before) == []
    assert get_run(report_runs(), "cfo", period) is None


# --- action items become tasks -------------------------------------------------------------------
def _cards(kind: str) -> dict[str, dict[str, Any]]:
    from quarterdeck.tasks import list_board

    columns = list_board(task_board(), completed=1000)
    return {t["id"]: t for column in columns.values() for t in column if (t["source"] or {}).get("kind") == kind}


def test_action_items_become_pending_tasks_once(stack: LocalStack) -> None:
    from quarterdeck.tasks import get_task

    period = "2031-W11"
    first = run_reports(["cfo"], period=period, using=Collaborators(mailer=fast_sender()))
    assert first.ok
    count = first.outcomes[0].tasks
    assert count > 0
    cards = _cards("cfo")
    # One card per action (whatever period other tests ran the CFO report for)
    assert len(cards) >= count
    assert len({get_task(task_board(), i).get("last_seen") or i for i in cards}) >= 1
    for task in cards.values():
        assert task["source"]["link"].startswith("#/reports?kind=cfo&period=")
        assert task["owner"] and task["due"]
    # Re-sending the report creates no duplicate and changes nothing: the same cards
    again = run_reports(["cfo"], period=period, force=True, using=Collaborators(mailer=fast_sender()))
    assert again.ok
    assert {i: t["version"] for i, t in _cards("cfo").items()} == {i: t["version"] for i, t in cards.items()}


# --- the handler and the outbox button -------------------------------------------------------------
def test_the_schedule_event_runs_through_the_handler(stack: LocalStack) -> None:
    from report_handler import ReportRunFailedError, handler

    from local.environment import LambdaContext
    from quarterdeck.reports.kinds import ReportKindNotFoundError

    period = "2031-W12"
    result = handler({"kind": "rental", "period": period}, LambdaContext())
    assert result["counts"]["sent"] == 1
    assert handler({"kind": "rental", "period": period}, LambdaContext())["counts"]["skipped"] == 1
    # An unknown kind is refused before anything runs
    with pytest.raises(ReportKindNotFoundError):
        handler({"kind": "no_such_kind"}, LambdaContext())
    # A failed report makes the invocation fail (Lambda retries it; the sent ones are skipped)
    settings_key = "missing/portfolio.toml"
    os.environ["PORTFOLIO_KEY"] = settings_key
    get_settings.cache_clear()
    try:
        with pytest.raises(ReportRunFailedError, match="does not exist"):
            handler({"kind": "cto", "period": period}, LambdaContext())
    finally:
        os.environ["PORTFOLIO_KEY"] = "portfolio.toml"
        get_settings.cache_clear()


def test_the_outbox_button_sends_reports(stack: LocalStack) -> None:
    import requests

    period = "2031-W13"
    before = len(outbox(stack))
    answer = requests.post(
        f"{stack.url}/_local/reports?only=cmo&period={period}", headers={"Accept": "application/json"}, timeout=60
    )
    assert answer.status_code == 200
    assert answer.json()["counts"]["sent"] == 1
    assert [m["subject"] for m in mail_for(stack, period, before)] == [f"CMO report · {period}"]
