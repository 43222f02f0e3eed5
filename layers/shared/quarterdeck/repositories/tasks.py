"""The tasks of the progress dashboard: one item per task, `TASK#<id>`/`META`.

GSI1 holds each task sorted by `<status>#<updated iso>#<id>`: the open columns (pending, in
review) share the partition `TASKS#open`, completed work has `TASKS#completed`. A column is one
Query of its sort-key prefix (it reads that column's items only); the open columns together are
one Query of their partition. No Scan.

Items cross as plain dicts without pk/sk/gsi1 keys (`quarterdeck.tasks.new_task_item` builds
them); the keys are added here. A change carries the version it read and is one conditional
UpdateItem: a lost condition is `StaleVersionError` (or `TaskNotFoundError` when the task is gone).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.errors import StaleVersionError, TaskNotFoundError
from quarterdeck.repositories import Item
from quarterdeck.store import ConditionFailedError, Store, Write

_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")
_OPEN = "pending"  # any open status names the open columns' shared partition


def stale_task_error(current_version: int) -> StaleVersionError:
    """What a change made from an older version of a task is told."""
    return StaleVersionError(
        f"Someone else changed this task first (it is now at version {current_version}). Reload it and try again.",
        field="version",
    )


def task_not_found() -> TaskNotFoundError:
    return TaskNotFoundError("There is no such task.", field="id")


@dataclass(frozen=True)
class FoundActions:
    """The cards a kind's latest run found (`period`), and what the run before that period found
    (`before`; None when no earlier run is known): a card not in `before` is a condition that
    returned."""

    kind: str
    period: str
    found: frozenset[str]
    before: frozenset[str] | None


class TaskRepository(Protocol):
    def create(self, item: Item) -> Item:
        """Add `item` unless a task with its id exists; returns the task as stored (the existing
        one when there was one: a report's card keyed by its source is created once)."""
        ...

    def add_many(self, items: Sequence[Item]) -> None:
        """Load many tasks at once, unconditionally (seeding, bulk tests)."""
        ...

    def file_cards(self, items: Sequence[Item]) -> None:
        """Create each card that does not exist yet; an existing card is left as it is."""
        ...

    def get(self, task_id: str, *, consistent: bool = False) -> Item | None: ...

    def get_many(self, task_ids: Collection[str]) -> dict[str, Item]:
        """The tasks of `task_ids` that exist, by id (one batch read, consistent)."""
        ...

    def found_actions(self, kind: str) -> FoundActions | None:
        """What the kind's latest run found (None before any run recorded it)."""
        ...

    def record_found_actions(self, found: FoundActions, *, now: str) -> None:
        """Replace the kind's record of what its latest run found."""
        ...

    def update(
        self,
        current: Item,
        *,
        changes: Mapping[str, Any],
        now: str,
        history: Sequence[Mapping[str, Any]] | None = None,
    ) -> Item:
        """If the task is still as `current` (the task as read: its version): write `changes` (a
        None value removes that field), bump the version, set `updated_at` to `now`, sort it as
        changed `now` in its column, and (a move) replace its history with `history`. Returns
        the task afterwards (`changed_task`). StaleVersionError when it moved on,
        TaskNotFoundError when it is gone."""
        ...

    def column(self, status: str, *, limit: int | None = None) -> list[Item]:
        """One column's tasks (or the archived cards), most recently changed first (at most `limit`)."""
        ...

    def open_tasks(self) -> list[Item]:
        """Every task of the open columns (pending, then in review; each most recently changed first)."""
        ...


def _sort_key(status: str, updated_at: str, task_id: str) -> str:
    return f"{keys.tasks_column_prefix(status)}{updated_at}#{task_id}"


def stored_task(item: Item) -> Item:
    """`item` with its table and GSI1 keys."""
    pk, sk = keys.task(str(item["id"]))
    status = str(item["status"])
    return {
        "pk": pk,
        "sk": sk,
        "gsi1pk": keys.tasks_with_status(status),
        "gsi1sk": _sort_key(status, str(item.get("updated_at", "")), str(item["id"])),
        **{name: value for name, value in item.items() if name not in _KEYS},
    }


def changed_task(
    current: Item, changes: Mapping[str, Any], *, now: str, history: Sequence[Mapping[str, Any]] | None
) -> Item:
    """The task `current` after an update (`TaskRepository.update`): `changes` applied (None
    removes a field), the next version, `updated_at` now, and `history` when given."""
    item = {name: copy.deepcopy(value) for name, value in _plain(current).items() if name not in changes}
    item.update({name: copy.deepcopy(value) for name, value in changes.items() if value is not None})
    item.update(version=int(current.get("version", 1)) + 1, updated_at=now)
    if history is not None:
        item["history"] = [dict(entry) for entry in history]
    return item


def _plain(item: Item) -> Item:
    return {name: value for name, value in item.items() if name not in _KEYS}


def task_upsert_write(item: Item) -> Write:
    """A transaction action that creates the task `item` if it does not exist yet and leaves an
    existing one exactly as it is (every attribute `if_not_exists`): how a report files its
    cards in the transaction that records the report, with no condition that could cancel it."""
    stored = stored_task(item)
    fields = [name for name in stored if name not in ("pk", "sk") and stored[name] is not None]
    names = {f"#a{n}": name for n, name in enumerate(fields)}
    values = {f":a{n}": stored[name] for n, name in enumerate(fields)}
    sets = ", ".join(f"#a{n} = if_not_exists(#a{n}, :a{n})" for n in range(len(fields)))
    return Write(
        "Update",
        key={"pk": stored["pk"], "sk": stored["sk"]},
        name="card",
        update="SET " + sets,
        names=names,
        values=values,
    )


class DynamoTaskRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, item: Item) -> Item:
        stored = stored_task(item)
        try:
            self.store.put(stored, condition="attribute_not_exists(pk)")
        except ConditionFailedError as lost:
            existing = lost.current or self.store.get(stored["pk"], stored["sk"], consistent=True)
            if existing is None:  # pragma: no cover - only if the winner was deleted in between
                raise
            return _plain(existing)
        return _plain(stored)

    def add_many(self, items: Sequence[Item]) -> None:
        self.store.put_many([stored_task(item) for item in items])

    def file_cards(self, items: Sequence[Item]) -> None:
        for item in items:
            try:
                self.store.put(stored_task(item), condition="attribute_not_exists(pk)")
            except ConditionFailedError:
                continue  # filed before: left as it is

    def get(self, task_id: str, *, consistent: bool = False) -> Item | None:
        item = self.store.get(*keys.task(task_id), consistent=consistent)
        return _plain(item) if item is not None and item.get("type") == "task" else None

    def get_many(self, task_ids: Collection[str]) -> dict[str, Item]:
        items = self.store.batch_get([keys.task(task_id) for task_id in dict.fromkeys(task_ids)], consistent=True)
        return {str(item["id"]): _plain(item) for item in items if item.get("type") == "task"}

    def found_actions(self, kind: str) -> FoundActions | None:
        item = self.store.get(*keys.report_actions(kind), consistent=True)
        if item is None:
            return None
        before = item.get("before")
        return FoundActions(
            kind=kind,
            period=str(item.get("period", "")),
            found=frozenset(str(i) for i in item.get("found") or []),
            before=None if before is None else frozenset(str(i) for i in before),
        )

    def record_found_actions(self, found: FoundActions, *, now: str) -> None:
        pk, sk = keys.report_actions(found.kind)
        item: Item = {
            "pk": pk,
            "sk": sk,
            "type": "report_actions",
            "kind": found.kind,
            "period": found.period,
            "found": sorted(found.found),
            "updated_at": now,
        }
        if found.before is not None:
            item["before"] = sorted(found.before)
        self.store.put(item)

    def update(
        self,
        current: Item,
        *,
        changes: Mapping[str, Any],
        now: str,
        history: Sequence[Mapping[str, Any]] | None = None,
    ) -> Item:
        task_id, version = str(current["id"]), int(current.get("version", 1))
        status = str(changes.get("status") or current["status"])
        names: dict[str, str] = {"#version": "version", "#updated_at": "updated_at", "#gsi1sk": "gsi1sk"}
        values: dict[str, Any] = {
            ":expected": version,
            ":next": version + 1,
            ":now": now,
            ":sort": _sort_key(status, now, task_id),
        }
        sets = ["#version = :next", "#updated_at = :now", "#gsi1sk = :sort"]
        removes: list[str] = []
        for n, (name, value) in enumerate(changes.items()):
            names[f"#c{n}"] = name
            if value is None:
                removes.append(f"#c{n}")
                continue
            values[f":c{n}"] = value
            sets.append(f"#c{n} = :c{n}")
        if history is not None:
            names["#gsi1pk"], names["#history"] = "gsi1pk", "history"
            values[":column"], values[":history"] = keys.tasks_with_status(status), list(history)
            sets += ["#gsi1pk = :column", "#history = :history"]
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        pk, sk = keys.task(task_id)
        try:
            self.store.update(
                pk,
                sk,
                update,
                condition="attribute_exists(pk) AND #version = :expected",
                names=names,
                values=values,
                returning=False,  # the version condition makes the task afterwards `changed_task`'s
            )
        except ConditionFailedError as lost:
            if lost.current is None:
                raise task_not_found() from None
            raise stale_task_error(int(lost.current.get("version", 1))) from None
        return changed_task(current, changes, now=now, history=history)

    def column(self, status: str, *, limit: int | None = None) -> list[Item]:
        items = self.store.query(
            keys.tasks_with_status(status),
            index="gsi1",
            sk_prefix=keys.tasks_column_prefix(status),
            forward=False,
            limit=limit,
        )
        return [_plain(item) for item in items]

    def open_tasks(self) -> list[Item]:
        return [_plain(item) for item in self.store.query(keys.tasks_with_status(_OPEN), index="gsi1", forward=False)]

    def rekey_legacy_columns(self, statuses: Sequence[str]) -> int:
        """Once, after deploying the shared open partition: move every task still under its old
        column partition (`TASKS#<status>`, sorted by `<updated>#<id>`) to the new keys, with
        conditional updates (safe to run twice, or while people use the board). Queries only."""
        moved = 0
        for status in statuses:
            for item in self.store.iter_query(keys.legacy_tasks_with_status(status), index="gsi1"):
                try:
                    self.store.update(
                        item["pk"],
                        item["sk"],
                        "SET #gsi1pk = :pk, #gsi1sk = :sk",
                        condition="#gsi1pk = :old",
                        names={"#gsi1pk": "gsi1pk", "#gsi1sk": "gsi1sk"},
                        values={
                            ":pk": keys.tasks_with_status(item["status"]),
                            ":sk": _sort_key(item["status"], str(item.get("updated_at", "")), item["id"]),
                            ":old": keys.legacy_tasks_with_status(status),
                        },
                    )
                    moved += 1
                except ConditionFailedError:  # changed meanwhile: its writer set the new keys
                    continue
        return moved
