"""Tasks: the cards of the progress dashboard (pending → in review → completed).

Stored through a `TaskRepository` (quarterdeck/repositories/tasks.py: one item per task, the
board's columns on GSI1). A column is one read, and the board is two: every open task, and the
most recently completed ones up to `BOARD_COMPLETED` (completed work grows without end; the
board never reads all of it). Every change carries the version it read and is one conditional
write (a stale version is refused with `StaleVersionError`). Status changes are appended to the
task's `history` (`{at, by, from, to}`) in that same write, so a move and its record never part.

Reports file their action items with a `source_key` naming the action (never the period): the id
is derived from the key, so a run that finds the action again finds its card
(quarterdeck/reports/actions.py). An admin may archive a card (`archive_task`): it leaves the
board (its own GSI1 partition, never read with the board) and keeps its history.

Item fields: `type=task, id, title, detail, entity, owner, status (pending|in_review|completed),
due? (YYYY-MM-DD, San Diego), source? {kind, period, section?, link? ("#/...")}, source_key?,
created_at, created_by, updated_at, version, history [{at, by, from?, to}]`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from quarterdeck.clock import Clock, IdGenerator, iso, new_id, system_clock
from quarterdeck.config import get_settings
from quarterdeck.errors import InvalidInputError, StaleVersionError
from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import TaskRepository, stale_task_error, task_not_found
from quarterdeck.validation import calendar_date, text_field

PENDING, IN_REVIEW, COMPLETED, ARCHIVED = "pending", "in_review", "completed", "archived"
STATUSES: tuple[str, ...] = (PENDING, IN_REVIEW, COMPLETED)  # the board's columns, in order
OPEN_STATUSES: tuple[str, ...] = (PENDING, IN_REVIEW)
STATUS_LABELS = {PENDING: "Pending", IN_REVIEW: "In review", COMPLETED: "Completed", ARCHIVED: "Archived"}

# Suggestions the board offers; an owner may also be a person (any name or email).
OWNER_ROLES: tuple[str, ...] = ("CEO", "CTO", "CFO", "CMO", "Accounting")
ENTITIES: tuple[str, ...] = (
    "JADA",
    "Queen of San Diego",
    "QuickDumpNow",
    "Dangerous Centaur",
    "3028 51st St",
    "Expert Yacht Delivery",
)

EDITABLE: tuple[str, ...] = ("status", "title", "detail", "entity", "owner", "due")
TITLE_MAX, DETAIL_MAX, ENTITY_MAX, OWNER_MAX = 200, 4000, 80, 120
HISTORY_MAX = 200  # status changes kept on the item (the oldest are dropped beyond this)
BOARD_COMPLETED = 50  # completed cards the board shows (the most recently completed)
_SOURCE_FIELDS = ("kind", "period", "section", "link")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- validation ----------------------------------------------------------------------------
def _status(value: object, field: str = "status") -> str:
    text = str(value or "").strip()
    if text not in STATUSES:
        raise InvalidInputError(f"The status must be one of: {', '.join(STATUSES)}.", field=field)
    return text


def _optional_text(value: object, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(f"The {field} must be text.", field=field)
    return text_field(value, field, min_length=0, max_length=max_length)


def _title(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError("The title must be text.", field="title")
    return text_field(value, "title", max_length=TITLE_MAX)


def _detail(value: object) -> str:
    """Free text; line breaks are kept, trailing spaces are not."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError("The detail must be text.", field="detail")
    text = "\n".join(line.rstrip() for line in value.strip().splitlines())
    if len(text) > DETAIL_MAX:
        raise InvalidInputError(f"The detail must be at most {DETAIL_MAX} characters.", field="detail")
    return text


def _due(value: object, today: date | None = None) -> str | None:
    """`YYYY-MM-DD` (a San Diego date) or nothing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | date):
        raise InvalidInputError("Enter the due date as YYYY-MM-DD.", field="due")
    if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        raise InvalidInputError("Enter the due date as YYYY-MM-DD.", field="due")
    day = value if isinstance(value, date) else calendar_date(value.strip(), "due", today=today)
    if not 2000 <= day.year <= 2100:
        raise InvalidInputError("Enter a due date between 2000 and 2100.", field="due")
    return day.isoformat()


def _source(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Where a report-made task came from; None for a task someone added by hand."""
    if value is None:
        return None
    source = {name: str(value.get(name) or "").strip() for name in _SOURCE_FIELDS}
    if not source["kind"]:
        raise InvalidInputError("A task's source needs the report kind.", field="source.kind")
    if source["link"] and not source["link"].startswith("#/"):
        # Only links into this app: never javascript:, never another site.
        raise InvalidInputError("A source link must be a page of this app (#/...).", field="source.link")
    for name, text in source.items():
        if len(text) > 300:
            raise InvalidInputError("That source field is too long.", field=f"source.{name}")
    return {name: text for name, text in source.items() if text}


