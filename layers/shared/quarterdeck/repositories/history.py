"""A sail's history: every change appended as its own item in the sail's partition.

Repositories add `history_write(...)` to the same transaction as the change itself,
so a change and its history entry are written together or not at all.
"""

from __future__ import annotations

from typing import Any

from quarterdeck import keys
from quarterdeck.clock import Clock, iso, new_id, system_clock
from quarterdeck.store import Item, Write


def history_write(
    sail_id: str, actor: str, action: str, detail: dict[str, Any] | None = None, *, clock: Clock = system_clock
) -> Write:
    now = clock()
    at = iso(now)
    # The sort key keeps microseconds so changes within one second stay in order.
    pk, sk = keys.history_entry(sail_id, now.isoformat(timespec="microseconds"), new_id())
    item: Item = {"pk": pk, "sk": sk, "type": "history", "at": at, "actor": actor, "action": action}
    if detail:
        item["detail"] = detail
    return Write("Put", item=item)


def history_view(item: Item) -> dict[str, Any]:
    return {k: item[k] for k in ("at", "actor", "action", "detail") if k in item}
