"""A sail's two checklists: `departure` (before leaving the dock) and `return` (after).

Every new sail gets the items of `checklist_templates.toml` (data shipped in the layer).
Each item is its own record in the sail's partition, so ticking one is one small conditional
write that never overwrites another person's tick. Ticking records who and when; every tick,
untick and admin edit is written with its history entry in the same transaction, which
fails while the sail is not scheduled (`repositories/checklists.py` stores them).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from quarterdeck.clock import Clock, system_clock
from quarterdeck.errors import ChecklistItemNotFoundError, InvalidInputError, SailCancelledError
from quarterdeck.repositories import Item
from quarterdeck.repositories.checklists import ChecklistRepository, new_checklist_records
from quarterdeck.validation import text_field

LISTS = ("departure", "return")
TEMPLATES_FILE = Path(__file__).with_name("checklist_templates.toml")
MAX_ITEMS = 40  # per list; keys carry two digits and a sail's create stays one transaction
LABEL_MAX = 160


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


def template_labels() -> dict[str, list[str]]:
    """`{list: [label, ...]}` of the templates: what a new sail's checklists start with."""
    return {name: list(section["items"]) for name, section in templates().items()}


def new_checklist_items(sail_id: str) -> list[Item]:
    """The template items of both lists for a new sail, numbered from 1, as stored (the
    sail's create writes them; `repositories.checklists.new_checklist_writes` for a
    repository's transaction)."""
    return new_checklist_records(sail_id, template_labels())


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


def set_item_done(
    checklists: ChecklistRepository,
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
    item = checklists.set_done(sail_id, list_name(checklist), item_number(n), done, actor=actor_email, at=clock())
    return checklist_item_view(item)


def add_item(
    checklists: ChecklistRepository,
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
    numbers = checklists.item_numbers(sail_id, checklist)
    if len(numbers) >= MAX_ITEMS:
        raise InvalidInputError(f"A checklist holds at most {MAX_ITEMS} items.", field="label")
    number = max(numbers, default=0) + 1
    if number > 99:
        raise InvalidInputError("This checklist has run out of item numbers.", field="label")
    return checklist_item_view(checklists.add(sail_id, checklist, number, text, actor=actor_email, at=clock()))


def rename_item(
    checklists: ChecklistRepository,
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
    return checklist_item_view(checklists.rename(sail_id, checklist, number, text, actor=actor_email, at=clock()))


def remove_item(
    checklists: ChecklistRepository,
    actor_email: str,
    sail_id: str,
    checklist: str,
    n: object,
    *,
    clock: Clock = system_clock,
) -> None:
    checklists.remove(sail_id, list_name(checklist), item_number(n), actor=actor_email, at=clock())


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
    "template_labels",
    "templates",
]
