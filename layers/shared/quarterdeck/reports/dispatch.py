"""Dispatch: build each report, send it once per (kind, period, recipient), file its action items.
(What the reports page reads, previews and queues is quarterdeck.reports.reports_page.)

One message per recipient of a report (the kind's `recipients` in the portfolio file, the
owner by default), each BCC the archive address, each with its own MessageId and run record,
from the verified sender (checked before the first send). A failure of one report (or of
one recipient) does not stop the others; the run ends with a summary of what was sent,
skipped and failed (with reasons).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, new_id, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConfigurationError, ConflictError, QuarterdeckError
from quarterdeck.mail import MailSender
from quarterdeck.observability import logger
from quarterdeck.reports import KINDS, ReportKindNotFoundError
from quarterdeck.reports.periods import Period, parse_period, previous_month, week_of
from quarterdeck.reports.runs import (
    Claim,
    RunNotClaimed,
    claim_run,
    mark_failed,
    mark_sent,
    record_refusal,
    sent_runs,
    why_all_skipped,
)
from quarterdeck.repositories.reports import ReportRunRepository
from quarterdeck.repositories.tasks import TaskRepository

if TYPE_CHECKING:  # the strategies, pydantic and jinja2 load only when a report is built
    from quarterdeck.reports.kinds import LiveReader, Source
    from quarterdeck.reports.model import Report
    from quarterdeck.reports.portfolio import Portfolio
    from quarterdeck.repositories.report_archive import ReportArchiveRepository

SENT, SKIPPED, FAILED, RENDERED = "sent", "skipped", "failed", "rendered"


class ReportAlreadySentError(ConflictError):
    code = "report_already_sent"


@dataclass
class Outcome:
    kind: str
    period: str
    status: str
    message_id: str | None = None
    reason: str = ""
    seconds: float = 0.0
    tasks: int = 0
    subject: str = ""
    error: Exception | None = field(default=None, repr=False, compare=False)
    message_ids: list[str] = field(default_factory=list)  # one per recipient sent to this time
    recipients: list[str] = field(default_factory=list)  # the recipients sent to this time

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "period": self.period,
            "status": self.status,
            "message_id": self.message_id,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "tasks": self.tasks,
            "subject": self.subject,
            "message_ids": list(self.message_ids),
            "recipients": list(self.recipients),
        }

    @property
    def detail(self) -> str:
        """MessageId(s) of what was sent, else the reason (both when some recipients failed)."""
        if len(self.message_ids) > 1:
            sent = "MessageIds " + ", ".join(self.message_ids)
        else:
            sent = f"MessageId {self.message_id}" if self.message_id else ""
        if sent and self.status == FAILED:
            return f"{sent}; {self.reason}"
        return sent or self.reason


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[Outcome]:
        return self.of(FAILED)

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {status: len(self.of(status)) for status in (SENT, SKIPPED, FAILED, RENDERED)}

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(), "reports": [o.as_dict() for o in self.outcomes]}

    def table(self) -> str:
        rows = [("kind", "period", "status", "detail")]
        for o in self.outcomes:
            detail = o.detail
            rows.append((o.kind, o.period, o.status, detail))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]
        lines.insert(1, "-" * max(len(line) for line in lines))
        counts = self.counts()
        total = len(self.outcomes)
        parts = [f"{counts[s]} {s}" for s in (SENT, SKIPPED, FAILED, RENDERED) if counts[s] or s != RENDERED]
        lines.append(f"{total} report{'s' if total != 1 else ''}: " + ", ".join(parts))
        return "\n".join(lines)


def default_period(kind: str, today: date) -> Period:
    """Weekly kinds: the week of `today`. Rental (sent on the 1st): the month that just ended."""
    return previous_month(today) if KINDS[kind].cadence == "monthly" else week_of(today)


def selected_kinds(only: Iterable[str] | None) -> list[str]:
    if not only:
        return list(KINDS)
    chosen: list[str] = []
    for name in only:
        for part in str(name).split(","):
            kind = part.strip().lower().replace("-", "_")
            if not kind:
                continue
            if kind not in KINDS:
                raise ReportKindNotFoundError(
                    f"There is no report kind {kind!r}; the kinds are: {', '.join(KINDS)}.", field="kind"
                )
            if kind not in chosen:
                chosen.append(kind)
    return chosen


def local_today(settings: Settings, clock: Clock) -> date:
    return clock().astimezone(settings.timezone).date()


def prepare(kind: str, source: Source, period: Period, today: date) -> Report:
    from quarterdeck.reports.kinds import build_report

    return build_report(kind, source, period, min(today, period.end))


def render(report: Report, settings: Settings, *, archive: bool, to: Sequence[str] | None = None) -> Any:
    """The report as an email To `to` (default: the owner), BCC the archive when `archive`."""
    from quarterdeck.reports.render import render_report

    bcc = [settings.archive_email] if archive and settings.archive_email else []
    addresses = list(to) if to else [settings.owner_email or "owner@example.com"]
    return render_report(
        report, addresses, bcc=bcc, app_url=settings.app_url, reply_to=[settings.reply_to_for(report.kind)]
    )


ProgressFn = Callable[[Outcome, int, int], None]
RenderOut = Callable[["Report", str, str], None]


@dataclass(frozen=True)
class Collaborators:
    """What a dispatch works with. Left out: the deployed one (quarterdeck.reports.wiring: the
    DynamoDB repositories, the table's live figures, the paced SES sender, the settings)."""

    runs: ReportRunRepository | None = None
    tasks: TaskRepository | None = None
    live: LiveReader | None = None
    mailer: MailSender | None = None  # made when the first report is sent, not for a dry run
    settings: Settings | None = None
    clock: Clock = system_clock
    progress: ProgressFn | None = None  # told of each report's outcome as it ends
    render_out: RenderOut | None = None  # a dry run's report, text and html (when not written to files)
    archive: ReportArchiveRepository | None = None  # where a sent report is kept as it was sent


@dataclass(frozen=True)
class _Using:
    """The collaborators with every default filled in."""

    runs: ReportRunRepository
    tasks: TaskRepository
    live: LiveReader
    settings: Settings
    clock: Clock
    mailer: MailSender | None
    archive: ReportArchiveRepository


def _resolved(using: Collaborators) -> _Using:
    from quarterdeck.reports import wiring

    return _Using(
        runs=using.runs or wiring.report_runs(),
        tasks=using.tasks or wiring.task_board(),
        live=using.live or wiring.TableLiveFigures(),
        settings=using.settings or get_settings(),
        clock=using.clock,
        mailer=using.mailer,
        archive=using.archive or wiring.report_archive(),
    )


def run_reports(
    kinds: Iterable[str] | None = None,
    *,
    period: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    out_dir: str | Path | None = None,
    portfolio: Portfolio | None = None,
    portfolio_path: str | Path | None = None,
    check_sent_first: bool = True,
    using: Collaborators = Collaborators(),
) -> Summary:
    """Build and send the chosen reports (all eight by default); never raises for one report.

    `check_sent_first`: skip the reports already sent for their period before loading anything
    (one Query each; worth it for a schedule's repeated events). Send-now turns it off: its
    one claim refuses a report already sent by itself."""
    deps = _resolved(using)
    settings, clock, runs = deps.settings, deps.clock, deps.runs
    chosen = selected_kinds(kinds)
    order, total = list(chosen), len(chosen)
    fixed_period = parse_period(period) if period else None
    today = local_today(settings, clock)
    periods = {kind: fixed_period or default_period(kind, today) for kind in chosen}
    summary = Summary()

    def finish(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if using.progress:
            using.progress(outcome, len(summary.outcomes), total)

    def fail_all(error: QuarterdeckError) -> Summary:
        for kind in chosen:
            finish(Outcome(kind, periods[kind].label, FAILED, reason=error.message, error=error))
            if not dry_run:
                _note_refusal(runs, kind, periods[kind].label, error.message, clock)
        logger.error("report run refused", extra={"reason": error.message})
        summary.outcomes.sort(key=lambda o: order.index(o.kind))
        return summary

    # Reports already sent for their period are skipped before anything else loads: one
    # consistent read each, so a retried or repeated schedule event costs next to nothing.
    if not dry_run and not force and check_sent_first:
        try:
            done = sent_runs(runs, [(kind, periods[kind].label) for kind in chosen], clock())
        except QuarterdeckError:
            done = {}  # the claims below decide anyway
        for kind in [k for k in chosen if (k, periods[k].label) in done]:
            reason = why_all_skipped(done[(kind, periods[kind].label)], clock())
            finish(Outcome(kind, periods[kind].label, SKIPPED, reason=reason, error=ReportAlreadySentError(reason)))
            chosen.remove(kind)
        if not chosen:
            logger.info("report run finished", extra=summary.as_dict())
            return summary

    # Everything that would fail every report is checked once, before anything is sent.
    from quarterdeck.reports.kinds import Source
    from quarterdeck.reports.portfolio import load_portfolio

    try:
        data = portfolio or load_portfolio(portfolio_path, settings=settings)
    except QuarterdeckError as error:
        return fail_all(error)
    mailer = deps.mailer
    if not dry_run:
        if mailer is None:
            from quarterdeck.reports.sending import report_sender

            mailer = report_sender()
        try:
            _check_recipients(settings)
            check_sender = getattr(mailer, "check_sender", None)
            if check_sender is not None:
                check_sender()
        except QuarterdeckError as error:
            return fail_all(error)

    source = Source(portfolio=data, now=clock(), live_reader=deps.live, settings=settings)
    for kind in chosen:
        started = time.monotonic()
        if dry_run or mailer is None:
            outcome = _render_only(kind, source, periods[kind], today, settings, out_dir, using.render_out)
        else:
            outcome = _send_one(kind, source, periods[kind], today, replace(deps, mailer=mailer), force)
        outcome.seconds = time.monotonic() - started
        finish(outcome)
    summary.outcomes.sort(key=lambda o: order.index(o.kind))  # the table lists the kinds in order
    logger.info("report run finished", extra=summary.as_dict())
    return summary


def _note_refusal(runs: ReportRunRepository, kind: str, period: str, reason: str, clock: Clock) -> None:
    """Show the refusal on the reports page; best effort (the run has failed either way)."""
    try:
        record_refusal(runs, kind, period, reason, clock())
    except Exception:
        logger.exception("could not note the refused report on its summary", extra={"kind": kind})


def _check_recipients(settings: Settings) -> None:
    if not settings.owner_email:
        raise ConfigurationError("No owner address (OWNER_EMAIL) is configured to send the reports to.")
    if not settings.archive_email:
        raise ConfigurationError("No archive address (ARCHIVE_EMAIL) is configured: every report is archived by BCC.")


def _render_only(
    kind: str,
    source: Source,
    period: Period,
    today: date,
    settings: Settings,
    out_dir: str | Path | None,
    render_out: RenderOut | None,
) -> Outcome:
    try:
        report = prepare(kind, source, period, today)
        email = render(report, settings, archive=False)
        reason = ""
        if out_dir is not None:
            folder = Path(out_dir)
            folder.mkdir(parents=True, exist_ok=True)
            stem = folder / f"{kind}-{period.label}"
            stem.with_suffix(".txt").write_text(f"Subject: {email.subject}\n\n{email.text}", encoding="utf-8")
            stem.with_suffix(".html").write_text(email.html, encoding="utf-8")
            reason = f"written to {stem}.txt and .html"
        elif render_out is not None:
            render_out(report, email.text, email.html)
        return Outcome(kind, period.label, RENDERED, reason=reason, subject=email.subject, tasks=len(report.actions))
    except QuarterdeckError as error:
        return Outcome(kind, period.label, FAILED, reason=error.message, error=error)
    except Exception as error:  # one report's bug must not stop the others
        logger.exception("report failed to render", extra={"kind": kind})
        return Outcome(kind, period.label, FAILED, reason=f"{type(error).__name__}: {error}", error=error)


def _send_one(
    kind: str,
    source: Source,
    period: Period,
    today: date,
    deps: _Using,
    force: bool,
    archive: ReportArchiveRepository | None = None,
) -> Outcome:
    from quarterdeck.reports.actions import file_action_items

    settings, clock, runs, mailer = deps.settings, deps.clock, deps.runs, deps.mailer
    assert mailer is not None  # nosec B101 - narrows the type: a send always has its sender
    from quarterdeck.reports.archive import keep_sent_report

    # Claim every recipient's run first (one conditional write each): what was sent before,
    # or is being sent by another run, is skipped for that recipient alone.
    claims: list[Claim] = []
    skipped: list[str] = []
    for recipient in source.portfolio.recipients_for(kind, settings.owner_email):
        try:
            claims.append(
                claim_run(runs, kind, period.label, attempt=new_id(), now=clock(), force=force, recipient=recipient)
            )
        except RunNotClaimed as not_claimed:
            skipped.append(not_claimed.reason)
        except QuarterdeckError as error:
            _release(runs, claims, error.message, clock)
            return Outcome(kind, period.label, FAILED, reason=error.message, error=error)
    if not claims:
        reason = "; ".join(skipped)
        return Outcome(kind, period.label, SKIPPED, reason=reason, error=ReportAlreadySentError(reason))

    try:
        report = prepare(kind, source, period, today)
        email = render(report, settings, archive=True, to=[claims[0].recipient])
        tasks = len(report.actions)
    except Exception as error:  # one report's failure must not stop the others
        reason = _reason(error, kind, period)
        _release(runs, claims, reason, clock)
        return Outcome(kind, period.label, FAILED, reason=reason, error=error)

    # One message per recipient, each BCC the archive, each with its own MessageId and record.
    sent: list[tuple[str, str]] = []
    failures: list[tuple[str, str, Exception]] = []
    for claim in claims:
        message = replace(email, to=(claim.recipient,))
        message_id: str | None = None
        try:
            message_id = mailer.send(message)
            logger.info(
                "report sent",
                extra={"kind": kind, "period": period.label, "recipient": claim.recipient, "message_id": message_id},
            )
            mark_sent(
                runs,
                claim,
                message_id=message_id,
                now=clock(),
                recipients=[*message.to, *message.bcc],
                subject=message.subject,
                tasks=tasks,
                forced=force,
            )
            sent.append((claim.recipient, message_id))
        except Exception as error:  # this recipient's failure must not stop the others
            reason = _reason(error, kind, period)
            if message_id is not None:  # SES accepted it; only the record failed: never resend it
                reason = f"sent (MessageId {message_id}), but recording it failed: {reason}"
                sent.append((claim.recipient, message_id))
            _release(runs, [claim], reason, clock, message_id=message_id)
            failures.append((claim.recipient, reason, error))
    if sent:  # one card per action: created, brought up to date or reopened (reports/actions.py)
        try:
            file_action_items(deps.tasks, report, clock)
        except Exception:  # the report went out; only its cards are missing (the next run files them)
            logger.exception("could not file the report's action items", extra={"kind": kind})

    if sent:  # kept as it was sent, for the reports page (best effort: it went out either way)
        keep_sent_report(deps.archive, kind=kind, period=period, email=email, sends=sent, clock=clock)
    outcome = Outcome(
        kind,
        period.label,
        SENT,
        message_id=sent[0][1] if sent else None,
        tasks=tasks,
        subject=email.subject,
        message_ids=[message_id for _, message_id in sent],
        recipients=[recipient for recipient, _ in sent],
    )
    if failures:
        outcome.status = FAILED
        outcome.error = failures[-1][2]
        if len(claims) == 1:
            outcome.reason = failures[0][1]
        else:
            outcome.reason = "; ".join(f"to {recipient}: {reason}" for recipient, reason, _ in failures)
    return outcome


def _reason(error: Exception, kind: str, period: Period) -> str:
    reason = error.message if isinstance(error, QuarterdeckError) else f"{type(error).__name__}: {error}"
    if not isinstance(error, QuarterdeckError):
        logger.exception("report failed", extra={"kind": kind, "period": period.label})
    else:
        logger.error("report failed", extra={"kind": kind, "period": period.label, "reason": reason})
    return reason


def _release(
    runs: ReportRunRepository, claims: list[Claim], reason: str, clock: Clock, message_id: str | None = None
) -> None:
    """Mark the runs failed and free their leases, so the next run retries them at once (or,
    with the `message_id` SES gave, mark it sent, so none retries it)."""
    for claim in claims:
        try:
            mark_failed(runs, claim, error=reason, now=clock(), message_id=message_id)
        except QuarterdeckError:  # the lease then expires on its own
            logger.exception("could not release the report run", extra={"kind": claim.kind})


def summary_lines(outcomes: Sequence[Outcome]) -> list[str]:
    return [f"{o.kind} {o.period}: {o.status} {o.message_id or o.reason}".rstrip() for o in outcomes]
