"""A report's action items become pending cards on the progress dashboard.

Each item's card is keyed `report:<kind>:<period>:<n>`; the tasks area creates at most one
task per key, so re-running or re-sending a report adds no duplicate card.
"""

from __future__ import annotations

from quarterdeck.reports.model import Report
from quarterdeck.store import Store

ACTOR = "reports"
TITLE_MAX, ENTITY_MAX = 200, 80


def source_key(kind: str, period: str, n: int) -> str:
    return f"report:{kind}:{period}:{n}"


def file_action_items(store: Store, report: Report) -> int:
    """Create (or find) the report's cards; returns how many items the report has."""
    from quarterdeck.tasks import create_task

    link = f"#/reports?kind={report.kind}&period={report.period.label}"
    for n, action in enumerate(report.actions, start=1):
        detail = f"From the {report.title}, {report.period.describe()}, section “{action.section}”."
        if action.detail:
            detail += "\n\n" + action.detail
        create_task(
            store,
            ACTOR,
            title=action.title if len(action.title) <= TITLE_MAX else action.title[: TITLE_MAX - 1] + "…",
            detail=detail,
            entity=action.entity[:ENTITY_MAX],
            owner=action.owner,
            due=action.due.isoformat(),
            source={"kind": report.kind, "period": report.period.label, "section": action.section, "link": link},
            source_key=source_key(report.kind, report.period.label, n),
        )
    return len(report.actions)
