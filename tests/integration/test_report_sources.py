"""The reports read their real sources on the local stack: moto's CloudWatch (demo metrics
seeded by local/seed_report_sources.py), DynamoDB's DescribeTable, Cost Explorer, the handoff
notes in the data bucket; and a kind with two recipients goes out as two messages.

Faults are injected on the real boto3 clients through botocore's event system (never by
replacing our classes). moto computes no percentiles (its GetMetricData fails with HTTP 500
on `p95`): one test shows the report saying so; another answers the p95 query as CloudWatch
would, so the p95 column can be checked. Each test uses periods of its own (past weeks for
figures, `2031-W3x` for sends), so records and bound emulator answers never cross tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from local.environment import ARCHIVE, DISTRIBUTION_ID, FUNCTION_NAMES, OWNER, TABLE_NAME
from local.seed_report_sources import put_metrics
from local.stack import LocalStack
from quarterdeck.clients import client
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail, SesMailSender
from quarterdeck.reports.aws_figures import source_client
from quarterdeck.reports.dispatch import Collaborators, Summary, run_reports
from quarterdeck.reports.periods import Period, week_of
from quarterdeck.reports.portfolio import Portfolio, parse_portfolio
from quarterdeck.reports.runs import get_run, last_run, period_runs
from quarterdeck.reports.sending import report_sender
from quarterdeck.reports.wiring import report_runs
from tests.conftest import outbox

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "portfolio.example.toml"
MARKETING = "marketing@queenofsandiego.example"


# --- helpers ---------------------------------------------------------------------------------------
def local_today(settings: Settings) -> date:
    return datetime.now(settings.timezone).date()


def weeks_ago(weeks: int) -> Period:
    return week_of(local_today(get_settings()) - timedelta(weeks=weeks))


def rendered(kinds: list[str], period: Period, settings: Settings | None = None) -> dict[str, tuple[str, str]]:
    """Each kind rendered for the period (dry run: nothing sent or recorded): {kind: (text, html)}."""
    out: dict[str, tuple[str, str]] = {}
    summary = run_reports(
        kinds,
        period=period.label,
        dry_run=True,
        using=Collaborators(
            settings=settings, render_out=lambda report, text, html: out.__setitem__(report.kind, (text, html))
        ),
    )
    assert summary.ok, summary.table()
    return out


def mail_for(stack: LocalStack, subject: str, before: int) -> list[dict[str, Any]]:
    return [m for m in outbox(stack)[before:] if m["subject"] == subject]


def with_recipients(line: str) -> Portfolio:
    """The example portfolio with one more `[recipients]` line."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return parse_portfolio(text.replace('cfo = ["owner"]', f'cfo = ["owner"]\n{line}'))


def error_answer(code: str, message: str, status: int = 400) -> Any:
    from botocore.awsrequest import AWSResponse

    body = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("https://monitoring.us-east-1.amazonaws.com", status, {}, None), body


@contextmanager
def answering(clients: list[Any], event: str, handler: Callable[..., Any]) -> Iterator[None]:
    """`handler` answers `event` on these real clients (botocore's before-call) while inside."""
    unique = f"test-{uuid.uuid4().hex}"
    for c in clients:
        c.meta.events.register(event, handler, unique_id=unique)
    try:
        yield
    finally:
        for c in clients:
            c.meta.events.unregister(event, unique_id=unique)


def denied(service: str, action: str) -> Callable[..., Any]:
    def refuse(**_: Any) -> Any:
        return error_answer(
            "AccessDenied",
            f"User: arn:aws:sts::123456789012:assumed-role/qd-ReportFunctionRole/qd-reports "
            f"is not authorized to perform: {service}:{action}",
        )

    return refuse


def seed_function_metrics(functions: dict[str, tuple[int, int]], at: datetime) -> None:
    """Invocations and Errors for each function name, in three data points around `at`."""
    data = []
    for name, (invocations, errors) in functions.items():
        dims = [{"Name": "FunctionName", "Value": name}]
        for n, share in enumerate((0.5, 0.3, 0.2)):
            stamp = at + timedelta(hours=n)
            data.append(
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": stamp, "Value": invocations * share}
            )
            data.append({"MetricName": "Errors", "Dimensions": dims, "Timestamp": stamp, "Value": errors * share})
            data.append({"MetricName": "Duration", "Dimensions": dims, "Timestamp": stamp, "Value": 100.0 + n})
    put_metrics({"AWS/Lambda": data})


