"""Report runs: one item per delivery, (kind, period, recipient): `REPORT#<kind>` /
`RUN#<period>#<recipient>` (see the repository). A report that goes to two people is two messages, each with its
own MessageId and its own run, so a re-run sends to neither again, and a failure for one
recipient is retried for that recipient alone.

A run is claimed with ONE conditional write before anything is sent:

    claim  (status=claimed, lease_until=now+lease)   — refused if already sent, or if another
                                                        run holds a lease that has not expired
    send   (SES)
    mark   (status=sent, message_id, sent_at)        — only by the attempt that claimed it

A run that crashed between claim and mark leaves an expired lease and no message id: the
next run takes it over and sends (at least once beats never). A send that failed is marked
failed and its lease released, so the next run retries it at once. `force` also takes over a
run already sent (a deliberate resend); it never takes a lease another run still holds.

The mark (sent or failed) is one write with the kind's summary (each recipient's latest
delivery) and with the report's cards: the reports page reads every kind's summary in one
read, and a run's record, summary and cards never part. Stored by a `ReportRunRepository`
(quarterdeck/repositories/reports.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from quarterdeck.clock import epoch, iso
from quarterdeck.errors import RunHeldError, RunTakenOverError
from quarterdeck.observability import logger
from quarterdeck.repositories import Item
from quarterdeck.repositories.reports import FailedRun, LatestRuns, ReportRunRepository, SentRun

# Longer than one report takes to build and send (ReportFunction's timeout is 120 s).
LEASE = timedelta(minutes=3)
CLAIMED, SENT, FAILED = "claimed", "sent", "failed"


@dataclass(frozen=True)
class Claim:
    kind: str
    period: str
    attempt: str
    item: Item
    recipient: str = ""


def _owner() -> str:
    """The default recipient of every kind (the deployment's OWNER_EMAIL)."""
    from quarterdeck.config import get_settings

    return get_settings().owner_email.strip().lower()


class RunNotClaimed(Exception):
    """The run is sent already, or another run is sending it; `reason` says which."""

    def __init__(self, reason: str, current: Item | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.current = current


def why_skipped(current: Item | None, now: datetime) -> str:
    if current is None:
        return "the run record changed meanwhile"
    if current.get("message_id") and not (
        current.get("status") == CLAIMED and int(current.get("lease_until", 0)) >= epoch(now)
    ):
        to = f" to {current['recipient']}" if current.get("recipient") else ""
        sent = f"{current.get('sent_at', '')} (MessageId {current['message_id']})"
        return f"already sent{to} {sent}; use force to send again"
    claimed = current.get("claimed_at", "")
    return f"another run is sending it (claimed {claimed}; its lease ends within {LEASE.seconds // 60} minutes)"


def claim_run(
    runs: ReportRunRepository,
    kind: str,
    period: str,
    *,
    attempt: str,
    now: datetime,
    force: bool = False,
    recipient: str | None = None,
) -> Claim:
    """Claim the right to send (kind, period) to `recipient` (default: the owner);
    RunNotClaimed when it may not be sent now."""
    recipient = (recipient or _owner()).strip().lower()
    try:
        item = runs.claim(
            kind, period, recipient, attempt=attempt, now=now, lease_until=epoch(now + LEASE), force=force
        )
    except RunHeldError as held:
        raise RunNotClaimed(why_skipped(held.current, now), held.current) from None
    return Claim(kind, period, attempt, item, recipient)


def _taken_over(claim: Claim) -> None:  # pragma: no cover - only if another run took over
    logger.warning("report run taken over before it was recorded", extra={"kind": claim.kind})


def mark_sent(
    runs: ReportRunRepository,
    claim: Claim,
    *,
    message_id: str,
    now: datetime,
    recipients: list[str],
    subject: str,
    tasks: int,
    forced: bool,
    cards: Sequence[Item] = (),
) -> None:
    """Record the delivery with the kind's summary and `cards` (the report's action cards,
    each created unless it exists): all or nothing. Taken over meanwhile: nothing is written."""
    view = {
        **run_view(claim.item),
        "status": SENT,
        "message_id": message_id,
        "sent_at": iso(now),
        "updated_at": iso(now),
        "sends": int(claim.item.get("sends", 0)) + 1,
        "error": None,
    }
    record = SentRun(
        claim.kind,
        claim.period,
        claim.recipient or _owner(),
        claim.attempt,
        now,
        view,
        message_id=message_id,
        recipients=tuple(recipients),
        subject=subject,
        tasks=tasks,
        forced=forced,
        cards=tuple(cards),
    )
    try:
        runs.record_sent(record)
    except RunTakenOverError:  # pragma: no cover - only if another run took over
        _taken_over(claim)


def mark_failed(
    runs: ReportRunRepository,
    claim: Claim,
    *,
    error: str,
    now: datetime,
    message_id: str | None = None,
) -> None:
    """Release the lease so the next run retries at once; a run sent before stays sent.

    `message_id`: SES accepted the message and only recording it failed; the run is marked
    sent with that id (a smaller write than `mark_sent`'s), so no later run sends it again."""
    status = SENT if claim.item.get("message_id") or message_id else FAILED
    view = {**run_view(claim.item), "status": status, "error": error[:500], "updated_at": iso(now)}
    if message_id:
        view.update(message_id=message_id, sent_at=iso(now))
    to = claim.recipient or _owner()
    record = FailedRun(claim.kind, claim.period, to, claim.attempt, now, view, status, error[:500], message_id)
    try:
        runs.record_failed(record)
    except RunTakenOverError:  # pragma: no cover - only if another run took over
        _taken_over(claim)


def is_sent_and_idle(item: Item, now: datetime) -> bool:
    """Sent for its period and not being (re)sent right now."""
    return bool(item.get("message_id")) and int(item.get("lease_until", 0)) < epoch(now)


def period_runs(runs: ReportRunRepository, kind: str, period: str) -> list[Item]:
    """Every delivery of (kind, period): one consistent read (a run just sent is seen)."""
    return runs.period_runs(kind, period)


def sent_runs(
    runs: ReportRunRepository, pairs: list[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], list[Item]]:
    """Of (kind, period) pairs, those whose every delivery so far is sent and idle: one read each.

    Used to skip a repeated run before the portfolio (and so the recipient list) is loaded;
    a recipient added to the data file after a period's report went out gets the next period's
    (or a forced resend)."""
    done: dict[tuple[str, str], list[Item]] = {}
    for kind, period in pairs:
        items = runs.period_runs(kind, period)
        if items and all(is_sent_and_idle(item, now) for item in items):
            done[(kind, period)] = items
    return done


def why_all_skipped(items: list[Item], now: datetime) -> str:
    """Why a report goes to none of its recipients now (one reason per recipient)."""
    return "; ".join(why_skipped(item, now) for item in items) or "the run record changed meanwhile"


def run_view(item: Item) -> dict[str, Any]:
    return {
        "period": item.get("period"),
        "recipient": item.get("recipient"),
        "status": item.get("status"),
        "message_id": item.get("message_id"),
        "sent_at": item.get("sent_at"),
        "updated_at": item.get("updated_at"),
        "sends": int(item.get("sends", 0)),
        "error": item.get("error"),
    }


def record_refusal(runs: ReportRunRepository, kind: str, period: str, reason: str, now: datetime) -> None:
    """Note on the kind's summary that a run failed before it claimed anything (no portfolio
    file, an unverified sender, no owner address), so the reports page says why nothing was
    sent: a send-now's outcome is otherwise only in ReportFunction's log. No run item is
    written (there is nothing to retry but the cause), and no delivery's view is touched."""
    view = run_view({"period": period, "status": FAILED, "updated_at": iso(now), "error": reason[:500]})
    runs.record_refusal(kind, now, view)


def _latest_view(summary: LatestRuns) -> dict[str, Any] | None:
    """The kind's most recently changed delivery (or refusal), with every recorded delivery of
    its period."""
    deliveries = list(summary.deliveries)
    candidates = [*deliveries, summary.refused] if summary.refused is not None else deliveries
    if not candidates:
        return None
    latest = max(candidates, key=lambda d: str(d.get("updated_at", "")))
    same = [d for d in deliveries if d.get("period") == latest.get("period")]
    view = run_view(latest)
    view["deliveries"] = [run_view(d) for d in sorted(same, key=lambda d: str(d.get("recipient", "")))]
    return view


def last_runs(runs: ReportRunRepository) -> dict[str, dict[str, Any] | None]:
    """Every kind's last recorded run (as `last_run`): one read of the summaries."""
    return {summary.kind: _latest_view(summary) for summary in runs.all_latest()}


def last_run(runs: ReportRunRepository, kind: str) -> dict[str, Any] | None:
    """The kind's most recently recorded run, with every delivery of its period (one read of
    its summary). `message_id` is the newest delivery's; `deliveries` lists each recipient's."""
    summary = runs.latest(kind)
    return _latest_view(summary) if summary else None


def get_run(runs: ReportRunRepository, kind: str, period: str, recipient: str | None = None) -> Item | None:
    """The run of (kind, period) to `recipient` (default: the owner)."""
    return runs.get_run(kind, period, (recipient or _owner()).strip().lower())
