"""A report's action items become cards on the progress dashboard: one card per action.

An action's identity is its kind, its section and what it is about (`ActionItem.key`, or its
title with the numbers and amounts taken out), never the period: `source_key`. The tasks area
derives the card's id from it (`quarterdeck.tasks.task_id_for`), so every run that finds the
action again finds the same card:

- no card yet: a pending card is created;
- an open card (pending, in review): its evidence (title, detail, source and the period that
  last found it) is brought up to date: never a second card. Its due date stays as set when
  the card was made (or as someone edited it): a deadline does not slide with the report date;
- a completed card: left done while the condition keeps being found; if a run did not find it
  (the condition went away) and a later run finds it again, the same card is reopened, with a
  line in its history saying so;
- an archived card: left alone.

To tell a condition that returned, each kind keeps what its latest run found
(`TaskRepository.found_actions`): every action the strategy found, not only the top ones the
report shows. A run for an earlier period than the latest (a re-run of an old week) only adds
cards that do not exist; it never rewinds evidence or reopens anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.errors import StaleVersionError
from quarterdeck.reports.model import ActionItem, Report
from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import FoundActions, TaskRepository

ACTOR = "reports"
TITLE_MAX, ENTITY_MAX = 200, 80
REFRESHED = ("title", "detail", "entity", "owner", "due", "source", "last_seen")  # a card's evidence (due: if none)
# Numbers, amounts and percentages ("$1,234.50", "4.2", "85%"), not ids such as "S1" or "W48".
_FIGURE = re.compile(r"(?<![A-Za-z0-9])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")


def about(action: ActionItem) -> str:
    """What the action is about, as its identity says it (lower case, figures as #)."""
    text = action.key or _FIGURE.sub("#", action.title)
    return " ".join(text.lower().split())


def source_key(kind: str, action: ActionItem) -> str:
    """The action's identity (no period): the same action, the same key, the same card."""
    return f"report:{kind}:{' '.join(action.section.lower().split())}:{about(action)}"


def source_keys(kind: str, actions: Iterable[ActionItem]) -> list[str]:
    """Each action's key; two actions of one report that say the same get `#2`, `#3`…"""
    keys: list[str] = []
    for action in actions:
        key = source_key(kind, action)
        n = 1
        while (key if n == 1 else f"{key}#{n}") in keys:
            n += 1
        keys.append(key if n == 1 else f"{key}#{n}")
    return keys


def action_task_items(report: Report, clock: Clock = system_clock) -> list[Item]:
    """The report's cards as task items (validated, not written), one per action item shown."""
    from quarterdeck.tasks import new_task_item

    link = f"#/reports?kind={report.kind}&period={report.period.label}"
    shown = source_keys(report.kind, report.actions)
    items: list[Item] = []
    for action, key in zip(report.actions, shown, strict=True):
        detail = f"From the {report.title}, {report.period.describe()}, section “{action.section}”."
        if action.detail:
            detail += "\n\n" + action.detail
        item = new_task_item(
            ACTOR,
            title=action.title if len(action.title) <= TITLE_MAX else action.title[: TITLE_MAX - 1] + "…",
            detail=detail,
            entity=action.entity[:ENTITY_MAX],
            owner=action.owner,
            due=action.due,  # a date the report computed, not typed input: no window applies
            source={"kind": report.kind, "period": report.period.label, "section": action.section, "link": link},
            source_key=key,
            clock=clock,
        )
        item["last_seen"] = report.period.label
        items.append(item)
    return items


@dataclass
class Filed:
    """What a run did to the board."""

    created: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # done (condition not returned), archived, or an older run


def file_action_items(tasks: TaskRepository, report: Report, clock: Clock = system_clock) -> Filed:
    """File the report's cards: create, bring up to date or reopen each (see the module)."""
    from quarterdeck.tasks import task_id_for

    items = action_task_items(report, clock)
    found = frozenset(task_id_for(key) for key in source_keys(report.kind, report.found or report.actions))
    period = report.period.label
    latest = tasks.found_actions(report.kind)
    earlier: frozenset[str] | None
    backfill = latest is not None and latest.period > period
    if latest is None:
        earlier = None  # no run known before this one: nothing can be said to have returned
    elif latest.period == period:
        earlier = latest.before  # the same period run again: compare with the run before it
    else:
        earlier = latest.found
    filed = Filed()
    current = tasks.get_many([str(item["id"]) for item in items])
    for item in items:
        task_id = str(item["id"])
        existing = current.get(task_id)
        if existing is None:
            stored = tasks.create(item)
            if stored.get("created_at") == item["created_at"] and stored.get("history") == item["history"]:
                filed.created.append(task_id)
                continue
            existing = stored  # another run created it in between
        if backfill:
            filed.left.append(task_id)
            continue
        returned = earlier is not None and task_id not in earlier
        _refile(tasks, existing, item, returned=returned, now=clock(), filed=filed)
    if not backfill:
        tasks.record_found_actions(FoundActions(report.kind, period, found, earlier), now=iso(clock()))
    return filed


def _refile(tasks: TaskRepository, existing: Item, item: Item, *, returned: bool, now: datetime, filed: Filed) -> None:
    from quarterdeck.tasks import COMPLETED, OPEN_STATUSES, PENDING, history_entry, with_history

    task_id = str(item["id"])
    for _ in range(3):  # someone moved the card in between: decide again on what they left
        status = existing["status"]
        reopen = status == COMPLETED and returned
        if status not in OPEN_STATUSES and not reopen:
            filed.left.append(task_id)
            return
        changes: dict[str, Any] = {
            name: item.get(name)
            for name in REFRESHED
            if existing.get(name) != item.get(name) and item.get(name) and not (name == "due" and existing.get("due"))
        }
        history = None
        if reopen:
            changes["status"] = PENDING
            note = f"Found again by the {item['source']['kind'].upper()} report of {item['last_seen']}."
            history = with_history(existing, history_entry(iso(now), ACTOR, COMPLETED, PENDING, note))
        if not changes:
            filed.left.append(task_id)
            return
        try:
            tasks.update(existing, changes=changes, now=iso(now), history=history)
        except StaleVersionError:
            again = tasks.get(task_id, consistent=True)
            if again is None:
                return
            existing = again
            continue
        (filed.reopened if reopen else filed.refreshed).append(task_id)
        return
    filed.left.append(task_id)


# --- collapsing the duplicate cards of the earlier, per-period identity ----------------------
@dataclass
class Collapsed:
    kept: list[str] = field(default_factory=list)  # the one card per action
    archived: list[str] = field(default_factory=list)  # the duplicates, archived with a note


def _legacy(item: Item) -> bool:
    """A card keyed by `report:<kind>:<period>:<n>` (before one card per action)."""
    key = str(item.get("source_key") or "")
    return key.startswith("report:") and key.count(":") == 3 and key.rsplit(":", 1)[-1].isdigit()


def collapse_duplicate_cards(tasks: TaskRepository, actor: str, *, clock: Clock = system_clock) -> Collapsed:
    """Once, after deploying one card per action: group the earlier per-period cards by the
    action they stand for, keep one card per action under its new id (the card as of its latest
    change, open if any of them is open; its history notes the merge), and archive the rest.
    Safe to run twice: archived cards are not read again."""
    from quarterdeck.tasks import ARCHIVED, COMPLETED, OPEN_STATUSES, history_entry, task_id_for, with_history

    cards = [*tasks.open_tasks(), *tasks.column(COMPLETED)]
    groups: dict[str, list[Item]] = {}
    for card in cards:
        if not _legacy(card):
            continue
        source = card.get("source") or {}
        action = ActionItem(
            title=str(card.get("title", "")), owner="", due=datetime.min.date(), section=str(source.get("section", ""))
        )
        groups.setdefault(source_key(str(source.get("kind", "")), action), []).append(card)
    result = Collapsed()
    now = iso(clock())
    for key, group in groups.items():
        new_id = task_id_for(key)
        latest_first = sorted(group, key=lambda c: str(c.get("updated_at", "")), reverse=True)
        keeper = next((c for c in latest_first if c["status"] in OPEN_STATUSES), latest_first[0])
        existing = tasks.get(new_id, consistent=True)
        if existing is None:
            merged = {name: value for name, value in keeper.items() if name not in ("id", "source_key")}
            note = f"One card per action: {len(group)} weekly copies merged into this card."
            merge_note = history_entry(now, actor, keeper["status"], keeper["status"], note)
            created = min(str(c.get("created_at", "")) for c in group)
            tasks.create(
                {
                    **merged,
                    "id": new_id,
                    "source_key": key,
                    "created_at": created,
                    "version": 1,
                    "last_seen": (keeper.get("source") or {}).get("period", ""),
                    "history": with_history(keeper, merge_note),
                }
            )
        result.kept.append(new_id)
        for card in group:
            entry = history_entry(now, actor, card["status"], ARCHIVED, f"A copy of the card {new_id}.")
            try:
                tasks.update(
                    card,
                    changes={"status": ARCHIVED, "archived_at": now, "archived_by": actor},
                    now=now,
                    history=with_history(card, entry),
                )
            except StaleVersionError:
                continue  # changed meanwhile: the next run of this collapses it
            result.archived.append(str(card["id"]))
    return result
