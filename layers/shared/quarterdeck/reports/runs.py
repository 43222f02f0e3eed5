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

The mark (sent or failed) is one transaction with the kind's summary item (`REPORTS` /
`LATEST#<kind>`: one attribute per recipient, that recipient's latest delivery) and with any
writes the caller adds (the report's action items): the reports page reads every kind's
summary in one Query, and a run's record, summary and cards never part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from quarterdeck import keys
from quarterdeck.clock import epoch, iso
from quarterdeck.observability import logger
from quarterdeck.store import ConditionFailedError, Item, Store, TransactionCanceledError, Write

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


DELIVERY = "to#"  # a summary item's attribute per recipient: `to#<recipient>`
REFUSED = "refused"  # a summary item's attribute: the latest run that failed before any claim


def _summary_write(claim: Claim, view: dict[str, Any], now: datetime) -> Write:
    """Record `view` as the latest delivery of (kind, recipient) on the kind's summary item."""
    pk, sk = keys.report_latest(claim.kind)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update="SET #type = :type, #kind = :kind, #updated_at = :at, #delivery = :view",
        names={
            "#type": "type",
            "#kind": "kind",
            "#updated_at": "updated_at",
            "#delivery": DELIVERY + (claim.recipient or _owner()),
        },
        values={":type": "report_latest", ":kind": claim.kind, ":at": iso(now), ":view": view},
    )


def _record(
    store: Store, claim: Claim, run: Write, view: dict[str, Any], now: datetime, extra: Sequence[Write]
) -> None:
    """The run's mark, the kind's summary and `extra`, all or nothing (one TransactWriteItems).
    Lost the run's condition (our lease expired and another run took over): nothing is written."""
    try:
        store.transact([run, _summary_write(claim, view, now), *extra])
    except TransactionCanceledError:  # pragma: no cover - only if another run took over
        logger.warning("report run taken over before it was recorded", extra={"kind": claim.kind})


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
    extra: Sequence[Write] = (),
) -> None:
    """Record the delivery (with the summary and `extra`, e.g. the report's cards): one transaction."""
    pk, sk = keys.report_run(claim.kind, claim.period, claim.recipient or _owner())
    run = Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update="SET #status = :sent, #message_id = :id, #sent_at = :at, #updated_at = :at, #recipients = :to, "
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
    view = {
        **run_view(claim.item),
        "status": SENT,
        "message_id": message_id,
        "sent_at": iso(now),
        "updated_at": iso(now),
        "sends": int(claim.item.get("sends", 0)) + 1,
        "error": None,
    }
    _record(store, claim, run, view, now, extra)


def mark_failed(
    store: Store,
    claim: Claim,
    *,
    error: str,
    now: datetime,
    message_id: str | None = None,
    extra: Sequence[Write] = (),
) -> None:
    """Release the lease so the next run retries at once; a run sent before stays sent.

    `message_id`: SES accepted the message and only recording it failed; the run is marked
    sent with that id (a smaller write than `mark_sent`'s), so no later run sends it again."""
    pk, sk = keys.report_run(claim.kind, claim.period, claim.recipient or _owner())
    status = SENT if claim.item.get("message_id") or message_id else FAILED
    update = "SET #status = :status, #error = :error, #failed_at = :at, #updated_at = :at"
    names = ["status", "error", "failed_at", "updated_at", "lease_until", "attempt"]
    values: dict[str, Any] = {":status": status, ":error": error[:500], ":at": iso(now), ":attempt": claim.attempt}
    view = {**run_view(claim.item), "status": status, "error": error[:500], "updated_at": iso(now)}
    if message_id:
        update += ", #message_id = :id, #sent_at = :at"
        names += ["message_id", "sent_at"]
        values[":id"] = message_id
        view.update(message_id=message_id, sent_at=iso(now))
    run = Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update=update + " REMOVE #lease_until",
        condition="#attempt = :attempt",
        names=_names(*names),
        values=values,
    )
    _record(store, claim, run, view, now, extra)


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


def record_refusal(store: Store, kind: str, period: str, reason: str, now: datetime) -> None:
    """Note on the kind's summary that a run failed before it claimed anything (no portfolio
    file, an unverified sender, no owner address), so the reports page says why nothing was
    sent: a send-now's outcome is otherwise only in ReportFunction's log. No run item is
    written (there is nothing to retry but the cause), and no delivery's view is touched."""
    pk, sk = keys.report_latest(kind)
    view = run_view({"period": period, "status": FAILED, "updated_at": iso(now), "error": reason[:500]})
    store.update(
        pk,
        sk,
        "SET #type = :type, #kind = :kind, #updated_at = :at, #refused = :view",
        names=_names("type", "kind", "updated_at", REFUSED),
        values={":type": "report_latest", ":kind": kind, ":at": iso(now), ":view": view},
    )


def _latest_view(summary: Item) -> dict[str, Any] | None:
    """The kind's most recently changed delivery (or refusal), with every recorded delivery of
    its period."""
    deliveries = [value for name, value in summary.items() if name.startswith(DELIVERY) and isinstance(value, dict)]
    refused = summary.get(REFUSED)
    candidates = [*deliveries, refused] if isinstance(refused, dict) else deliveries
    if not candidates:
        return None
    latest = max(candidates, key=lambda d: str(d.get("updated_at", "")))
    same = [d for d in deliveries if d.get("period") == latest.get("period")]
    view = run_view(latest)
    view["deliveries"] = [run_view(d) for d in sorted(same, key=lambda d: str(d.get("recipient", "")))]
    return view


def last_runs(store: Store) -> dict[str, dict[str, Any] | None]:
    """Every kind's last recorded run (as `last_run`): one Query of the summaries' partition."""
    pk, prefix = keys.report_latest_all()
    return {str(item.get("kind")): _latest_view(item) for item in store.query(pk, sk_prefix=prefix)}


def last_run(store: Store, kind: str) -> dict[str, Any] | None:
    """The kind's most recently recorded run, with every delivery of its period (one GetItem of
    its summary). `message_id` is the newest delivery's; `deliveries` lists each recipient's."""
    summary = store.get(*keys.report_latest(kind), consistent=True)
    return _latest_view(summary) if summary else None


def backfill_latest(store: Store, kinds: Sequence[str]) -> int:
    """Once, after deploying the summaries: write each kind's summary from its run items (one
    Query per kind), for the kinds that have runs but no summary yet. Returns how many."""
    written = 0
    for kind in kinds:
        if store.get(*keys.report_latest(kind), consistent=True):
            continue
        pk, prefix = keys.report_runs(kind)
        items = store.query(pk, sk_prefix=prefix, consistent=True)
        if not items:
            continue
        latest_pk, latest_sk = keys.report_latest(kind)
        summary: Item = {"pk": latest_pk, "sk": latest_sk, "type": "report_latest", "kind": kind}
        for item in sorted(items, key=lambda i: str(i.get("updated_at", ""))):
            summary[DELIVERY + str(item.get("recipient") or _owner())] = run_view(item)
        store.put(summary, condition="attribute_not_exists(pk)")
        written += 1
    return written


def get_run(store: Store, kind: str, period: str, recipient: str | None = None) -> Item | None:
    """The run of (kind, period) to `recipient` (default: the owner)."""
    return store.get(*keys.report_run(kind, period, recipient or _owner()), consistent=True)
