"""Demo cards for the progress dashboard of the local stack (safe to run twice: each has a source key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quarterdeck.clock import Clock, system_clock
from quarterdeck.repositories.tasks import DynamoTaskRepository, TaskRepository
from quarterdeck.store import Store
from quarterdeck.tasks import create_task, san_diego_today, update_task

REPORTS = "reports@quarterdeck.local"


def _report_source(kind: str, period: str, section: str) -> dict[str, str]:
    return {
        "kind": kind,
        "period": period,
        "section": section,
        "link": f"#/reports?kind={kind}&period={period}#{section}",
    }


def demo_tasks(week: str) -> list[dict[str, Any]]:
    """(fields, status, due in days from today) of each demo card."""
    return [
        {
            "title": "Book 6 charters a month to reach break-even",
            "entity": "Queen of San Diego",
            "owner": "CFO",
            "detail": "Break-even is about six charters a month; list the open dates and push them.",
            "source": _report_source("cfo", week, "break-even"),
            "status": "pending",
            "due_in": 7,
        },
        {
            "title": "Send the first campaign to the 3,676-person email list",
            "entity": "Queen of San Diego",
            "owner": "CMO",
            "source": _report_source("cmo", week, "campaign-sequencing"),
            "status": "pending",
            "due_in": -2,
        },
        {
            "title": "List the boat on Sailo",
            "entity": "Queen of San Diego",
            "owner": "CMO",
            "source": _report_source("cmo", week, "ota-sequencing"),
            "status": "in_review",
            "due_in": 14,
        },
        {
            "title": "Claim the Google Business profile for QuickDumpNow",
            "entity": "QuickDumpNow",
            "owner": "CMO",
            "source": _report_source("cmo", week, "local-seo"),
            "status": "pending",
            "due_in": 10,
        },
        {
            "title": "Rotate the Stripe API keys",
            "entity": "Dangerous Centaur",
            "owner": "CTO",
            "source": _report_source("cto", week, "security-gaps"),
            "status": "completed",
            "due_in": -5,
        },
        {
            "title": "Split charter, booking and client payments in the chart of accounts",
            "entity": "JADA",
            "owner": "Accounting",
            "source": _report_source("accounting", week, "revenue-recognition"),
            "status": "in_review",
            "due_in": 21,
        },
        {
            "title": "Get a quote for the water heater at 3028 51st St",
            "entity": "3028 51st St",
            "owner": "owner@example.com",
            "detail": "Tenant reported lukewarm water.",
            "source": None,
            "status": "pending",
            "due_in": 3,
        },
    ]


def seed_tasks(tasks: TaskRepository | None = None, *, clock: Clock = system_clock) -> int:
    """Add the demo cards that are not there yet; returns how many the board now has from this seed."""
    tasks = tasks or DynamoTaskRepository(Store())
    today = san_diego_today(clock)
    iso_year, iso_week, _ = today.isocalendar()
    week = f"{iso_year}-W{iso_week:02d}"
    for n, spec in enumerate(demo_tasks(week)):
        actor = REPORTS if spec["source"] else "admin@example.com"
        task = create_task(
            tasks,
            actor,
            title=spec["title"],
            detail=spec.get("detail", ""),
            entity=spec["entity"],
            owner=spec["owner"],
            due=(today + timedelta(days=spec["due_in"])).isoformat(),
            source=spec["source"],
            source_key=f"demo/{n}",
            clock=clock,
        )
        if task["version"] == 1 and spec["status"] != task["status"]:
            update_task(
                tasks, "admin@example.com", task["id"], version=1, changes={"status": spec["status"]}, clock=clock
            )
    return len(demo_tasks(week))