# --- acceptance 1: AWS figures in the CTO report -------------------------------------------------------
def test_demo_metrics_show_in_the_cto_report_with_their_p95_in_the_local_stack(stack: LocalStack) -> None:
    # Given the local stack's demo metrics (seeded over the last eight days)
    period = weeks_ago(1)  # last week: fully behind us, fully seeded
    # When the CTO report is built for last week
    text, html = rendered(["cto"], period)["cto"]
    # Then each local function shows its invocations and errors
    for label, name in FUNCTION_NAMES.items():
        line = re.search(rf"  - {label} \({re.escape(name)}\): ([\d,]+) invocations?, ([\d,]+) errors?", text)
        assert line, f"no line for {label} in:\n{text}"
    api = re.search(r"  - api \(quarterdeck-local-api\): ([\d,]+) invocations", text)
    assert api and int(api.group(1).replace(",", "")) > 0
    # and the table its item count (moto keeps no size: DynamoDB's own lag is said)
    table = re.search(rf"  Table {TABLE_NAME}: ([\d,]+) items?, ", text)
    assert table and int(table.group(1).replace(",", "")) > 0
    # and CloudFront its requests and cache hit rate
    assert re.search(rf"  CloudFront {DISTRIBUTION_ID}: [\d,]+ requests, cache hit rate \d+%", text)
    # and its p95 duration (the local stack computes percentiles: local/moto_percentiles.py)
    assert re.search(
        r"  - api \(quarterdeck-local-api\): [\d,]+ invocations?, [\d,]+ errors? \([\d.]+%\), p95 duration [\d,]+ ms",
        text,
    ), text
    assert "p95 duration unavailable" not in text
    assert "CloudWatch: Lambda duration p95: unavailable" not in text and "duration p95: unavailable" not in html


