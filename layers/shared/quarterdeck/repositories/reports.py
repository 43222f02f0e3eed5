"""Report runs: one item per delivery, `REPORT#<kind>` / `RUN#<period>#<recipient>`, and one
summary item per kind, `REPORTS` / `LATEST#<kind>` (one attribute `to#<recipient>` per
recipient: that recipient's latest delivery; `refused`: the latest run refused before any
claim), so the reports page reads every kind's summary in one Query.

A run is claimed with one conditional UpdateItem (refused, as `RunHeldError`, when it was sent
already or another run's lease has not expired). Its record (sent or failed) is one transaction
with the kind's summary and the report's cards (`task_upsert_write`): the run's action is named
`run`, and a cancellation on it (our lease expired and another run took over) is
`RunTakenOverError`. Items cross without pk/sk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.clock import epoch, iso
from quarterdeck.errors import RunHeldError, RunTakenOverError
from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import task_upsert_write
from quarterdeck.store import ConditionFailedError, Store, TransactionCanceledError, Write

DELIVERY = "to#"  # a summary item's attribute per recipient: `to#<recipient>`
REFUSED = "refused"  # a summary item's attribute: the latest run that failed before any claim


@dataclass(frozen=True)
class LatestRuns:
    """A kind's summary: each recipient's latest delivery, and the latest refusal (if any)."""

    kind: str
    deliveries: tuple[Item, ...]
    refused: Item | None = None


@dataclass(frozen=True)
class RunRecord:
    """What an attempt records on its run: which run, when, and the view the kind's summary keeps."""

    kind: str
    period: str
    recipient: str
    attempt: str
    now: datetime
    view: Mapping[str, Any]


@dataclass(frozen=True)
class SentRun(RunRecord):
    """A delivery SES took, with the report's cards to file beside it."""

    message_id: str
    recipients: tuple[str, ...]
    subject: str
    tasks: int
    forced: bool
    cards: tuple[Item, ...] = ()

    def fields(self) -> Item:
        """The run's attributes this sets (the twin and DynamoDB write the same)."""
        at = iso(self.now)
        return {
            "status": "sent",
            "message_id": self.message_id,
            "sent_at": at,
            "updated_at": at,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "tasks": self.tasks,
            "forced": self.forced,
        }


@dataclass(frozen=True)
class FailedRun(RunRecord):
    """A send that failed; `message_id` when SES took the message and only its record failed."""

    status: str
    error: str
    message_id: str | None = None

    def fields(self) -> Item:
        at = iso(self.now)
        fields: Item = {"status": self.status, "error": self.error, "failed_at": at, "updated_at": at}
        if self.message_id:
            fields.update(message_id=self.message_id, sent_at=at)
        return fields


def claimed_fields(kind: str, period: str, recipient: str, *, attempt: str, now: datetime, lease_until: int) -> Item:
    """A claimed run's attributes (besides its count of attempts)."""
    at = iso(now)
    return {
        "type": "report_run",
        "kind": kind,
        "period": period,
        "recipient": recipient,
        "status": "claimed",
        "attempt": attempt,
        "claimed_at": at,
        "lease_until": lease_until,
        "updated_at": at,
    }


class ReportRunRepository(Protocol):
    def claim(
        self, kind: str, period: str, recipient: str, *, attempt: str, now: datetime, lease_until: int, force: bool
    ) -> Item:
        """Mark the run (kind, period, recipient) claimed by `attempt` until `lease_until` (epoch
        seconds) and count the attempt; returns the run afterwards. RunHeldError (with the run as
        it is) when it was sent already (unless `force`) or another attempt's lease is still running."""
        ...

    def record_sent(self, run: SentRun) -> None:
        """Mark the run sent (if `run.attempt` still holds it), record `run.view` as the
        recipient's latest delivery on the kind's summary, and create each of `run.cards` that
        does not exist yet: all or nothing. RunTakenOverError when another attempt holds the run."""
        ...

    def record_failed(self, run: FailedRun) -> None:
        """Release the lease with `run.status` and `run.error` (and `run.message_id`, when SES
        took the message) and record `run.view` on the kind's summary: all or nothing.
        RunTakenOverError as above."""
        ...

    def record_refusal(self, kind: str, now: datetime, view: Mapping[str, Any]) -> None:
        """Note `view` as the kind's latest refused run on its summary (no run item)."""
        ...

    def get_run(self, kind: str, period: str, recipient: str) -> Item | None: ...

    def period_runs(self, kind: str, period: str) -> list[Item]:
        """Every delivery of (kind, period), read consistently."""
        ...

    def latest(self, kind: str) -> LatestRuns | None: ...

    def all_latest(self) -> list[LatestRuns]:
        """Every kind's summary (one read)."""
        ...


def _names(*attributes: str) -> dict[str, str]:
    """Every attribute through a placeholder: no clash with DynamoDB's reserved words."""
    return {f"#{name}": name for name in attributes}


