"""A sail's checklist items: each its own record in the sail's partition (`CHECK#<list>#<nn>`).

Every change (tick, untick, add, rename, remove) is one transaction of three named actions:
the change to the `item`, a check that the `sail` is still scheduled, and its history entry.
A cancellation is decided by those names: no `item` → ChecklistItemNotFoundError, a `sail`
that is cancelled or gone → SailCancelledError, anything else → ConflictError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.clock import iso
from quarterdeck.errors import ChecklistItemNotFoundError, ConflictError, SailCancelledError
from quarterdeck.repositories import Item
from quarterdeck.repositories.history import history_write
from quarterdeck.store import Store, TransactionCanceledError, Write

ITEM, SAIL, HISTORY = "item", "sail", "history"  # the names of a change's actions
CLOSED = "This sail is cancelled; its checklists are closed."
CLOSED_OR_GONE = "This sail is cancelled (or gone); its checklists are closed."
CHANGED = "The checklist changed at the same time; please try again."
ADDED_AT_ONCE = "Someone added an item at the same time; please try again."


def missing(checklist: str, n: int) -> ChecklistItemNotFoundError:
    return ChecklistItemNotFoundError(f"There is no {checklist} item {n} on this sail.")


class ChecklistRepository(Protocol):
    """What the checklists domain asks of storage. Items cross without pk/sk."""

    def item_numbers(self, sail_id: str, checklist: str) -> list[int]:
        """The numbers of one list's items on a sail (read strongly: an admin adds next)."""
        ...

    def set_done(self, sail_id: str, checklist: str, n: int, done: bool, *, actor: str, at: datetime) -> Item:
        """Tick (who and when) or untick an item, with its history entry; the item afterwards."""
        ...

    def add(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        """Create item `n` (not there yet) with its history entry; the new item."""
        ...

    def rename(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        """Change an item's label, with its history entry; the item afterwards."""
        ...

    def remove(self, sail_id: str, checklist: str, n: int, *, actor: str, at: datetime) -> None:
        """Delete an item, with its history entry."""
        ...


def checklist_record(sail_id: str, checklist: str, n: int, label: str) -> Item:
    """A new, unticked item as it is stored (with its keys)."""
    pk, sk = keys.checklist_item(sail_id, checklist, n)
    return {"pk": pk, "sk": sk, "type": "check", "list": checklist, "n": n, "label": label, "done": False}


def new_checklist_records(sail_id: str, labels: Mapping[str, Sequence[str]]) -> list[Item]:
    """`{list: [label, ...]}` as a new sail's items, numbered from 1 in each list."""
    return [
        checklist_record(sail_id, checklist, n, label)
        for checklist, items in labels.items()
        for n, label in enumerate(items, start=1)
    ]


def new_checklist_writes(sail_id: str, labels: Mapping[str, Sequence[str]]) -> list[Write]:
    """The Puts of a new sail's checklist items, for the sail's create transaction."""
    return [Write("Put", item=item) for item in new_checklist_records(sail_id, labels)]


def _without_keys(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}


def _still_scheduled(sail_id: str) -> Write:
    pk, sk = keys.sail(sail_id)
    return Write(
        "ConditionCheck",
        key={"pk": pk, "sk": sk},
        name=SAIL,
        condition="attribute_exists(pk) AND #status = :scheduled",
        names={"#status": "status"},
        values={":scheduled": "scheduled"},
    )


@dataclass(frozen=True)
class _Change:
    """One change to one item, by one person at one moment: its item's writes and its history."""

    sail_id: str
    checklist: str
    n: int
    actor: str
    at: datetime

    def key(self) -> Item:
        pk, sk = keys.checklist_item(self.sail_id, self.checklist, self.n)
        return {"pk": pk, "sk": sk}

    def update(self, expression: str, values: dict[str, Any]) -> Write:
        """An update of the item, which must exist."""
        return Write(
            "Update", key=self.key(), name=ITEM, update=expression, condition="attribute_exists(pk)", values=values
        )

    def history(self, action: str, label: str | None = None) -> Write:
        detail: dict[str, Any] = {"list": self.checklist, "n": self.n}
        if label is not None:
            detail["label"] = label
        entry = history_write(self.sail_id, self.actor, action, detail, clock=lambda: self.at)
        entry.name = HISTORY
        return entry


class DynamoChecklistRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def item_numbers(self, sail_id: str, checklist: str) -> list[int]:
        _, first = keys.checklist_item(sail_id, checklist, 0)  # "CHECK#<list>#00"
        found = self._store.query(keys.sail_partition(sail_id), sk_prefix=first.rstrip("0"), consistent=True)
        return [int(item["n"]) for item in found]

    def set_done(self, sail_id: str, checklist: str, n: int, done: bool, *, actor: str, at: datetime) -> Item:
        change = _Change(sail_id, checklist, n, actor, at)
        if done:
            item = change.update(
                "SET done = :true, done_by = :who, done_at = :now", {":true": True, ":who": actor, ":now": iso(at)}
            )
        else:
            item = change.update("SET done = :false REMOVE done_by, done_at", {":false": False})
        self._transact(change, item, "checklist_ticked" if done else "checklist_unticked")
        return self._read(sail_id, checklist, n)

    def add(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        change = _Change(sail_id, checklist, n, actor, at)
        record = checklist_record(sail_id, checklist, n, label)
        item = Write("Put", item=record, name=ITEM, condition="attribute_not_exists(pk)")
        try:
            self._store.transact([item, _still_scheduled(sail_id), change.history("checklist_item_added", label)])
        except TransactionCanceledError as lost:
            if SAIL in lost.failed:
                raise SailCancelledError(CLOSED_OR_GONE) from None
            raise ConflictError(ADDED_AT_ONCE) from None
        return _without_keys(record)

    def rename(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        change = _Change(sail_id, checklist, n, actor, at)
        self._transact(change, change.update("SET label = :label", {":label": label}), "checklist_item_renamed", label)
        return self._read(sail_id, checklist, n)

    def remove(self, sail_id: str, checklist: str, n: int, *, actor: str, at: datetime) -> None:
        change = _Change(sail_id, checklist, n, actor, at)
        item = Write("Delete", key=change.key(), name=ITEM, condition="attribute_exists(pk)")
        self._transact(change, item, "checklist_item_removed")

    def _transact(self, change: _Change, item: Write, action: str, label: str | None = None) -> None:
        """The change to the item, the sail's check and the history entry, all or nothing."""
        try:
            self._store.transact([item, _still_scheduled(change.sail_id), change.history(action, label)])
        except TransactionCanceledError as lost:
            if ITEM in lost.failed:
                raise missing(change.checklist, change.n) from None
            if SAIL in lost.failed:
                raise SailCancelledError(CLOSED) from None
            raise ConflictError(CHANGED) from None

    def _read(self, sail_id: str, checklist: str, n: int) -> Item:
        item = self._store.get(*keys.checklist_item(sail_id, checklist, n), consistent=True)
        if item is None:  # deleted by an admin between the write and this read
            raise missing(checklist, n)
        return _without_keys(item)
