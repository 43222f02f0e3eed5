"""TaskRepository in memory: a dict of tasks by id; each read is noted in `reads`."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import FoundActions, stale_task_error, task_not_found

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
        task_id: str,
        *,
        version: int,
        changes: Mapping[str, Any],
        status: str,
        now: str,
        history: Sequence[Mapping[str, Any]] | None = None,
    ) -> Item:
        while self.before_update:
            self.before_update.pop(0)()
        current = self.tasks.get(task_id)
        if current is None:
            raise task_not_found()
        if int(current.get("version", 1)) != version:
            raise stale_task_error(int(current.get("version", 1)))
        item = copy.deepcopy(current)
        for name, value in changes.items():
            if value is None:
                item.pop(name, None)
            else:
                item[name] = copy.deepcopy(value)
        item.update(version=version + 1, updated_at=now)  # `status` sorts it: the field changes only in `changes`
        if history is not None:
            item["history"] = [dict(h) for h in history]
        self.tasks[task_id] = item
        return copy.deepcopy(item)

    def column(self, status: str, *, limit: int | None = None) -> list[Item]:
        self.reads.append(f"column {status}")
        items = _recent_first([i for i in self.tasks.values() if i.get("status") == status])
        return self._out(items[:limit] if limit is not None else items)

    def open_tasks(self) -> list[Item]:
        self.reads.append("open")
        return self._out(
            [t for s in _OPEN for t in _recent_first([i for i in self.tasks.values() if i["status"] == s])]
        )