def _set(fields: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`SET` each of `fields` to its value: the clause, its names and its values."""
    clause = "SET " + ", ".join(f"#{name} = :{name}" for name in fields)
    return clause, _names(*fields), {f":{name}": value for name, value in fields.items()}


def _plain(item: Item) -> Item:
    return {name: value for name, value in item.items() if name not in ("pk", "sk")}


def _summary(item: Item) -> LatestRuns:
    deliveries = tuple(v for name, v in item.items() if name.startswith(DELIVERY) and isinstance(v, dict))
    refused = item.get(REFUSED)
    return LatestRuns(str(item.get("kind")), deliveries, refused if isinstance(refused, dict) else None)


class DynamoReportRunRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(
        self, kind: str, period: str, recipient: str, *, attempt: str, now: datetime, lease_until: int, force: bool
    ) -> Item:
        pk, sk = keys.report_run(kind, period, recipient)
        free = "(attribute_not_exists(#lease_until) OR #lease_until < :now)"
        condition = free if force else f"attribute_not_exists(#message_id) AND {free}"
        fields = claimed_fields(kind, period, recipient, attempt=attempt, now=now, lease_until=lease_until)
        update, names, values = _set(fields)
        try:
            item = self.store.update(
                pk,
                sk,
                update + " ADD #attempts :one",
                condition=condition,
                names={**names, **_names("attempts", *(() if force else ("message_id",)))},
                values={**values, ":now": epoch(now), ":one": 1},
            )
        except ConditionFailedError as lost:
            raise RunHeldError(_plain(lost.current) if lost.current else None) from None
        return _plain(item)

    def _summary_write(self, kind: str, recipient: str, view: Mapping[str, Any], now: datetime) -> Write:
        pk, sk = keys.report_latest(kind)
        return Write(
            "Update",
            key={"pk": pk, "sk": sk},
            name="summary",
            update="SET #type = :type, #kind = :kind, #updated_at = :at, #delivery = :view",
            names={"#type": "type", "#kind": "kind", "#updated_at": "updated_at", "#delivery": DELIVERY + recipient},
            values={":type": "report_latest", ":kind": kind, ":at": iso(now), ":view": dict(view)},
        )

    def _record(self, run: RunRecord, fields: Item, more: str, names: Sequence[str], values: Item) -> None:
        """One transaction: the run's `fields` set (and `more` done) while `run.attempt` holds it,
        the kind's summary, and the run's cards (a sent run's)."""
        pk, sk = keys.report_run(run.kind, run.period, run.recipient)
        update, set_names, set_values = _set(fields)
        write = Write(
            "Update",
            key={"pk": pk, "sk": sk},
            name="run",
            update=update + more,
            condition="#attempt = :attempt",
            names={**set_names, **_names("attempt", *names)},
            values={**set_values, ":attempt": run.attempt, **values},
        )
        cards = run.cards if isinstance(run, SentRun) else ()
        summary = self._summary_write(run.kind, run.recipient, run.view, run.now)
        try:
            self.store.transact([write, summary, *(task_upsert_write(card) for card in cards)])
        except TransactionCanceledError as error:
            if "run" in error.failed:
                raise RunTakenOverError("the run was taken over before it was recorded") from None
            raise

    def record_sent(self, run: SentRun) -> None:
        self._record(
            run,
            run.fields(),
            ", #message_ids = list_append(if_not_exists(#message_ids, :empty), :ids) "
            "REMOVE #lease_until, #error ADD #sends :one",
            ("message_ids", "lease_until", "error", "sends"),
            {":ids": [run.message_id], ":empty": [], ":one": 1},
        )

    def record_failed(self, run: FailedRun) -> None:
        self._record(run, run.fields(), " REMOVE #lease_until", ("lease_until",), {})

    def record_refusal(self, kind: str, now: datetime, view: Mapping[str, Any]) -> None:
        pk, sk = keys.report_latest(kind)
        self.store.update(
            pk,
            sk,
            "SET #type = :type, #kind = :kind, #updated_at = :at, #refused = :view",
            names=_names("type", "kind", "updated_at", REFUSED),
            values={":type": "report_latest", ":kind": kind, ":at": iso(now), ":view": dict(view)},
        )

    def get_run(self, kind: str, period: str, recipient: str) -> Item | None:
        item = self.store.get(*keys.report_run(kind, period, recipient), consistent=True)
        return _plain(item) if item else None

    def period_runs(self, kind: str, period: str) -> list[Item]:
        pk, prefix = keys.report_runs(kind, period)
        return [_plain(item) for item in self.store.query(pk, sk_prefix=prefix, consistent=True)]

    def latest(self, kind: str) -> LatestRuns | None:
        item = self.store.get(*keys.report_latest(kind), consistent=True)
        return _summary(item) if item else None

    def all_latest(self) -> list[LatestRuns]:
        pk, prefix = keys.report_latest_all()
        return [_summary(item) for item in self.store.query(pk, sk_prefix=prefix)]
