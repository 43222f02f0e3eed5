"""Report runs: one item per (kind, period), `REPORT#<kind>` / `RUN#<period>`.

A run is claimed with ONE conditional write before anything is sent:

    claim  (status=claimed, lease_until=now+lease)   — refused if already sent, or if another
                                                        run holds a lease that has not expired
    send   (SES)
    mark   (status=sent, message_id, sent_at)        — only by the attempt that claimed it

A run that crashed between claim and mark leaves an expired lease and no message id: the
next run takes it over and sends (at least once beats never). A send that failed is marked
failed and its lease released, so the next run retries it at once. `force` also takes over a
run already sent (a deliberate resend); it never takes a lease another run still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from quarterdeck import keys
from quarterdeck.clock import epoch, iso
from quarterdeck.observability import logger
from quarterdeck.store import ConditionFailedError, Item, Store

# Longer than one report takes to build and send (ReportFunction's timeout is 120 s).
LEASE = timedelta(minutes=3)
CLAIMED, SENT, FAILED = "claimed", "sent", "failed"


@dataclass(frozen=True)
class Claim:
    kind: str
    period: str
    attempt: str
    item: Item


class RunNotClaimed(Exception):
    """The run is sent already, or another run is sending it; `reason` says which."""

    def __init__(self, reason: str, current: Item | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.current = current


def _names(*attributes: str) -> dict[str, str]:
    """Every attribute through a placeholder: no clash with DynamoDB's reserved words."""
    return {f"#{name}": name for name in attributes}


def why_skipped(current: Item | None, now: datetime) -> str:
    if current is None:
        return "the run record changed meanwhile"
    if current.get("message_id") and not (
        current.get("status") == CLAIMED and int(current.get("lease_until", 0)) >= epoch(now)
    ):
        return f"already sent {current.get('sent_at', '')} (MessageId {current['message_id']}); use force to send again"
    claimed = current.get("claimed_at", "")
    return f"another run is sending it (claimed {claimed}; its lease ends within {LEASE.seconds // 60} minutes)"


def claim_run(store: Store, kind: str, period: str, *, attempt: str, now: datetime, force: bool = False) -> Claim:
    """Claim the right to send (kind, period); RunNotClaimed when it may not be sent now."""
    pk, sk = keys.report_run(kind, period)
    free = "(attribute_not_exists(#lease_until) OR #lease_until < :now)"
    condition = free if force else f"attribute_not_exists(#message_id) AND {free}"
    try:
        item = store.update(
            pk,
            sk,
            "SET #type = :type, #kind = :kind, #period = :period, #status = :claimed, #attempt = :attempt, "
            "#claimed_at = :at, #lease_until = :lease, #updated_at = :at ADD #attempts :one",
            condition=condition,
            names=_names(
                "type",
                "kind",
                "period",
                "status",
                "attempt",
                "claimed_at",
                "lease_until",
                "updated_at",
                "attempts",
                *(() if force else ("message_id",)),
            ),
            values={
                ":type": "report_run",
                ":kind": kind,
                ":period": period,
                ":claimed": CLAIMED,
                ":attempt": attempt,
                ":at": iso(now),
                ":lease": epoch(now + LEASE),
                ":now": epoch(now),
                ":one": 1,
            },
        )
    except ConditionFailedError as lost:
        raise RunNotClaimed(why_skipped(lost.current, now), lost.current) from None
    return Claim(kind, period, attempt, item)


def mark_sent(
    store: Store,
    claim: Claim,
    *,
    message_id: str,
    now: datetime,
    recipients: list[str],
    subject: str,
    tasks: int,
    forced: bool,
) -> None:
    pk, sk = keys.report_run(claim.kind, claim.period)
    try:
        store.update(
            pk,
            sk,
            "SET #status = :sent, #message_id = :id, #sent_at = :at, #updated_at = :at, #recipients = :to, "
            "#subject = :subject, #tasks = :tasks, #forced = :forced, "
            "#message_ids = list_append(if_not_exists(#message_ids, :empty), :ids) "
            "REMOVE #lease_until, #error ADD #sends :one",
            condition="#attempt = :attempt",
            names=_names(
                "status",
                "message_id",
                "sent_at",
                "updated_at",
                "recipients",
                "subject",
                "tasks",
                "forced",
                "message_ids",
                "lease_until",
                "error",
                "sends",
                "attempt",
            ),
            values={
                ":sent": SENT,
                ":id": message_id,
                ":ids": [message_id],
                ":empty": [],
                ":at": iso(now),
                ":to": recipients,
                ":subject": subject,
                ":tasks": tasks,
                ":forced": forced,
                ":attempt": claim.attempt,
                ":one": 1,
            },
        )
    except ConditionFailedError:  # pragma: no cover - only if our lease expired and another run took over
        logger.warning("report run taken over before it was marked sent", extra={"kind": claim.kind})


def mark_failed(store: Store, claim: Claim, *, error: str, now: datetime) -> None:
    """Release the lease so the next run retries at once; a run sent before stays sent."""
    pk, sk = keys.report_run(claim.kind, claim.period)
    status = SENT if claim.item.get("message_id") else FAILED
    try:
        store.update(
            pk,
            sk,
            "SET #status = :status, #error = :error, #failed_at = :at, #updated_at = :at REMOVE #lease_until",
            condition="#attempt = :attempt",
            names=_names("status", "error", "failed_at", "updated_at", "lease_until", "attempt"),
            values={":status": status, ":error": error[:500], ":at": iso(now), ":attempt": claim.attempt},
        )
    except ConditionFailedError:  # pragma: no cover
        logger.warning("report run taken over before it was marked failed", extra={"kind": claim.kind})


def is_sent_and_idle(item: Item, now: datetime) -> bool:
    """Sent for its period and not being (re)sent right now."""
    return bool(item.get("message_id")) and int(item.get("lease_until", 0)) < epoch(now)


def sent_runs(store: Store, runs: list[tuple[str, str]], now: datetime) -> dict[tuple[str, str], Item]:
    """Of (kind, period) pairs, those already sent and idle: one BatchGetItem."""
    items = store.batch_get([keys.report_run(kind, period) for kind, period in runs])
    return {
        (str(item["kind"]), str(item["period"])): item
        for item in items
        if item.get("kind") and is_sent_and_idle(item, now)
    }


def run_view(item: Item) -> dict[str, Any]:
    return {
        "period": item.get("period"),
        "status": item.get("status"),
        "message_id": item.get("message_id"),
        "sent_at": item.get("sent_at"),
        "updated_at": item.get("updated_at"),
        "sends": int(item.get("sends", 0)),
        "error": item.get("error"),
    }


def last_run(store: Store, kind: str) -> dict[str, Any] | None:
    """The kind's most recently changed run: one Query of its partition (newest periods first)."""
    pk, prefix = keys.report_run(kind, "")
    items = store.query(pk, sk_prefix=prefix, forward=False, limit=20)
    if not items:
        return None
    return run_view(max(items, key=lambda i: str(i.get("updated_at", ""))))


def get_run(store: Store, kind: str, period: str) -> Item | None:
    return store.get(*keys.report_run(kind, period), consistent=True)
