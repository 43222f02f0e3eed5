"""A sail's two checklists: `departure` (before leaving the dock) and `return` (after).

Every new sail gets the items of `checklist_templates.toml` (data shipped in the layer).
Each item is its own record in the sail's partition (`CHECK#<list>#<nn>`), so ticking one
is one small conditional write that never overwrites another person's tick. Ticking records
who and when; every tick, untick and admin edit is written with its history entry in the
same transaction.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from quarterdeck import keys
from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.errors import ConflictError, InvalidInputError, NotFoundError
from quarterdeck.repositories.history import history_write
from quarterdeck.store import Item, Store, TransactionCanceledError, Write
from quarterdeck.validation import text_field

LISTS = ("departure", "return")
TEMPLATES_FILE = Path(__file__).with_name("checklist_templates.toml")
MAX_ITEMS = 40  # per list; keys carry two digits and a sail's create stays one transaction
LABEL_MAX = 160


class ChecklistItemNotFoundError(NotFoundError):
    code = "checklist_item_not_found"


class SailCancelledError(ConflictError):
    code = "sail_cancelled"


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, Any]]:
    """`{list: {"title": str, "items": [label, ...]}}` from the layer's TOML file."""
    with TEMPLATES_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    found: dict[str, dict[str, Any]] = {}
    for name in LISTS:
        section = data.get(name) or {}
        items = [" ".join(str(label).split()) for label in section.get("items", [])]
        if not items or len(items) > MAX_ITEMS or any(not label for label in items):
            raise ValueError(f"checklist template {name!r} needs 1 to {MAX_ITEMS} non-empty items")
        found[name] = {"title": str(section.get("title") or name.title()), "items": items}
    return found


def list_name(value: str) -> str:
    if value not in LISTS:
        raise InvalidInputError("The checklist is 'departure' or 'return'.", field="list")
    return value


def item_number(value: object) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInputError("The item number is a whole number.", field="n") from None
    if not 1 <= number <= 99:
        raise InvalidInputError("The item number is between 1 and 99.", field="n")
    return number


def checklist_record(sail_id: str, checklist: str, n: int, label: str) -> Item:
    pk, sk = keys.checklist_item(sail_id, checklist, n)
    return {"pk": pk, "sk": sk, "type": "check", "list": checklist, "n": n, "label": label, "done": False}


def new_checklist_items(sail_id: str) -> list[Item]:
    """The template items of both lists for a new sail, numbered from 1."""
    return [
        checklist_record(sail_id, name, n, label)
        for name, section in templates().items()
        for n, label in enumerate(section["items"], start=1)
    ]


def checklist_item_view(item: Item) -> dict[str, Any]:
    view: dict[str, Any] = {"n": int(item["n"]), "label": item["label"], "done": bool(item.get("done"))}
    for name in ("done_by", "done_at"):
        if item.get(name):
            view[name] = item[name]
    return view


def checklists_view(items: list[Item]) -> dict[str, dict[str, Any]]:
    """`{list: {title, items: [...], done, total}}` from a sail's CHECK# items."""
    shaped: dict[str, dict[str, Any]] = {}
    for name in LISTS:
        mine = sorted((i for i in items if i.get("type") == "check" and i.get("list") == name), key=lambda i: i["n"])
        views = [checklist_item_view(i) for i in mine]
        shaped[name] = {
            "title": templates()[name]["title"],
            "items": views,
            "done": sum(1 for v in views if v["done"]),
            "total": len(views),
        }
    return shaped


def _still_scheduled(sail_id: str) -> Write:
    pk, sk = keys.sail(sail_id)
    return Write(
        "ConditionCheck",
        key={"pk": pk, "sk": sk},
        condition="attribute_exists(pk) AND #status = :scheduled",
        names={"#status": "status"},
        values={":scheduled": "scheduled"},
    )


def _transact(store: Store, writes: list[Write], what: str) -> None:
    try:
        store.transact(writes)
    except TransactionCanceledError as lost:
        reasons = lost.reasons
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise ChecklistItemNotFoundError(f"There is no {what} on this sail.") from None
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise SailCancelledError("This sail is cancelled; its checklists are closed.") from None
        raise ConflictError("The checklist changed at the same time; please try again.") from None


