"""ReportRunRepository in memory: a dict of runs by (kind, period, recipient) and one summary per
kind; the cards a record carries go to a MemoryTaskRepository (created where missing)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from quarterdeck.clock import epoch
from quarterdeck.errors import RunHeldError, RunTakenOverError
from quarterdeck.repositories import Item
from quarterdeck.repositories.reports import FailedRun, LatestRuns, RunRecord, SentRun, claimed_fields
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
        item.update(claimed_fields(kind, period, recipient, attempt=attempt, now=now, lease_until=lease_until))
        item["attempts"] = int(item.get("attempts", 0)) + 1
        self.runs[key] = item
        return copy.deepcopy(item)

    def _record(self, run: RunRecord, fields: Item, *removed: str) -> Item:
        """The run with `fields` set and `removed` gone, kept with the summary's view (if
        `run.attempt` still holds it); returned for the caller's further changes."""
        key = (run.kind, run.period, run.recipient)
        current = self.runs.get(key)
        if current is None or current.get("attempt") != run.attempt:
            raise RunTakenOverError("the run was taken over before it was recorded")
        item = {name: value for name, value in copy.deepcopy(current).items() if name not in removed}
        item.update(fields)
        self.runs[key] = item
        summary = self.summaries.setdefault(run.kind, {"deliveries": {}, "refused": None})
        summary["deliveries"][run.recipient] = copy.deepcopy(dict(run.view))
        return item

    def record_sent(self, run: SentRun) -> None:
        item = self._record(run, run.fields(), "lease_until", "error")
        item["message_ids"] = [*item.get("message_ids", []), run.message_id]
        item["sends"] = int(item.get("sends", 0)) + 1
        self.tasks.file_cards(run.cards)

    def record_failed(self, run: FailedRun) -> None:
        self._record(run, run.fields(), "lease_until")

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
