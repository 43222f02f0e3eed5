"""What the reports page reads and does: each kind with its last run, a preview rendered as
it would be sent, and send-now (handed to ReportFunction). Running a dispatch is
quarterdeck.reports.dispatch."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.reports import KINDS, ReportKindNotFoundError
from quarterdeck.reports.dispatch import (
    ReportAlreadySentError,
    default_period,
    local_today,
    prepare,
    render,
    selected_kinds,
)
from quarterdeck.reports.periods import Period, month_of, parse_period, week_of
from quarterdeck.reports.runs import last_runs, sent_runs, why_all_skipped
from quarterdeck.reports.send_queue import ReportSendQueue, SendRequest
from quarterdeck.repositories.reports import ReportRunRepository

if TYPE_CHECKING:
    from quarterdeck.reports.kinds import LiveReader
    from quarterdeck.reports.portfolio import Portfolio

QUEUED = "queued"  # send-now: handed to ReportFunction
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report's action items may fall due (quarterdeck.tasks)


def list_reports(
    runs: ReportRunRepository, *, settings: Settings | None = None, clock: Clock = system_clock
) -> list[dict[str, Any]]:
    """Each kind with its schedule, the period it would cover now, and its last run (every
    kind's last run from its summary item: one Query in all)."""
    settings = settings or get_settings()
    today = local_today(settings, clock)
    latest = last_runs(runs)
    return [
        {
            "kind": info.kind,
            "title": info.title,
            "cadence": info.cadence,
            "schedule": info.schedule,
            "period": default_period(info.kind, today).label,
            "last_run": latest.get(info.kind),
        }
        for info in KINDS.values()
    ]


def _aws_figures_not_previewed(period: Period, today: date, now: datetime, sources: tuple[str, ...]) -> Any:
    from quarterdeck.reports.aws_figures import not_read

    return not_read("read when the report is sent, not in a preview", sources)


def period_holding(kind: str, text: str, today: date) -> Period:
    """`2026-W48`, `2026-11`, or any day (`2026-11-25`): for a day, the kind's own period that
    holds it (its week, or its month for a monthly kind), so "the week of …" can be previewed."""
    if len(text) == 10:
        from quarterdeck.validation import calendar_date

        day = calendar_date(text, "period", today=today)
        return month_of(day) if KINDS[kind].cadence == "monthly" else week_of(day)
    return parse_period(text)


def preview_report(
    kind: str,
    *,
    period: str | None = None,
    portfolio: Portfolio | None = None,
    live: LiveReader | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """The report rendered, as it would be sent now; sends nothing, files nothing."""
    settings = settings or get_settings()
    (chosen,) = selected_kinds([kind])
    today = local_today(settings, clock)
    the_period = period_holding(chosen, period, today) if period else default_period(chosen, today)
    from quarterdeck.reports.kinds import Source
    from quarterdeck.reports.portfolio import load_portfolio

    data = portfolio or load_portfolio(settings=settings)
    # A preview reads no CloudWatch or Cost Explorer figures: the API is not granted them, and
    # each Cost Explorer call is billed; the report names them as read when it is sent.
    if live is None:
        from quarterdeck.reports.wiring import TableLiveFigures

        live = TableLiveFigures()
    source = Source(
        portfolio=data, now=clock(), live_reader=live, settings=settings, aws_reader=_aws_figures_not_previewed
    )
    report = prepare(chosen, source, the_period, today)
    email = render(report, settings, archive=True, to=data.recipients_for(chosen, settings.owner_email))
    return {
        "kind": chosen,
        "period": the_period.label,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "to": list(email.to),
        "bcc": list(email.bcc),
        "missing": [{"what": m.what, "key": m.key} for m in report.missing],
        "actions": [
            {"title": a.title, "owner": a.owner, "due": a.due.isoformat(), "section": a.section} for a in report.actions
        ],
    }


def queue_report_send(
    kind: str,
    runs: ReportRunRepository,
    queue: ReportSendQueue,
    *,
    requested_by: str,
    force: bool = False,
    period: str | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Send one report now (the page's button): hand it to ReportFunction and answer at once.

    Already sent for the period (and not forced): ReportAlreadySentError (409), from one
    consistent Query of the period's runs. ReportFunction's claim stays the authority: a report
    sent meanwhile is skipped there, never sent twice. Could not be handed over: the queue's
    ServiceUnavailableError (503), nothing claimed."""
    settings = settings or get_settings()
    chosen = selected_kinds([kind])
    if len(chosen) != 1:
        raise ReportKindNotFoundError(f"Name one report kind; the kinds are: {', '.join(KINDS)}.", field="kind")
    the_kind = chosen[0]
    the_period = parse_period(period) if period else default_period(the_kind, local_today(settings, clock))
    if not FIRST_YEAR <= the_period.start.year <= LAST_YEAR:  # refused here, not in ReportFunction later
        raise InvalidInputError(f"Reports cover periods from {FIRST_YEAR} to {LAST_YEAR}.", field="period")
    title = KINDS[the_kind].title
    if not force:
        done = sent_runs(runs, [(the_kind, the_period.label)], clock())
        if done:
            reason = why_all_skipped(done[(the_kind, the_period.label)], clock())
            raise ReportAlreadySentError(f"The {title} for {the_period.label} was not sent: {reason}.")
    queue.submit(SendRequest(the_kind, the_period.label, force=force, requested_by=requested_by))
    return {"status": QUEUED, "kind": the_kind, "title": title, "period": the_period.label, "force": force}