def task_id_for(source_key: str) -> str:
    """The id of the one task a report's action item may create (the same key, the same id)."""
    return "r" + hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:23]


def san_diego_today(clock: Clock = system_clock) -> date:
    return clock().astimezone(get_settings().timezone).date()


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(get_settings().timezone).date()
    if isinstance(value, date):
        return value
    return calendar_date(value, "today")


# --- views ---------------------------------------------------------------------------------
def task_view(item: Item, today: date | None = None) -> dict[str, Any]:
    """The task as the API and the reports see it."""
    view: dict[str, Any] = {
        "id": item["id"],
        "title": item.get("title", ""),
        "detail": item.get("detail", ""),
        "entity": item.get("entity", ""),
        "owner": item.get("owner", ""),
        "status": item["status"],
        "due": item.get("due"),
        "source": item.get("source"),
        "created_at": item.get("created_at"),
        "created_by": item.get("created_by"),
        "updated_at": item.get("updated_at"),
        "version": int(item.get("version", 1)),
        "history": [
            {"at": h.get("at"), "by": h.get("by"), "from": h.get("from"), "to": h.get("to")}
            | ({"note": h["note"]} if h.get("note") else {})
            for h in item.get("history") or []
        ],
    }
    if item.get("last_seen"):
        view["last_seen"] = item["last_seen"]  # a report's card: the period that last found it
    if today is not None:
        view["overdue"] = is_overdue(item, today)
    return view


def is_overdue(item: Mapping[str, Any], today: date) -> bool:
    """Open, with a due date before today (San Diego)."""
    due = item.get("due")
    return bool(due) and item.get("status") in OPEN_STATUSES and str(due) < today.isoformat()


# --- writes --------------------------------------------------------------------------------
def new_task_item(
    actor: str,
    *,
    title: object,
    detail: object = "",
    entity: object = "",
    owner: object = "",
    due: object = None,
    status: object = PENDING,
    source: Mapping[str, Any] | None = None,
    source_key: str | None = None,
    clock: Clock = system_clock,
    new_id: IdGenerator = new_id,
) -> Item:
    """A validated task, not yet stored (create_task stores it; seeding loads many)."""
    clean_status = _status(status)
    item_fields = {
        "title": _title(title),
        "detail": _detail(detail),
        "entity": _optional_text(entity, "entity", ENTITY_MAX),
        "owner": _optional_text(owner, "owner", OWNER_MAX),
        "due": _due(due, san_diego_today(clock)),
        "source": _source(source),
    }
    if source_key is not None and not source_key.strip():
        raise InvalidInputError("A source key must not be empty.", field="source_key")
    task_id = task_id_for(source_key) if source_key else new_id()
    now = iso(clock())
    item: Item = {
        "type": "task",
        "id": task_id,
        **item_fields,
        "status": clean_status,
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
        "version": 1,
        "history": [{"at": now, "by": actor, "to": clean_status}],
    }
    if source_key:
        item["source_key"] = source_key
    return item


def create_task(
    tasks: TaskRepository,
    actor: str,
    *,
    title: object,
    detail: object = "",
    entity: object = "",
    owner: object = "",
    due: object = None,
    source: Mapping[str, Any] | None = None,
    source_key: str | None = None,
    clock: Clock = system_clock,
    new_id: IdGenerator = new_id,
) -> dict[str, Any]:
    """Add a pending task. With `source_key`, at most one task per key: a repeat returns the first."""
    item = new_task_item(
        actor,
        title=title,
        detail=detail,
        entity=entity,
        owner=owner,
        due=due,
        source=source,
        source_key=source_key,
        clock=clock,
        new_id=new_id,
    )
    return task_view(tasks.create(item), san_diego_today(clock))