def set_item_done(
    store: Store,
    actor_email: str,
    sail_id: str,
    checklist: str,
    n: object,
    done: bool,
    *,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Tick (or untick) one item, recording who and when. Setting a state is idempotent,
    so a tick queued offline and sent twice does no harm."""
    checklist = list_name(checklist)
    number = item_number(n)
    now = iso(clock())
    pk, sk = keys.checklist_item(sail_id, checklist, number)
    if done:
        update = "SET done = :true, done_by = :who, done_at = :now"
        values: dict[str, Any] = {":true": True, ":who": actor_email, ":now": now}
    else:
        update = "SET done = :false REMOVE done_by, done_at"
        values = {":false": False}
    writes = [
        Write(
            "Update",
            key={"pk": pk, "sk": sk},
            update=update,
            condition="attribute_exists(pk)",
            values=values,
        ),
        _still_scheduled(sail_id),
        history_write(
            sail_id,
            actor_email,
            "checklist_ticked" if done else "checklist_unticked",
            {"list": checklist, "n": number},
            clock=clock,
        ),
    ]
    _transact(store, writes, f"{checklist} item {number}")
    item = store.get(pk, sk, consistent=True)
    if item is None:  # deleted by an admin between the write and this read
        raise ChecklistItemNotFoundError(f"There is no {checklist} item {number} on this sail.")
    return checklist_item_view(item)


def add_item(
    store: Store,
    actor_email: str,
    sail_id: str,
    checklist: str,
    label: object,
    *,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Append an item to one list of a sail (admin)."""
    checklist = list_name(checklist)
    text = text_field(label, "label", max_length=LABEL_MAX)
    pk = keys.sail_partition(sail_id)
    _, first_key = keys.checklist_item(sail_id, checklist, 0)  # "CHECK#<list>#00"
    existing = store.query(pk, sk_prefix=first_key.rstrip("0"), consistent=True)
    numbers = [int(i["n"]) for i in existing]
    if len(numbers) >= MAX_ITEMS:
        raise InvalidInputError(f"A checklist holds at most {MAX_ITEMS} items.", field="label")
    number = max(numbers, default=0) + 1
    if number > 99:
        raise InvalidInputError("This checklist has run out of item numbers.", field="label")
    record = checklist_record(sail_id, checklist, number, text)
    writes = [
        Write("Put", item=record, condition="attribute_not_exists(pk)"),
        _still_scheduled(sail_id),
        history_write(
            sail_id, actor_email, "checklist_item_added", {"list": checklist, "n": number, "label": text}, clock=clock
        ),
    ]
    try:
        store.transact(writes)
    except TransactionCanceledError as lost:
        if len(lost.reasons) > 1 and lost.reasons[1] == "ConditionalCheckFailed":
            raise SailCancelledError("This sail is cancelled (or gone); its checklists are closed.") from None
        raise ConflictError("Someone added an item at the same time; please try again.") from None
    return checklist_item_view(record)


def rename_item(
    store: Store,
    actor_email: str,
    sail_id: str,
    checklist: str,
    n: object,
    label: object,
    *,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    checklist = list_name(checklist)
    number = item_number(n)
    text = text_field(label, "label", max_length=LABEL_MAX)
    pk, sk = keys.checklist_item(sail_id, checklist, number)
    writes = [
        Write(
            "Update",
            key={"pk": pk, "sk": sk},
            update="SET label = :label",
            condition="attribute_exists(pk)",
            values={":label": text},
        ),
        _still_scheduled(sail_id),
        history_write(
            sail_id, actor_email, "checklist_item_renamed", {"list": checklist, "n": number, "label": text}, clock=clock
        ),
    ]
    _transact(store, writes, f"{checklist} item {number}")
    item = store.get(pk, sk, consistent=True)
    if item is None:
        raise ChecklistItemNotFoundError(f"There is no {checklist} item {number} on this sail.")
    return checklist_item_view(item)


def remove_item(
    store: Store,
    actor_email: str,
    sail_id: str,
    checklist: str,
    n: object,
    *,
    clock: Clock = system_clock,
) -> None:
    checklist = list_name(checklist)
    number = item_number(n)
    pk, sk = keys.checklist_item(sail_id, checklist, number)
    writes = [
        Write("Delete", key={"pk": pk, "sk": sk}, condition="attribute_exists(pk)"),
        _still_scheduled(sail_id),
        history_write(sail_id, actor_email, "checklist_item_removed", {"list": checklist, "n": number}, clock=clock),
    ]
    _transact(store, writes, f"{checklist} item {number}")


__all__ = [
    "LISTS",
    "ChecklistItemNotFoundError",
    "SailCancelledError",
    "add_item",
    "checklists_view",
    "new_checklist_items",
    "remove_item",
    "rename_item",
    "set_item_done",
    "templates",
]
