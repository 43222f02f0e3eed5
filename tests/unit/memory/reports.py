"""ReportRunRepository in memory: a dict of runs by (kind, period, recipient) and one summary per
kind; the cards a record carries go to a MemoryTaskRepository (created where missing)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from quarterdeck.clock import epoch, iso
from quarterdeck.errors import RunHeldError, RunTakenOverError
from quarterdeck.repositories import Item
from quarterdeck.repositories.reports import LatestRuns
from tests.unit.memory.tasks import MemoryTaskRepository


class MemoryReportRunRepository:
    def __init__(self, tasks: MemoryTaskRepository | None = None) -> None:
        self.runs: dict[tuple[str, str, str], Item] = {}
        self.summaries: dict[str, dict[str, Any]] = {}  # kind -> {"deliveries": {recipient: view}, "refused": view}
        self.tasks = tasks if tasks is not None else MemoryTaskRepository()

    def claim(
        self, kind: str, period: str, recipient: str, *, attempt: str, now: datetime, lease_until: int, force: bool
    ) -> Item:
        key = (kind, period, recipient)
        current = self.runs.get(key)
        if current is not None:
            leased = "lease_until" in current and int(current["lease_until"]) >= epoch(now)
            if leased or (not force and "message_id" in current):
                raise RunHeldError(copy.deepcopy(current))
        item = copy.deepcopy(current) if current else {}
        at = iso(now)
        item.update(
            type="report_run",
            kind=kind,
            period=period,
            recipient=recipient,
            status="claimed",
            attempt=attempt,
            claimed_at=at,
            lease_until=lease_until,
            updated_at=at,
            attempts=int(item.get("attempts", 0)) + 1,
        )
        self.runs[key] = item
        return copy.deepcopy(item)

    def _held_by(self, key: tuple[str, str, str], attempt: str) -> Item:
        current = self.runs.get(key)
        if current is None or current.get("attempt") != attempt:
            raise RunTakenOverError("the run was taken over before it was recorded")
        return copy.deepcopy(current)

    def _summarise(self, kind: str, recipient: str, view: Mapping[str, Any]) -> None:
        summary = self.summaries.setdefault(kind, {"deliveries": {}, "refused": None})
        summary["deliveries"][recipient] = copy.deepcopy(dict(view))

    def record_sent(
        self,
        kind: str,
        period: str,
        recipient: str,
        *,
        attempt: str,
        now: datetime,
        message_id: str,
        recipients: Sequence[str],
        subject: str,
        tasks: int,
        forced: bool,
        view: Mapping[str, Any],
        cards: Sequence[Item] = (),
    ) -> None:
        key = (kind, period, recipient)
        item = self._held_by(key, attempt)
        at = iso(now)
        item.update(
            status="sent",
            message_id=message_id,
            sent_at=at,
            updated_at=at,
            recipients=list(recipients),
            subject=subject,
            tasks=tasks,
            forced=forced,
            message_ids=[*item.get("message_ids", []), message_id],
            sends=int(item.get("sends", 0)) + 1,
        )
        item.pop("lease_until", None)
        item.pop("error", None)
        self.runs[key] = item
        self._summarise(kind, recipient, view)
        self.tasks.file_cards(cards)

    def record_failed(
        self,
        kind: str,
        period: str,
        recipient: str,
        *,
        attempt: str,
        now: datetime,
        status: str,
        error: str,
        message_id: str | None,
        view: Mapping[str, Any],
    ) -> None:
        key = (kind, period, recipient)
        item = self._held_by(key, attempt)
        at = iso(now)
        item.update(status=status, error=error, failed_at=at, updated_at=at)
        if message_id:
            item.update(message_id=message_id, sent_at=at)
        item.pop("lease_until", None)
        self.runs[key] = item
        self._summarise(kind, recipient, view)

    def record_refusal(self, kind: str, now: datetime, view: Mapping[str, Any]) -> None:
        summary = self.summaries.setdefault(kind, {"deliveries": {}, "refused": None})
        summary["refused"] = copy.deepcopy(dict(view))

    def get_run(self, kind: str, period: str, recipient: str) -> Item | None:
        item = self.runs.get((kind, period, recipient))
        return copy.deepcopy(item) if item is not None else None

    def period_runs(self, kind: str, period: str) -> list[Item]:
        found = [(key[2], item) for key, item in self.runs.items() if key[:2] == (kind, period)]
        return [copy.deepcopy(item) for _, item in sorted(found, key=lambda pair: pair[0])]

    def _latest(self, kind: str) -> LatestRuns:
        summary = self.summaries[kind]
        deliveries = tuple(copy.deepcopy(v) for _, v in sorted(summary["deliveries"].items()))
        return LatestRuns(kind, deliveries, copy.deepcopy(summary["refused"]))

    def latest(self, kind: str) -> LatestRuns | None:
        return self._latest(kind) if kind in self.summaries else None

    def all_latest(self) -> list[LatestRuns]:
        return [self._latest(kind) for kind in sorted(self.summaries)]
