"""The reports' own sources, without AWS: handoff notes parsed and surfaced (acceptance 2),
AWS figures shown or named as unavailable (acceptance 1, the report's side), recipients per
kind in the data file, and the settings that name what to read.

The sources reach the strategies through `Source(aws_reader=..., notes_reader=...)`: these
tests give it small fakes of those readers (our interface); tests/integration reads the real
ones from the local stack.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from quarterdeck.config import settings_from_env
from quarterdeck.reports import aws_figures as aws
from quarterdeck.reports.aws_figures import AwsFigures, CostFigures, FunctionFigures, ServiceCost, TableFigures, Window
from quarterdeck.reports.handoff_notes import HandoffNotes, NoteError, parse_note, parse_notes
from quarterdeck.reports.kinds import Source, build_report
from quarterdeck.reports.periods import Period, week_of
from quarterdeck.reports.portfolio import Portfolio, PortfolioError, load_portfolio_file, parse_portfolio
from quarterdeck.reports.render import render_report
from quarterdeck.reports.sources import Unavailable, reason_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "portfolio.example.toml"
TODAY = date(2026, 11, 23)  # Monday of 2026-W48
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
STALE_DAYS = 14

NOTE = """---
project: Ship Captain Crew
entity: queen
updated: 2026-11-18
---
# Ship Captain Crew

Free text the reports leave alone.

## Blockers
- Certificate of insurance needed before the Viator listing.
- None

## Decisions
- 2026-11-12: Magic links instead of passwords.
- Reports go out once per recipient,
  wrapped onto a second line.

### Next steps
1. Request SES production access.
   - then verify the domain
2. List on Sailo first.

