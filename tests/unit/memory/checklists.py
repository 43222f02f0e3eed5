"""ChecklistRepository in memory: the sails' statuses, their items and their history entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quarterdeck.clock import iso
from quarterdeck.errors import ConflictError, SailCancelledError
from quarterdeck.repositories import Item
from quarterdeck.repositories.checklists import ADDED_AT_ONCE, CLOSED, CLOSED_OR_GONE, missing


@dataclass(frozen=True)
class Entry:
    """One history entry, as the sail's page shows it."""

    sail_id: str
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class MemoryChecklistRepository:
    def __init__(self) -> None:
        self.sails: dict[str, str] = {}  # sail id -> status
        self.items: dict[tuple[str, str, int], Item] = {}  # (sail, list, n) -> item
        self.history: list[Entry] = []
        self.taken_meanwhile: set[tuple[str, str, int]] = set()  # `add` loses a race for these numbers

    # --- what a test starts from ------------------------------------------------------
    def add_sail(self, sail_id: str, labels: Mapping[str, Sequence[str]], *, status: str = "scheduled") -> None:
        self.sails[sail_id] = status
        for checklist, found in labels.items():
            for n, label in enumerate(found, start=1):
                self.items[(sail_id, checklist, n)] = {
                    "type": "check",
                    "list": checklist,
                    "n": n,
                    "label": label,
                    "done": False,
                }

    # --- the protocol ---------------------------------------------------------------
    def item_numbers(self, sail_id: str, checklist: str) -> list[int]:
        return sorted(n for (sail, name, n) in self.items if sail == sail_id and name == checklist)

    def set_done(self, sail_id: str, checklist: str, n: int, done: bool, *, actor: str, at: datetime) -> Item:
        item = self._changeable(sail_id, checklist, n)
        if done:
            item.update(done=True, done_by=actor, done_at=iso(at))
        else:
            item["done"] = False
            item.pop("done_by", None)
            item.pop("done_at", None)
        action = "checklist_ticked" if done else "checklist_unticked"
        self._record(sail_id, at, actor, action, {"list": checklist, "n": n})
        return dict(item)

    def add(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        if self.sails.get(sail_id) != "scheduled":
            raise SailCancelledError(CLOSED_OR_GONE)
        if (sail_id, checklist, n) in self.items or (sail_id, checklist, n) in self.taken_meanwhile:
            raise ConflictError(ADDED_AT_ONCE)
        item: Item = {"type": "check", "list": checklist, "n": n, "label": label, "done": False}
        self.items[(sail_id, checklist, n)] = item
        self._record(sail_id, at, actor, "checklist_item_added", {"list": checklist, "n": n, "label": label})
        return dict(item)

    def rename(self, sail_id: str, checklist: str, n: int, label: str, *, actor: str, at: datetime) -> Item:
        item = self._changeable(sail_id, checklist, n)
        item["label"] = label
        self._record(sail_id, at, actor, "checklist_item_renamed", {"list": checklist, "n": n, "label": label})
        return dict(item)

    def remove(self, sail_id: str, checklist: str, n: int, *, actor: str, at: datetime) -> None:
        self._changeable(sail_id, checklist, n)
        del self.items[(sail_id, checklist, n)]
        self._record(sail_id, at, actor, "checklist_item_removed", {"list": checklist, "n": n})

    # --- the conditions ---------------------------------------------------------------
    def _changeable(self, sail_id: str, checklist: str, n: int) -> Item:
        item = self.items.get((sail_id, checklist, n))
        if item is None:
            raise missing(checklist, n)
        if self.sails.get(sail_id) != "scheduled":
            raise SailCancelledError(CLOSED)
        return item

    def _record(self, sail_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
        self.history.append(Entry(sail_id, at, actor, action, detail))
