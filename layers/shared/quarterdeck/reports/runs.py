"""Report runs: one item per delivery, (kind, period, recipient): `REPORT#<kind>` /
`RUN#<period>#<recipient>`. A report that goes to two people is two messages, each with its
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


def _names(*attributes: str) -> dict[str, str]:
    """Every attribute through a placeholder: no clash with DynamoDB's reserved words."""
    return {f"#{name}": name for name in attributes}


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
    store: Store,
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
    pk, sk = keys.report_run(kind, period, recipient)
    free = "(attribute_not_exists(#lease_until) OR #lease_until < :now)"
    condition = free if force else f"attribute_not_exists(#message_id) AND {free}"
    try:
        item = store.update(
            pk,
            sk,
            "SET #type = :type, #kind = :kind, #period = :period, #recipient = :recipient, "
            "#status = :claimed, #attempt = :attempt, "
            "#claimed_at = :at, #lease_until = :lease, #updated_at = :at ADD #attempts :one",
            condition=condition,
            names=_names(
                "type",
                "kind",
                "period",
                "recipient",
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
                ":recipient": recipient,
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
    return Claim(kind, period, attempt, item, recipient)


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
    pk, sk = keys.report_run(claim.kind, claim.period, claim.recipient or _owner())
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


def mark_failed(store: Store, claim: Claim, *, error: str, now: datetime, message_id: str | None = None) -> None:
    """Release the lease so the next run retries at once; a run sent before stays sent.

    `message_id`: SES accepted the message and only recording it failed; the run is marked
    sent with that id (a smaller write than `mark_sent`'s), so no later run sends it again."""
    pk, sk = keys.report_run(claim.kind, claim.period, claim.recipient or _owner())
    status = SENT if claim.item.get("message_id") or message_id else FAILED
    update = "SET #status = :status, #error = :error, #failed_at = :at, #updated_at = :at"
    names = ["status", "error", "failed_at", "updated_at", "lease_until", "attempt"]
    values: dict[str, Any] = {":status": status, ":error": error[:500], ":at": iso(now), ":attempt": claim.attempt}
    if message_id:
        update += ", #message_id = :id, #sent_at = :at"
        names += ["message_id", "sent_at"]
        values[":id"] = message_id
    try:
        store.update(
            pk,
            sk,
            update + " REMOVE #lease_until",
            condition="#attempt = :attempt",
            names=_names(*names),
            values=values,
        )
    except ConditionFailedError:  # pragma: no cover
        logger.warning("report run taken over before it was marked failed", extra={"kind": claim.kind})


def is_sent_and_idle(item: Item, now: datetime) -> bool:
    """Sent for its period and not being (re)sent right now."""
    return bool(item.get("message_id")) and int(item.get("lease_until", 0)) < epoch(now)


def period_runs(store: Store, kind: str, period: str) -> list[Item]:
    """Every delivery of (kind, period): one Query (consistent, so a run just sent is seen)."""
    pk, prefix = keys.report_runs(kind, period)
    return store.query(pk, sk_prefix=prefix, consistent=True)


def sent_runs(store: Store, runs: list[tuple[str, str]], now: datetime) -> dict[tuple[str, str], list[Item]]:
    """Of (kind, period) pairs, those whose every delivery so far is sent and idle: one Query each.

    Used to skip a repeated run before the portfolio (and so the recipient list) is loaded;
    a recipient added to the data file after a period's report went out gets the next period's
    (or a forced resend)."""
    done: dict[tuple[str, str], list[Item]] = {}
    for kind, period in runs:
        items = period_runs(store, kind, period)
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


def last_run(store: Store, kind: str) -> dict[str, Any] | None:
    """The kind's most recently changed run, with every delivery of its period: one Query of its
    partition (newest periods first). `message_id` is the newest delivery's; `deliveries` lists
    each recipient's."""
    pk, prefix = keys.report_runs(kind)
    items = store.query(pk, sk_prefix=prefix, forward=False, limit=50)
    if not items:
        return None
    latest = max(items, key=lambda i: str(i.get("updated_at", "")))
    same = [i for i in items if i.get("period") == latest.get("period")]
    view = run_view(latest)
    view["deliveries"] = [run_view(i) for i in sorted(same, key=lambda i: str(i.get("recipient", "")))]
    return view


def get_run(store: Store, kind: str, period: str, recipient: str | None = None) -> Item | None:
    """The run of (kind, period) to `recipient` (default: the owner)."""
    return store.get(*keys.report_run(kind, period, recipient or _owner()), consistent=True)
