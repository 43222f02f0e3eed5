"""A report's action items become pending cards on the progress dashboard.

Each item's card is keyed `report:<kind>:<period>:<n>`; the tasks area derives the task's id
from the key, and the cards are written only where no task exists yet (with the run's record,
`ReportRunRepository.record_sent(cards=...)`, or `TaskRepository.file_cards`), so re-running
or re-sending a report adds no duplicate card (and leaves a card someone moved where it is).
"""

from __future__ import annotations

from quarterdeck.reports.model import Report
from quarterdeck.repositories import Item
from quarterdeck.repositories.tasks import TaskRepository

ACTOR = "reports"
TITLE_MAX, ENTITY_MAX = 200, 80
MAX_IN_RECORD = 98  # cards that fit in the recording transaction (100 actions: run, summary, cards)


def source_key(kind: str, period: str, n: int) -> str:
    return f"report:{kind}:{period}:{n}"


def action_task_items(report: Report) -> list[Item]:
    """The report's cards as task items (validated, not written), one per action item."""
    from quarterdeck.tasks import new_task_item

    link = f"#/reports?kind={report.kind}&period={report.period.label}"
    items: list[Item] = []
    for n, action in enumerate(report.actions, start=1):
        detail = f"From the {report.title}, {report.period.describe()}, section “{action.section}”."
        if action.detail:
            detail += "\n\n" + action.detail
        items.append(
            new_task_item(
                ACTOR,
                title=action.title if len(action.title) <= TITLE_MAX else action.title[: TITLE_MAX - 1] + "…",
                detail=detail,
                entity=action.entity[:ENTITY_MAX],
                owner=action.owner,
                due=action.due,  # a date the report computed, not typed input: no window applies
                source={"kind": report.kind, "period": report.period.label, "section": action.section, "link": link},
                source_key=source_key(report.kind, report.period.label, n),
            )
        )
    return items


def file_action_items(tasks: TaskRepository, report: Report) -> int:
    """Create (or find) the report's cards, one conditional create each; returns how many items
    the report has. (Dispatch files them with the run's record instead; this is its fallback.)"""
    tasks.file_cards(action_task_items(report))
    return len(report.actions)
