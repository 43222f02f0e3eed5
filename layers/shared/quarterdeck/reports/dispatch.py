"""Dispatch: build each report, send it once per (kind, period, recipient), file its action items.

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
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, new_id, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import ConfigurationError, ConflictError, InvalidInputError, QuarterdeckError
from quarterdeck.mail import MailSender
from quarterdeck.observability import logger
from quarterdeck.reports import KINDS, ReportKindNotFoundError
from quarterdeck.reports.periods import Period, parse_period, previous_month, week_of
from quarterdeck.reports.runs import (
    Claim,
    RunNotClaimed,
    claim_run,
    last_runs,
    mark_failed,
    mark_sent,
    record_refusal,
    sent_runs,
    why_all_skipped,
)
from quarterdeck.reports.send_queue import ReportSendQueue, SendRequest
from quarterdeck.store import Store, Write

if TYPE_CHECKING:  # the strategies, pydantic and jinja2 load only when a report is built
    from quarterdeck.reports.kinds import Source
    from quarterdeck.reports.model import Report
    from quarterdeck.reports.portfolio import Portfolio
    from quarterdeck.repositories.report_archive import ReportArchiveRepository

SENT, SKIPPED, FAILED, RENDERED = "sent", "skipped", "failed", "rendered"
QUEUED = "queued"  # send-now: handed to ReportFunction
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report's action items may fall due (quarterdeck.tasks)


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


def _local_today(settings: Settings, clock: Clock) -> date:
    return clock().astimezone(settings.timezone).date()


def prepare(kind: str, source: Source, period: Period, today: date) -> Report:
    from quarterdeck.reports.kinds import build_report

    return build_report(kind, source, period, min(today, period.end))


def _render(report: Report, settings: Settings, *, archive: bool, to: Sequence[str] | None = None) -> Any:
    from quarterdeck.reports.render import render_report

    bcc = [settings.archive_email] if archive and settings.archive_email else []
    addresses = list(to) if to else [settings.owner_email or "owner@example.com"]
    return render_report(report, addresses, bcc=bcc, app_url=settings.app_url)


ProgressFn = Callable[[Outcome, int, int], None]


def run_reports(
    kinds: Iterable[str] | None = None,
    *,
    period: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    out_dir: str | Path | None = None,
    portfolio: Portfolio | None = None,
    portfolio_path: str | Path | None = None,
    store: Store | None = None,
    mailer: MailSender | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
    progress: ProgressFn | None = None,
    render_out: Callable[[Report, str, str], None] | None = None,
    check_sent_first: bool = True,
    archive: ReportArchiveRepository | None = None,
) -> Summary:
    """Build and send the chosen reports (all eight by default); never raises for one report.

    `check_sent_first`: skip the reports already sent for their period before loading anything
    (one Query each; worth it for a schedule's repeated events). Send-now turns it off: its
    one claim refuses a report already sent by itself."""
    settings = settings or get_settings()
    store = store or Store()
    chosen = selected_kinds(kinds)
    order, total = list(chosen), len(chosen)
    fixed_period = parse_period(period) if period else None
    today = _local_today(settings, clock)
    periods = {kind: fixed_period or default_period(kind, today) for kind in chosen}
    summary = Summary()

    def finish(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if progress:
            progress(outcome, len(summary.outcomes), total)

    def fail_all(error: QuarterdeckError) -> Summary:
        for kind in chosen:
            finish(Outcome(kind, periods[kind].label, FAILED, reason=error.message, error=error))
            if not dry_run:
                _note_refusal(store, kind, periods[kind].label, error.message, clock)
        logger.error("report run refused", extra={"reason": error.message})
        summary.outcomes.sort(key=lambda o: order.index(o.kind))
        return summary

    # Reports already sent for their period are skipped before anything else loads: one
    # BatchGetItem, so a retried or repeated schedule event costs next to nothing.
    if not dry_run and not force and check_sent_first:
        try:
            done = sent_runs(store, [(kind, periods[kind].label) for kind in chosen], clock())
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
    if not dry_run:
        if mailer is None:
            from quarterdeck.reports.sending import report_sender

            mailer = report_sender()
        try:
            _check_recipients(settings)
            check_sender = getattr(mailer, "_check_sender", None)
            if check_sender is not None:
                check_sender()
        except QuarterdeckError as error:
            return fail_all(error)

    source = Source(portfolio=data, now=clock(), store=store, settings=settings)
    for kind in chosen:
        started = time.monotonic()
        outcome = (
            _render_only(kind, source, periods[kind], today, settings, out_dir, render_out)
            if dry_run
            else _send_one(kind, source, periods[kind], today, settings, store, mailer, clock, force, archive)  # type: ignore[arg-type]
        )
        outcome.seconds = time.monotonic() - started
        finish(outcome)
    summary.outcomes.sort(key=lambda o: order.index(o.kind))  # the table lists the kinds in order
    logger.info("report run finished", extra=summary.as_dict())
    return summary


def _note_refusal(store: Store, kind: str, period: str, reason: str, clock: Clock) -> None:
    """Show the refusal on the reports page; best effort (the run has failed either way)."""
    try:
        record_refusal(store, kind, period, reason, clock())
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
    render_out: Callable[[Report, str, str], None] | None,
) -> Outcome:
    try:
        report = prepare(kind, source, period, today)
        email = _render(report, settings, archive=False)
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
    settings: Settings,
    store: Store,
    mailer: MailSender,
    clock: Clock,
    force: bool,
    archive: ReportArchiveRepository | None = None,
) -> Outcome:
    from quarterdeck.reports.actions import MAX_IN_RECORD, action_item_writes, file_action_items
    from quarterdeck.reports.archive import keep_sent_report

    # Claim every recipient's run first (one conditional write each): what was sent before,
    # or is being sent by another run, is skipped for that recipient alone.
    claims: list[Claim] = []
    skipped: list[str] = []
    for recipient in source.portfolio.recipients_for(kind, settings.owner_email):
        try:
            claims.append(
                claim_run(store, kind, period.label, attempt=new_id(), now=clock(), force=force, recipient=recipient)
            )
        except RunNotClaimed as not_claimed:
            skipped.append(not_claimed.reason)
        except QuarterdeckError as error:
            _release(store, claims, error.message, clock)
            return Outcome(kind, period.label, FAILED, reason=error.message, error=error)
    if not claims:
        reason = "; ".join(skipped)
        return Outcome(kind, period.label, SKIPPED, reason=reason, error=ReportAlreadySentError(reason))

    try:
        report = prepare(kind, source, period, today)
        email = _render(report, settings, archive=True, to=[claims[0].recipient])
        tasks = len(report.actions)
        # The cards go in the transaction that records the first delivery sent: no write of
        # their own. Too many for one transaction: filed now, one put each.
        cards: Sequence[Write] = action_item_writes(report)
        if len(cards) > MAX_IN_RECORD:
            file_action_items(store, report)
            cards = ()
    except Exception as error:  # one report's failure must not stop the others
        reason = _reason(error, kind, period)
        _release(store, claims, reason, clock)
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
                store,
                claim,
                message_id=message_id,
                now=clock(),
                recipients=[*message.to, *message.bcc],
                subject=message.subject,
                tasks=tasks,
                forced=force,
                extra=cards,
            )
            cards = ()
            sent.append((claim.recipient, message_id))
        except Exception as error:  # this recipient's failure must not stop the others
            reason = _reason(error, kind, period)
            if message_id is not None:  # SES accepted it; only the record failed: never resend it
                reason = f"sent (MessageId {message_id}), but recording it failed: {reason}"
                sent.append((claim.recipient, message_id))
            # The record alone (never with the cards: a record that cannot be written, after
            # SES accepted the message, would let a later run send it again).
            _release(store, [claim], reason, clock, message_id=message_id)
            failures.append((claim.recipient, reason, error))
    if cards:  # no delivery's record carried them: filed on their own (one conditional put each)
        try:
            file_action_items(store, report)
        except Exception:  # the report went out; only its cards are missing (logged)
            logger.exception("could not file the report's action items", extra={"kind": kind})

    if sent:  # kept as it was sent, for the reports page (best effort: it went out either way)
        keep_sent_report(archive, store, kind=kind, period=period, email=email, sends=sent, clock=clock)
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


def _release(store: Store, claims: list[Claim], reason: str, clock: Clock, message_id: str | None = None) -> None:
    """Mark the runs failed and free their leases, so the next run retries them at once (or,
    with the `message_id` SES gave, mark it sent, so none retries it)."""
    for claim in claims:
        try:
            mark_failed(store, claim, error=reason, now=clock(), message_id=message_id)
        except QuarterdeckError:  # the lease then expires on its own
            logger.exception("could not release the report run", extra={"kind": claim.kind})


# --- what the API and the page use ------------------------------------------------------------
def list_reports(
    store: Store, *, settings: Settings | None = None, clock: Clock = system_clock
) -> list[dict[str, Any]]:
    """Each kind with its schedule, the period it would cover now, and its last run (every
    kind's last run from its summary item: one Query in all)."""
    settings = settings or get_settings()
    today = _local_today(settings, clock)
    latest = last_runs(store)
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


def preview_report(
    kind: str,
    store: Store,
    *,
    period: str | None = None,
    portfolio: Portfolio | None = None,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """The report rendered, as it would be sent now; sends nothing, files nothing."""
    settings = settings or get_settings()
    (chosen,) = selected_kinds([kind])
    today = _local_today(settings, clock)
    the_period = parse_period(period) if period else default_period(chosen, today)
    from quarterdeck.reports.kinds import Source
    from quarterdeck.reports.portfolio import load_portfolio

    data = portfolio or load_portfolio(settings=settings)
    # A preview reads no CloudWatch or Cost Explorer figures: the API is not granted them, and
    # each Cost Explorer call is billed; the report names them as read when it is sent.
    source = Source(portfolio=data, now=clock(), store=store, settings=settings, aws_reader=_aws_figures_not_previewed)
    report = prepare(chosen, source, the_period, today)
    email = _render(report, settings, archive=True, to=data.recipients_for(chosen, settings.owner_email))
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
    store: Store,
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
    the_period = parse_period(period) if period else default_period(the_kind, _local_today(settings, clock))
    if not FIRST_YEAR <= the_period.start.year <= LAST_YEAR:  # refused here, not in ReportFunction later
        raise InvalidInputError(f"Reports cover periods from {FIRST_YEAR} to {LAST_YEAR}.", field="period")
    title = KINDS[the_kind].title
    if not force:
        done = sent_runs(store, [(the_kind, the_period.label)], clock())
        if done:
            reason = why_all_skipped(done[(the_kind, the_period.label)], clock())
            raise ReportAlreadySentError(f"The {title} for {the_period.label} was not sent: {reason}.")
    queue.submit(SendRequest(the_kind, the_period.label, force=force, requested_by=requested_by))
    return {"status": QUEUED, "kind": the_kind, "title": title, "period": the_period.label, "force": force}


def summary_lines(outcomes: Sequence[Outcome]) -> list[str]:
    return [f"{o.kind} {o.period}: {o.status} {o.message_id or o.reason}".rstrip() for o in outcomes]