def update_task(
    tasks: TaskRepository,
    actor: str,
    task_id: str,
    *,
    version: int,
    changes: Mapping[str, Any],
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Edit or move a task, if it is still at `version`; otherwise StaleVersionError (409).

    `changes` holds any of status, title, detail, entity, owner, due (None or "" clears due).
    Any status may follow any other: moves go forward along the board and may go back.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(f"{unknown[0]} cannot be changed.", field=unknown[0])
    if not changes:
        raise InvalidInputError("Send at least one field to change.", field="body")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInputError("The version must be the task's version number.", field="version")
    cleaners = {
        "title": _title,
        "detail": _detail,
        "entity": lambda v: _optional_text(v, "entity", ENTITY_MAX),
        "owner": lambda v: _optional_text(v, "owner", OWNER_MAX),
        "due": lambda v: _due(v, san_diego_today(clock)),
        "status": _status,
    }
    clean = {name: cleaners[name](value) for name, value in changes.items()}

    current = tasks.get(task_id, consistent=True)
    if current is None:
        raise task_not_found()
    if int(current.get("version", 1)) != version:
        raise stale_task_error(int(current.get("version", 1)))

    now = iso(clock())
    status = clean.get("status") or current["status"]
    history = None
    if status != current["status"]:
        entry = {"at": now, "by": actor, "from": current["status"], "to": status}
        history = [*(current.get("history") or []), entry][-HISTORY_MAX:]
    item = tasks.update(current, changes=clean, now=now, history=history)
    return task_view(item, san_diego_today(clock))


def history_entry(at: str, by: str, before: str, after: str, note: str = "") -> dict[str, str]:
    entry = {"at": at, "by": by, "from": before, "to": after}
    return entry | ({"note": note} if note else {})


def with_history(item: Mapping[str, Any], entry: Mapping[str, str]) -> list[dict[str, Any]]:
    return [*(dict(h) for h in item.get("history") or []), dict(entry)][-HISTORY_MAX:]


def archive_task(tasks: TaskRepository, actor: str, task_id: str, *, clock: Clock = system_clock) -> dict[str, Any]:
    """Take the card off the board, keeping it and its history (an archived card stays archived:
    a report that finds its action again leaves it alone). Archiving twice is archiving once."""
    version = 1
    for _ in range(3):  # someone else's change in between: archive what they left
        current = tasks.get(task_id, consistent=True)
        if current is None:
            raise task_not_found()
        if current["status"] == ARCHIVED:
            return task_view(current, san_diego_today(clock))
        now, version = iso(clock()), int(current.get("version", 1))
        entry = history_entry(now, actor, current["status"], ARCHIVED)
        try:
            item = tasks.update(
                current,
                changes={"status": ARCHIVED, "archived_at": now, "archived_by": actor},
                now=now,
                history=with_history(current, entry),
            )
        except StaleVersionError:
            continue
        return task_view(item, san_diego_today(clock))
    raise stale_task_error(version)


# --- reads ---------------------------------------------------------------------------------
def get_task(tasks: TaskRepository, task_id: str, *, clock: Clock = system_clock) -> dict[str, Any]:
    item = tasks.get(task_id)
    if item is None:
        raise task_not_found()
    return task_view(item, san_diego_today(clock))


def list_tasks(
    tasks: TaskRepository, status: str, *, limit: int | None = None, clock: Clock = system_clock
) -> list[dict[str, Any]]:
    """One column, most recently changed first: one read of that column's tasks only."""
    column = _status(status)
    today = san_diego_today(clock)
    return [task_view(item, today) for item in tasks.column(column, limit=limit)]


def list_board(
    tasks: TaskRepository, *, completed: int = BOARD_COMPLETED, clock: Clock = system_clock
) -> dict[str, list[dict[str, Any]]]:
    """The three columns in two reads: the open columns (pending and in review, each most
    recently changed first), and the `completed` most recently changed completed tasks."""
    today = san_diego_today(clock)
    columns: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    for item in tasks.open_tasks():
        if item.get("status") in OPEN_STATUSES:
            columns[item["status"]].append(task_view(item, today))
    columns[COMPLETED] = [task_view(item, today) for item in tasks.column(COMPLETED, limit=completed)]
    return columns


def task_counts(tasks: TaskRepository, today: date | datetime | str) -> dict[str, int]:
    """For the reports: open tasks (pending + in review) and how many are past their due date:
    one read of the open columns (completed work is never read)."""
    day = _as_date(today)
    counts = {"open": 0, "overdue": 0}
    for item in tasks.open_tasks():
        if item.get("status") in OPEN_STATUSES:
            counts["open"] += 1
            counts["overdue"] += is_overdue(item, day)
    return counts
