"""TaskRepository in memory: a dict of tasks by id; each read is noted in `reads`."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import FoundActions, changed_task, stale_task_error, task_not_found

_OPEN = ("pending", "in_review")


def _recent_first(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (str(i.get("updated_at", "")), str(i["id"])), reverse=True)


class MemoryTaskRepository:
    def __init__(self) -> None:
        self.tasks: dict[str, Item] = {}
        self.reads: list[str] = []  # "column <status>" or "open": the reads the domain asked for
        self.read_ids: list[str] = []  # the ids of the tasks those reads returned
        self.before_update: list[Any] = []  # callables run (and dropped) before the next update
        self.found: dict[str, FoundActions] = {}  # by kind

    def _out(self, items: list[Item]) -> list[Item]:
        self.read_ids.extend(str(i["id"]) for i in items)
        return [copy.deepcopy(i) for i in items]

    def create(self, item: Item) -> Item:
        existing = self.tasks.get(str(item["id"]))
        if existing is not None:
            return copy.deepcopy(existing)
        self.tasks[str(item["id"])] = copy.deepcopy(item)
        return copy.deepcopy(item)

    def add_many(self, items: Sequence[Item]) -> None:
        for item in items:
            self.tasks[str(item["id"])] = copy.deepcopy(item)

    def file_cards(self, items: Sequence[Item]) -> None:
        for item in items:
            self.create(item)

    def get(self, task_id: str, *, consistent: bool = False) -> Item | None:
        item = self.tasks.get(task_id)
        return copy.deepcopy(item) if item is not None else None

    def get_many(self, task_ids: Collection[str]) -> dict[str, Item]:
        return {i: copy.deepcopy(self.tasks[i]) for i in task_ids if i in self.tasks}

    def found_actions(self, kind: str) -> FoundActions | None:
        return self.found.get(kind)

    def record_found_actions(self, found: FoundActions, *, now: str) -> None:
        self.found[found.kind] = found

    def update(
        self,
        current: Item,
        *,
        changes: Mapping[str, Any],
        now: str,
        history: Sequence[Mapping[str, Any]] | None = None,
    ) -> Item:
        while self.before_update:
            self.before_update.pop(0)()
        stored = self.tasks.get(str(current["id"]))
        if stored is None:
            raise task_not_found()
        if int(stored.get("version", 1)) != int(current.get("version", 1)):
            raise stale_task_error(int(stored.get("version", 1)))
        self.tasks[str(current["id"])] = changed_task(stored, changes, now=now, history=history)
        return copy.deepcopy(self.tasks[str(current["id"])])

    def column(self, status: str, *, limit: int | None = None) -> list[Item]:
        self.reads.append(f"column {status}")
        items = _recent_first([i for i in self.tasks.values() if i.get("status") == status])
        return self._out(items[:limit] if limit is not None else items)

    def open_tasks(self) -> list[Item]:
        self.reads.append("open")
        return self._out(
            [t for s in _OPEN for t in _recent_first([i for i in self.tasks.values() if i["status"] == s])]
        )