## Risks
- Not a section the reports read.
"""

OLD_NOTE = """---
project: QuickDumpNow funnel
entity: quickdumpnow
updated: 2026-10-02
owner: CTO
---
## Blockers
- Tier selection throws on mobile Safari.
## Next
- Reproduce it.
"""


SMALL = """
schema_version = 1
[meta]
updated = 2026-11-20
[[entities]]
id = "queen"
name = "Queen of San Diego"
kind = "charters"
[[entities]]
id = "quickdumpnow"
name = "QuickDumpNow"
kind = "junk_removal"
"""


@pytest.fixture(scope="module")
def example() -> Portfolio:
    return load_portfolio_file(EXAMPLE)


def notes_of(*texts: tuple[str, str]) -> HandoffNotes:
    return parse_notes(dict(texts), TODAY, STALE_DAYS, "s3://bucket/notes/")


# --- handoff notes: parsing ----------------------------------------------------------------------
def test_a_note_gives_its_blockers_decisions_and_next_steps_with_dates() -> None:
    note = parse_note(NOTE, "notes/scc.md", TODAY, STALE_DAYS)
    assert (note.project, note.entity, note.updated, note.owner) == (
        "Ship Captain Crew",
        "queen",
        date(2026, 11, 18),
        "CEO",
    )
    # "None" is no blocker; other sections (Risks) and free text are not read
    assert [b.text for b in note.blockers] == ["Certificate of insurance needed before the Viator listing."]
    assert note.blockers[0].dated == date(2026, 11, 18)  # the note's date
    # An item's own leading date wins; a wrapped line belongs to its item
    assert [(d.text, d.dated, d.own_date) for d in note.decisions] == [
        ("Magic links instead of passwords.", date(2026, 11, 12), True),
        ("Reports go out once per recipient, wrapped onto a second line.", date(2026, 11, 18), False),
    ]
    # "Next steps" at any heading level; a sub-item joins its item
    assert [n.text for n in note.next_steps] == [
        "Request SES production access.; then verify the domain",
        "List on Sailo first.",
    ]
    assert note.age_days == 5 and not note.stale


def test_a_note_past_the_stale_age_is_stale_and_one_at_it_is_not() -> None:
    old = parse_note(OLD_NOTE, "notes/qdn.md", TODAY, STALE_DAYS)
    assert old.age_days == (TODAY - date(2026, 10, 2)).days == 52
    assert old.stale and old.owner == "CTO"
    # Exactly the stale age old: not yet stale ("older than" the setting)
    edge = NOTE.replace("updated: 2026-11-18", f"updated: {(TODAY - timedelta(days=STALE_DAYS)).isoformat()}")
    assert not parse_note(edge, "notes/edge.md", TODAY, STALE_DAYS).stale
    assert parse_note(edge, "notes/edge.md", TODAY + timedelta(days=1), STALE_DAYS).stale


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("## Blockers\n- x\n", "does not start with front matter"),
        ("---\nproject: X\nupdated: 2026-11-01\n## Blockers\n", "not closed"),
        ("---\nupdated: 2026-11-01\n---\n", "no project"),
        ("---\nproject: X\n---\n", "no updated date"),
        ("---\nproject: X\nupdated: last week\n---\n", "is not a date"),
        ("---\nproject: X\nupdatd: 2026-11-01\n---\n", "unknown front-matter key 'updatd'"),
    ],
)
def test_a_note_that_cannot_be_read_says_why(text: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_note(text, "notes/bad.md", TODAY, STALE_DAYS)


def test_one_bad_note_is_named_and_the_others_are_read() -> None:
    notes = notes_of(("notes/b.md", OLD_NOTE), ("notes/bad.md", "no front matter"), ("notes/a.md", NOTE))
    assert [n.project for n in notes.notes] == ["QuickDumpNow funnel", "Ship Captain Crew"]
    assert [p.source for p in notes.problems] == ["handoff note notes/bad.md"]
    assert [n.project for n in notes.stale] == ["QuickDumpNow funnel"]


# --- handoff notes in the CEO and CTO reports (acceptance 2) -----------------------------------
def report(kind: str, portfolio: Portfolio, notes: HandoffNotes | None = None, figures: AwsFigures | None = None):  # type: ignore[no-untyped-def]
    source = Source(
        portfolio,
        NOW,
        notes_reader=(lambda today: notes) if notes is not None else None,
        aws_reader=(lambda period, today, now, sources: figures) if figures is not None else None,
    )
    built = build_report(kind, source, week_of(TODAY), TODAY)
    return built, render_report(built, ["owner@example.com"], bcc=["archive@example.com"])


def test_a_blocker_appears_in_the_ceo_shortfalls_with_its_project_and_date(example: Portfolio) -> None:
    # Given a current note with a blocker and a stale one with another
    notes = notes_of(("notes/scc.md", NOTE), ("notes/qdn.md", OLD_NOTE))
    # When the CEO report is built
    built, email = report("ceo", example, notes)
    # Then each blocker is a shortfall, quoted with its project and date, the stale one marked
    text = email.text
    assert (
        '[high] Blocker: "Certificate of insurance needed before the Viator listing." '
        "(Queen of San Diego; owner CEO) - Ship Captain Crew handoff note, Wed Nov 18, 2026\n" in text
    )
    assert (
        '[high] Blocker: "Tier selection throws on mobile Safari." (QuickDumpNow; owner CTO) '
        "- QuickDumpNow funnel handoff note, Fri Oct 2, 2026, STALE note\n" in text
    )
    assert "Stale handoff notes (older than 14 days" in text and "QuickDumpNow funnel" in text
    html = email.html
    assert "Blocker: <q>Certificate of insurance needed before the Viator listing.</q>" in html
    assert "Ship Captain Crew handoff note, Wed Nov 18, 2026" in html
    assert "QuickDumpNow funnel handoff note, Fri Oct 2, 2026, <b>stale note</b>" in html
    assert [s.title for s in built.data["shortfalls"] if s.project] == [
        "Certificate of insurance needed before the Viator listing.",
        "Tier selection throws on mobile Safari.",
    ]


def test_a_current_blocker_is_on_the_agenda_and_a_stale_one_is_not() -> None:
    # Given a portfolio with nothing else to fix, and the two notes
    small = parse_portfolio(SMALL)
    built, _ = report("ceo", small, notes_of(("notes/scc.md", NOTE), ("notes/qdn.md", OLD_NOTE)))
    # Then the current blocker is on the 30-day agenda, owned as its note says; the stale one
    # (perhaps long gone) is not
    agenda = [(a["title"], a["owner"]) for a in built.data["agenda"]]
    assert ("Fix: Certificate of insurance needed before the Viator listing.", "CEO") in agenda
    assert not any("mobile Safari" in title for title, _ in agenda)


def test_the_cto_report_quotes_decisions_and_next_steps_and_asks_for_stale_notes(example: Portfolio) -> None:
    notes = notes_of(("notes/scc.md", NOTE), ("notes/qdn.md", OLD_NOTE))
    built, email = report("cto", example, notes)
    text = email.text
    assert "  Ship Captain Crew (Queen of San Diego): updated Wed Nov 18, 2026, 5 days ago\n" in text
    assert '    Decision: "Magic links instead of passwords." (Ship Captain Crew, Thu Nov 12, 2026)\n' in text
    assert '    Next: "List on Sailo first." (Ship Captain Crew, Wed Nov 18, 2026)\n' in text
    assert (
        "QuickDumpNow funnel (QuickDumpNow): updated Fri Oct 2, 2026, 52 days ago: STALE (older than 14 days)" in text
    )
    assert '    Next: "Reproduce it." (QuickDumpNow funnel, Fri Oct 2, 2026, stale note)\n' in text
    assert "<q>Magic links instead of passwords.</q> <small>(Ship Captain Crew, Thu Nov 12, 2026)</small>" in email.html
    assert any(a.title == "Update the stale handoff notes: QuickDumpNow funnel" for a in built.actions)


def test_notes_that_cannot_be_listed_are_named_and_the_report_still_renders(example: Portfolio) -> None:
    denied = HandoffNotes(unavailable=Unavailable("S3: handoff notes", "AccessDenied: not allowed"), stale_days=14)
    _, ceo = report("ceo", example, denied)
    assert "Blockers from the handoff notes: S3: handoff notes: unavailable: AccessDenied: not allowed" in ceo.text
    _, cto = report("cto", example, denied)
    assert "  S3: handoff notes: unavailable: AccessDenied: not allowed\n" in cto.text


def test_note_text_is_escaped_in_html(example: Portfolio) -> None:
    attack = NOTE.replace("Certificate of insurance", "<script>alert(1)</script>")
    _, email = report("ceo", example, notes_of(("notes/x.md", attack)))
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html


# --- AWS figures in the CTO and CFO reports (acceptance 1, the report's side) ---------------------
WINDOW = Window(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
COST = CostFigures(
    month="2026-11",
    last_month="2026-10",
    through=date(2026, 11, 22),
    services=(
        ServiceCost("Amazon DynamoDB", 31.20, 18.15),
        ServiceCost("AWS Lambda", 29.05, 16.40),
        ServiceCost("Amazon CloudFront", 22.25, 12.75),
    ),
    total_last_month=31.20 + 29.05 + 22.25,  # = 82.50
    total_month_to_date=18.15 + 16.40 + 12.75,  # = 47.30 over 22 days
    days_counted=22,
    days_in_month=30,
)
FIGURES = AwsFigures(
    window=WINDOW,
    functions=[
        FunctionFigures("api", "qd-prod-Api", invocations=1240, errors=3, p95_ms=412.5),
        FunctionFigures("nudges", "qd-prod-Nudges", invocations=7, errors=0, p95_ms=1850.0),
        FunctionFigures("reports", "qd-prod-Reports", invocations=0, errors=0, p95_ms=None),
    ],
    table=TableFigures("qd-prod-Table", items=18_204, size_bytes=4_630_000),
    cost=COST,
    unavailable=[Unavailable(aws.CDN, "no CloudFront distribution is configured (DISTRIBUTION_ID)")],
)
# The data file's estimate: its AWS expense lines, 44 (Ship Captain Crew) + 22 (client Lambdas).
ESTIMATE = 44 + 22  # = 66 a month
LAST_MONTH_GAP = 82.50 - ESTIMATE  # = +16.50, +25 % (over the 20 % tolerance: an action)
PROJECTED = 47.30 / 22 * 30  # = 64.50 at this pace
PROJECTED_GAP = PROJECTED - ESTIMATE  # = -1.50, -2 %


def test_the_cto_report_shows_each_function_the_table_and_the_measured_cost(example: Portfolio) -> None:
    built, email = report("cto", example, notes_of(), FIGURES)
    text = email.text
    assert "  - api (qd-prod-Api): 1,240 invocations, 3 errors (0.2%), p95 duration 412 ms\n" in text
    assert "  - nudges (qd-prod-Nudges): 7 invocations, 0 errors (0.0%), p95 duration 1,850 ms\n" in text
    assert "  - reports (qd-prod-Reports): 0 invocations, 0 errors, p95 duration none (no invocations)\n" in text
    assert "  Table qd-prod-Table: 18,204 items, 4.6 MB\n" in text
    # A source without its setting is named, with the reason
    assert (
        "  CloudWatch (us-east-1): CloudFront requests and cache hit rate: unavailable: "
        "no CloudFront distribution is configured (DISTRIBUTION_ID)\n" in text
    )
    # The measured cost against the data file's estimate, computed
    assert f"{PROJECTED:.2f}" == "64.50" and f"{LAST_MONTH_GAP:.2f}" == "16.50"
    assert (
        "  Measured (Cost Explorer): 2026-10 $82.50; 2026-11 through Sun Nov 22, 2026 $47.30 "
        "(at this pace $64.50 for the month)\n" in text
    )
    assert (
        "  Against the data file's estimate of $66.00 a month (its AWS expense lines): 2026-10 +$16.50 (+25%); "
        "2026-11 at this pace -$1.50 (-2%)\n" in text
    )
    assert built.data["cost_measured"].estimate == ESTIMATE
    assert any(a.title.startswith("AWS cost in 2026-10 ($82.50) is 25% above the estimate") for a in built.actions)
    # The HTML part carries the same figures in a table
    assert re.search(r"<td>api<br><small>qd-prod-Api</small></td><td align=\"right\">1,240</td>", email.html)
    assert "412 ms" in email.html and "18,204 items" in email.html


def test_an_unavailable_source_is_named_with_its_reason_and_the_rest_still_shows(example: Portfolio) -> None:
    denied = "AccessDenied: User: arn:aws:sts::1:assumed-role/qd-Reports is not authorized to perform: cloudwatch:*"
    figures = AwsFigures(
        window=WINDOW,
        table=FIGURES.table,
        unavailable=[
            Unavailable(aws.LAMBDA, denied),
            Unavailable(aws.LAMBDA_P95, "not read: CloudWatch: Lambda invocations and errors failed"),
            Unavailable(aws.CDN, denied),
            Unavailable(aws.COST, "DataUnavailableException: Data is not available."),
        ],
    )
    _, email = report("cto", example, notes_of(), figures)
    assert f"  CloudWatch: Lambda invocations and errors: unavailable: {denied}\n" in email.text
    assert f"  CloudWatch (us-east-1): CloudFront requests and cache hit rate: unavailable: {denied}\n" in email.text
    assert (
        "  Cost Explorer: cost by service: unavailable: DataUnavailableException: Data is not available.\n"
        in email.text
    )
    assert "  Table qd-prod-Table: 18,204 items, 4.6 MB\n" in email.text
    assert "<b>CloudWatch: Lambda invocations and errors: unavailable.</b>" in email.html
    _, cfo = report("cfo", example, notes_of(), figures)
    assert (
        "  Cost Explorer: cost by service: unavailable: DataUnavailableException: Data is not available.\n" in cfo.text
    )


def test_the_cfo_report_lists_the_cost_by_service(example: Portfolio) -> None:
    asked: list[tuple[str, ...]] = []

    def reader(period: Period, today: date, now: datetime, sources: tuple[str, ...]) -> AwsFigures:
        asked.append(sources)
        return FIGURES

    built = build_report(
        "cfo", Source(example, NOW, aws_reader=reader, notes_reader=lambda t: notes_of()), week_of(TODAY), TODAY
    )
    email = render_report(built, ["owner@example.com"])
    # The CFO asks for the cost alone (a scheduled CFO run reads no CloudWatch figures)
    assert asked == [(aws.COST,)]
    assert "  - Amazon DynamoDB: $31.20 in 2026-10; $18.15 in 2026-11 so far\n" in email.text
    assert (
        "  Total: $82.50 in 2026-10; $47.30 in 2026-11 through Sun Nov 22, 2026 (at this pace $64.50)\n" in email.text
    )
    assert '<td>Amazon CloudFront</td><td align="right">$22.25</td><td align="right">$12.75</td>' in email.html


def test_one_read_of_every_source_serves_both_reports_of_a_run(example: Portfolio) -> None:
    calls: list[tuple[str, ...]] = []

    def reader(period: Period, today: date, now: datetime, sources: tuple[str, ...]) -> AwsFigures:
        calls.append(sources)
        return FIGURES

    source = Source(example, NOW, aws_reader=reader, notes_reader=lambda t: notes_of())
    build_report("cto", source, week_of(TODAY), TODAY)
    build_report("cfo", source, week_of(TODAY), TODAY)
    assert calls == [aws.SOURCES]


def test_without_settings_or_readers_the_sources_say_they_were_not_read(example: Portfolio) -> None:
    _, email = report("cto", example)
    assert (
        "CloudWatch: Lambda invocations and errors: unavailable: no AWS settings were given to this run" in email.text
    )
    assert "S3: handoff notes: unavailable: no data bucket settings were given to this run" in email.text


# --- the pieces of the AWS reader that need no AWS ----------------------------------------------
def test_the_window_is_the_period_in_san_diego_days_up_to_now() -> None:
    settings = settings_from_env({})
    week = week_of(TODAY)  # Mon Nov 23 - Sun Nov 29
    window = aws.window_for(week, NOW, settings)
    assert window is not None
    assert window.start == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # midnight PST
    assert window.end == NOW
    assert window.metric_period == 7 * 3600  # 7 h, in whole hours
    past = aws.window_for(week_of(date(2026, 11, 16)), NOW, settings)
    assert past is not None and past.seconds == 7 * 86400 and past.metric_period == 7 * 86400
    assert aws.window_for(week_of(date(2031, 1, 6)), NOW, settings) is None


def test_projected_month_is_the_pace_so_far() -> None:
    assert COST.projected_month == pytest.approx(PROJECTED)
    assert CostFigures("2026-12", "2026-11", date(2026, 11, 30), (), 80.0, None, 0, 31).projected_month is None


def test_a_refusal_becomes_a_short_reason() -> None:
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform: ce:GetCostAndUsage"}},
        "GetCostAndUsage",
    )
    assert reason_of(denied) == "AccessDeniedException: not authorized to perform: ce:GetCostAndUsage"
    page = "<!doctype html><html><title>500 Internal Server Error</title><h1>Internal Server Error</h1></html>"
    crashed = ClientError({"Error": {"Code": "500", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "X")
    assert reason_of(crashed).startswith("500 Internal Server Error")
    assert "<" not in reason_of(crashed)
    assert reason_of(TimeoutError("read timed out")) == "TimeoutError: read timed out"


def test_function_names_come_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "FUNCTION_NAMES": "api=qd-Api-1, nudges=qd-Nudges-2,reports=$AWS_LAMBDA_FUNCTION_NAME,empty=",
            "AWS_LAMBDA_FUNCTION_NAME": "qd-Reports-3",
            "DISTRIBUTION_ID": "E2ABC",
            "NOTE_STALE_DAYS": "21",
        }
    )
    assert settings.monitored_functions == (("api", "qd-Api-1"), ("nudges", "qd-Nudges-2"), ("reports", "qd-Reports-3"))
    assert (settings.distribution_id, settings.note_stale_days, settings.notes_prefix) == ("E2ABC", 21, "notes/")
    # Outside Lambda (the API's preview, the command line) the own-name entry is left out
    assert settings_from_env({"FUNCTION_NAMES": "reports=$AWS_LAMBDA_FUNCTION_NAME"}).monitored_functions == ()


# --- recipients per kind ------------------------------------------------------------------------
def test_recipients_default_to_the_owner_and_owner_resolves_to_the_address(example: Portfolio) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    portfolio = parse_portfolio(text.replace('cfo = ["owner"]', 'cfo = ["owner", "Books@Example.com"]'))
    assert portfolio.recipients_for("cfo", "owner@qd.example") == ["owner@qd.example", "books@example.com"]
    assert portfolio.recipients_for("rental", "owner@qd.example") == ["owner@qd.example"]  # not listed
    assert example.recipients_for("ceo", "owner@qd.example") == ["owner@qd.example"]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('cfo = ["owner", "not an address"]', "recipients.cfo[1]"),
        ('cfo = ["a@b.example", "A@B.example"]', "recipients.cfo[1]"),
        ('cfo = ["a@b.example\\r\\nBcc: x@y.example"]', "recipients.cfo[0]"),
        ("cfo = []", "recipients.cfo"),
        ('cfx = ["owner"]', "recipients.cfx"),
    ],
)
def test_a_bad_recipient_is_refused_naming_its_key(line: str, key: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('cfo = ["owner"]', line)
    with pytest.raises(PortfolioError) as refused:
        parse_portfolio(text)
    assert refused.value.field == key