def test_each_function_shows_its_invocations_errors_and_p95_and_the_table_its_size(stack: LocalStack) -> None:
    # Given two functions with known figures in a week four weeks ago
    period = weeks_ago(4)
    settings = get_settings()
    start = datetime.combine(period.start, time(0), settings.timezone).astimezone(UTC)
    api, nudges = f"it-api-{uuid.uuid4().hex[:8]}", f"it-nudges-{uuid.uuid4().hex[:8]}"
    seed_function_metrics({api: (1240, 6), nudges: (10, 0)}, start + timedelta(days=2))
    mine = replace(settings, monitored_functions=(("api", api), ("nudges", nudges)))
    # and CloudWatch's p95 for each (answered as CloudWatch would: moto cannot compute it)
    p95 = {api: 412.0, nudges: 1850.0}
    asked: list[list[str]] = []

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["asked"] = params  # before-call sees the serialised request; keep the API's view

    def percentiles(context: dict[str, Any], **_: Any) -> Any:
        params = context["asked"]
        queries = params["MetricDataQueries"]
        if not any(q["MetricStat"]["Stat"] == "p95" for q in queries):
            return None  # the sums go to moto
        asked.append([q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in queries])
        results = [
            {
                "Id": q["Id"],
                "Label": "Duration p95",
                "Timestamps": [params["StartTime"]],
                "Values": [p95[q["MetricStat"]["Metric"]["Dimensions"][0]["Value"]]],
                "StatusCode": "Complete",
            }
            for q in queries
        ]
        from botocore.awsrequest import AWSResponse

        return AWSResponse("https://monitoring.us-east-1.amazonaws.com", 200, {}, None), {
            "MetricDataResults": results,
            "Messages": [],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    items = client("dynamodb").describe_table(TableName=TABLE_NAME)["Table"]["ItemCount"]
    # When the CTO report is built for that week
    cloudwatch = [source_client("cloudwatch")]
    with (
        answering(cloudwatch, "before-parameter-build.cloudwatch.GetMetricData", keep_params),
        answering(cloudwatch, "before-call.cloudwatch.GetMetricData", percentiles),
    ):
        text, html = rendered(["cto"], period, settings=mine)["cto"]
    # Then each function's invocations, errors (rate) and p95 are in the report
    assert asked == [[api, nudges]]  # one p95 query per function, in one call
    assert f"  - api ({api}): 1,240 invocations, 6 errors (0.5%), p95 duration 412 ms\n" in text
    assert f"  - nudges ({nudges}): 10 invocations, 0 errors (0.0%), p95 duration 1,850 ms\n" in text
    assert "CloudWatch: Lambda duration p95: unavailable" not in text
    # and the table's size (its item count; moto reports 0 bytes, and the report says why)
    found = re.search(rf"  Table {TABLE_NAME}: ([\d,]+) items, 0 bytes\n", text)
    assert found and int(found.group(1).replace(",", "")) >= items
    assert "(DynamoDB refreshes a table's size about every six hours; it reports none yet.)" in text
    assert f"<td>api<br><small>{api}</small></td>" in html and "412 ms" in html


def test_with_cloudwatch_denied_the_report_names_the_source_and_still_sends(stack: LocalStack) -> None:
    # Given CloudWatch refuses GetMetricData (AccessDenied), in every region the report reads it
    period = weeks_ago(6)
    cloudwatch = [source_client("cloudwatch"), source_client("cloudwatch", "us-east-1")]
    before = len(outbox(stack))
    # When the CTO report is sent
    with answering(cloudwatch, "before-call.cloudwatch.GetMetricData", denied("cloudwatch", "GetMetricData")):
        summary = run_reports(["cto"], period=period.label, using=Collaborators(mailer=report_sender(rate=50)))
    # Then it went out, once, To the owner and BCC the archive
    assert summary.ok and [o.status for o in summary.outcomes] == ["sent"], summary.table()
    (message,) = mail_for(stack, f"CTO report · {period.label}", before)
    assert (message["to"], message["bcc"]) == ([OWNER], [ARCHIVE])
    # and it says which sources were unavailable, and why
    refusal = "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/qd-ReportFunctionRole/qd-reports"
    text = message["text"]
    assert f"  CloudWatch: Lambda invocations and errors: unavailable: {refusal}" in text
    assert "is not authorized to perform: cloudwatch:GetMetricData" in text
    assert f"  CloudWatch (us-east-1): CloudFront requests and cache hit rate: unavailable: {refusal}" in text
    assert "<b>CloudWatch: Lambda invocations and errors: unavailable.</b>" in message["html"]
    # while the sources it may read still show
    assert re.search(rf"  Table {TABLE_NAME}: [\d,]+ items", text)
    run = get_run(report_runs(), "cto", period.label)
    assert run is not None and run["status"] == "sent" and run["message_id"] == message["id"]


def test_cost_explorer_figures_in_the_cfo_report_and_against_the_estimate_in_the_cto(stack: LocalStack) -> None:
    # Given Cost Explorer's answer for last month and this month so far (moto returns what it
    # is given for the next query: its documented way to stand in for real billing data)
    period = weeks_ago(2)
    as_of = period.end
    this = as_of.replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)

    def month(start: date, costs: dict[str, str]) -> dict[str, Any]:
        return {
            "TimePeriod": {"Start": start.isoformat(), "End": ""},
            "Total": {},
            "Groups": [
                {"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                for name, amount in costs.items()
            ],
            "Estimated": False,
        }

    answer = {
        "ResultsByTime": [
            month(
                last, {"Amazon DynamoDB": "31.20", "AWS Lambda": "29.05", "Amazon CloudFront": "22.25", "Tax": "0.001"}
            ),
            month(this, {"Amazon DynamoDB": "9.10", "AWS Lambda": "8.00"}),
        ],
        "DimensionValueAttributes": [],
    }
    queued = requests.post(
        f"{stack.moto_url}/moto-api/static/ce/cost-and-usage-results", json={"results": [answer]}, timeout=10
    )
    assert queued.status_code == 201
    # When the CTO and CFO reports are built for a week two weeks ago
    reports = rendered(["cto", "cfo"], period)
    # Then the CFO report lists each service (less than half a cent is left out) and the totals
    cfo = reports["cfo"][0]
    assert f"  - Amazon DynamoDB: $31.20 in {last:%Y-%m}; $9.10 in {this:%Y-%m} so far\n" in cfo
    assert f"  - Amazon CloudFront: $22.25 in {last:%Y-%m}; $0.00 in {this:%Y-%m} so far\n" in cfo
    assert "Tax" not in cfo
    assert f"  Total: $82.50 in {last:%Y-%m}; $17.10 in {this:%Y-%m} through" in cfo
    # and the CTO report compares last month with the data file's estimate: 44 + 22 = $66 a
    # month of AWS expense lines; 82.50 - 66 = +16.50, +25 %
    cto = reports["cto"][0]
    assert f"  Measured (Cost Explorer): {last:%Y-%m} $82.50;" in cto
    assert (
        f"  Against the data file's estimate of $66.00 a month (its AWS expense lines): {last:%Y-%m} +$16.50 (+25%)"
        in cto
    )


# --- acceptance 2: handoff notes from the data bucket --------------------------------------------------
def put_note(settings: Settings, name: str, text: str) -> None:
    client("s3").put_object(Bucket=settings.data_bucket, Key=f"{settings.notes_prefix}{name}", Body=text.encode())


def test_a_note_in_the_bucket_puts_its_blocker_in_the_ceo_report_and_an_old_one_is_stale(stack: LocalStack) -> None:
    settings = replace(get_settings(), notes_prefix=f"notes-it-{uuid.uuid4().hex[:8]}/")
    today = local_today(settings)
    fresh, old = today - timedelta(days=2), today - timedelta(days=settings.note_stale_days + 1)
    # Given a current note with a blocker, a note past the stale age, and one that is not a note
    put_note(
        settings,
        "ship-captain-crew.md",
        f"---\nproject: Ship Captain Crew\nentity: queen\nupdated: {fresh.isoformat()}\n---\n"
        "## Blockers\n- Certificate of insurance before the Viator listing.\n"
        "## Decisions\n- 2026-11-12: Magic links for the crew.\n## Next\n- Ask SES for production access.\n",
    )
    put_note(
        settings,
        "quickdumpnow.md",
        f"---\nproject: QuickDumpNow funnel\nentity: quickdumpnow\nupdated: {old.isoformat()}\nowner: CTO\n---\n"
        "## Blockers\n- Tier selection throws on mobile Safari.\n",
    )
    put_note(settings, "scratch.md", "just some text")
    put_note(settings, "readme.txt", "not markdown: not read")
    # When the CEO and CTO reports are built for this week
    reports = rendered(["ceo", "cto"], week_of(today), settings=settings)
    ceo, ceo_html = reports["ceo"]
    # Then the blocker is a shortfall, quoted with its project and date
    assert (
        '  - [high] Blocker: "Certificate of insurance before the Viator listing." (Queen of San Diego; owner CEO) '
        f"- Ship Captain Crew handoff note, {fresh:%a} {fresh:%b} {fresh.day}, {fresh.year}\n" in ceo
    )
    # and the old note's blocker is marked stale
    assert (
        '  - [high] Blocker: "Tier selection throws on mobile Safari." (QuickDumpNow; owner CTO) '
        f"- QuickDumpNow funnel handoff note, {old:%a} {old:%b} {old.day}, {old.year}, STALE note\n" in ceo
    )
    assert "<q>Certificate of insurance before the Viator listing.</q>" in ceo_html
    # and the file that is not a note is named with the reason; the .txt is not read at all
    assert (
        f"  handoff note {settings.notes_prefix}scratch.md could not be read: it does not start with front matter"
        in ceo
    )
    assert "readme.txt" not in ceo
    # The CTO report quotes the decisions and next steps, each with project and date
    cto = reports["cto"][0]
    assert '    Decision: "Magic links for the crew." (Ship Captain Crew, Thu Nov 12, 2026)\n' in cto
    written = f"{fresh:%a} {fresh:%b} {fresh.day}, {fresh.year}"
    assert f'    Next: "Ask SES for production access." (Ship Captain Crew, {written})\n' in cto
    assert "QuickDumpNow funnel (QuickDumpNow): updated" in cto and "STALE (older than 14 days)" in cto


def test_with_the_notes_unlistable_the_ceo_report_says_so_and_still_sends(stack: LocalStack) -> None:
    period = Period("2031-W32", date(2031, 8, 4), date(2031, 8, 10))
    before = len(outbox(stack))
    with answering([source_client("s3")], "before-call.s3.ListObjectsV2", denied("s3", "ListBucket")):
        summary = run_reports(["ceo"], period=period.label, using=Collaborators(mailer=report_sender(rate=50)))
    assert [o.status for o in summary.outcomes] == ["sent"], summary.table()
    (message,) = mail_for(stack, f"CEO report · {period.label}", before)
    assert "  Blockers from the handoff notes: S3: handoff notes: unavailable: AccessDenied: User:" in message["text"]
    assert "is not authorized to perform: s3:ListBucket" in message["text"]


# --- acceptance 3: a kind with two recipients ---------------------------------------------------------
def test_two_recipients_get_two_messages_each_recorded_and_a_rerun_sends_neither(stack: LocalStack) -> None:
    # Given the CMO report goes to the owner and to marketing
    portfolio = with_recipients(f'cmo = ["owner", "{MARKETING}"]')
    period = "2031-W30"
    subject = f"CMO report · {period}"
    before = len(outbox(stack))
    # When it is sent
    first = run_reports(["cmo"], period=period, portfolio=portfolio, using=Collaborators(mailer=report_sender(rate=50)))
    # Then two messages go out, one To each recipient, each BCC the archive
    assert first.ok and [o.status for o in first.outcomes] == ["sent"], first.table()
    sent = mail_for(stack, subject, before)
    assert sorted(m["to"][0] for m in sent) == sorted([OWNER, MARKETING]) and len(sent) == 2
    assert all(len(m["to"]) == 1 and m["bcc"] == [ARCHIVE] for m in sent)
    # and each is recorded with its own MessageId (the one SES gave that message)
    runs = report_runs()
    ids = {m["to"][0]: m["id"] for m in sent}
    for recipient in (OWNER, MARKETING):
        run = get_run(runs, "cmo", period, recipient)
        assert run is not None and run["status"] == "sent" and run["recipient"] == recipient
        assert run["message_id"] == ids[recipient]
        assert run["recipients"] == [recipient, ARCHIVE]
    assert ids[OWNER] != ids[MARKETING]
    (outcome,) = first.outcomes
    assert sorted(outcome.message_ids) == sorted(ids.values()) and "MessageIds" in first.table()
    # and the page's last run lists both deliveries
    latest = last_run(runs, "cmo")
    assert latest is not None and latest["period"] == period
    assert {(d["recipient"], d["message_id"]) for d in latest["deliveries"]} == set(ids.items())
    # When it runs again for the period, nothing is sent to either
    again = run_reports(["cmo"], period=period, portfolio=portfolio, using=Collaborators(mailer=report_sender(rate=50)))
    assert [o.status for o in again.outcomes] == ["skipped"]
    assert OWNER in again.outcomes[0].reason and MARKETING in again.outcomes[0].reason
    assert len(mail_for(stack, subject, before)) == 2
    assert [int(r["sends"]) for r in period_runs(runs, "cmo", period)] == [1, 1]


class FailsTo:
    """Our MailSender, failing for one address (the others go through the real sender)."""

    def __init__(self, address: str, inner: SesMailSender) -> None:
        self.address, self.inner = address, inner

    def send(self, email: OutgoingEmail) -> str:
        if self.address in email.to:
            raise ServiceUnavailableError("Email could not be sent; please try again.")
        return self.inner.send(email)


def test_a_failed_delivery_is_retried_for_that_recipient_alone(stack: LocalStack) -> None:
    portfolio = with_recipients(f'cmo = ["owner", "{MARKETING}"]')
    period = "2031-W31"
    subject = f"CMO report · {period}"
    before = len(outbox(stack))
    # Given the send to marketing fails
    first: Summary = run_reports(
        ["cmo"],
        period=period,
        portfolio=portfolio,
        using=Collaborators(mailer=FailsTo(MARKETING, report_sender(rate=50))),
    )
    # Then the owner has it, the run says which recipient failed, and the handler would retry
    (outcome,) = first.outcomes
    assert outcome.status == "failed" and not first.ok
    assert outcome.reason == f"to {MARKETING}: Email could not be sent; please try again."
    assert [m["to"] for m in mail_for(stack, subject, before)] == [[OWNER]]
    failed = get_run(report_runs(), "cmo", period, MARKETING)
    assert failed is not None and failed["status"] == "failed" and "lease_until" not in failed
    # When it runs again, only marketing gets it: the owner is not sent it twice
    retry = run_reports(["cmo"], period=period, portfolio=portfolio, using=Collaborators(mailer=report_sender(rate=50)))
    assert [o.status for o in retry.outcomes] == ["sent"] and retry.outcomes[0].recipients == [MARKETING]
    assert sorted(m["to"][0] for m in mail_for(stack, subject, before)) == sorted([OWNER, MARKETING])


@pytest.mark.parametrize("kind", ["rental"])
def test_a_kind_not_listed_goes_to_the_owner_alone(stack: LocalStack, kind: str) -> None:
    period = "2031-07"
    before = len(outbox(stack))
    summary = run_reports(
        [kind], period=period, portfolio=with_recipients(""), using=Collaborators(mailer=report_sender(rate=50))
    )
    assert summary.ok, summary.table()
    assert [m["to"] for m in mail_for(stack, f"Rental property report (3028 51st St) · {period}", before)] == [[OWNER]]
