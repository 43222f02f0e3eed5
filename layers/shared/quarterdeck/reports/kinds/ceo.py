"""CEO: asset inventory, critical shortfalls, missing KPIs, live figures, a prioritised 30-day agenda."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.portfolio import SEVERITY_ORDER
from quarterdeck.reports.source_views import notes_view

AGENDA_DAYS = 30
DUE_BY_SEVERITY = {"critical": 7, "high": 14, "medium": 21, "low": 30}


@dataclass(frozen=True)
class Shortfall:
    title: str
    entity: str
    severity: str
    owner: str
    source: str  # "computed", "declared" or "handoff note"
    project: str = ""  # a blocker from a handoff note: its project,
    dated: date | None = None  # the date it was written down,
    stale: bool = False  # and whether its note is past the stale age


def _shortfalls(d: Draft) -> list[Shortfall]:
    """Shortfalls the data shows (computed) plus the risks the file declares."""
    p, f = d.portfolio, d.finance
    found: list[Shortfall] = []
    charter_entity = p.charters.entity if p.charters else None
    if charter_entity and not any(o.status == "live" for o in p.ota_listings if o.entity == charter_entity):
        found.append(
            Shortfall(
                f"Zero OTA listings for {p.entity_name(charter_entity)}",
                p.entity_name(charter_entity),
                "critical",
                "CMO",
                "computed",
            )
        )
    if p.client_portfolio is not None:
        unbilled = [c for c in p.client_portfolio.clients if c.status == "active" and c.billing == "none"]
        if unbilled:
            owner_entity = next((a.entity for a in p.assets if a.id == p.client_portfolio.asset), "")
            found.append(
                Shortfall(
                    f"{p.entity_name(owner_entity)} has no billing model for {len(unbilled)} active "
                    f"client{'s' if len(unbilled) != 1 else ''}",
                    p.entity_name(owner_entity),
                    "critical",
                    "CFO",
                    "computed",
                )
            )
    for finding in p.security_findings:
        if finding.status == "open" and finding.severity == "critical":
            found.append(
                Shortfall(
                    f"Open critical security gap: {finding.title}",
                    p.entity_name(finding.entity),
                    "critical",
                    "CTO",
                    "computed",
                )
            )
    if f.runway_months is not None and f.runway_months < 12:
        found.append(
            Shortfall(
                f"Runway of {f.runway_months:.1f} months",
                "All entities",
                "critical" if f.runway_months < 6 else "high",
                "CFO",
                "computed",
            )
        )
    last = f.last_month
    if f.break_even is not None and last is not None:
        charters = f.charters_by_month.get(last, 0)
        if charters < f.break_even:
            found.append(
                Shortfall(
                    f"Charters below break-even in {last}: {charters} of {f.break_even}",
                    p.entity_name(f.charter_entity),
                    "high",
                    "CMO",
                    "computed",
                )
            )
    for channel in p.channels:
        if channel.status == "dormant" and channel.audience and channel.last_used is None:
            found.append(
                Shortfall(
                    f"{channel.name} of {channel.audience:,} people never used",
                    p.entity_name(channel.entity),
                    "high",
                    "CMO",
                    "computed",
                )
            )
    for risk in p.risks:
        found.append(Shortfall(risk.title, p.entity_name(risk.entity), risk.severity, risk.owner, "declared"))
    # Blockers written down in the projects' handoff notes, quoted with project and date.
    for note in d.notes().notes:
        for blocker in note.blockers:
            found.append(
                Shortfall(
                    blocker.text,
                    p.entity_name(note.entity) if note.entity else note.project,
                    "high",
                    note.owner,
                    "handoff note",
                    project=note.project,
                    dated=blocker.dated,
                    stale=note.stale,
                )
            )
    # Worst first; computed before declared; a stale note's blockers after the current ones.
    return sorted(found, key=lambda s: (SEVERITY_ORDER[s.severity], s.source != "computed", s.stale))


def build(d: Draft) -> None:
    p, f = d.portfolio, d.finance
    revenue_last: dict[str, float] = {}
    if f.last_month:
        for entry in p.revenue:
            if entry.month == f.last_month:
                stream = p.stream(entry.stream)
                owner = stream.entity if stream else ""
                revenue_last[owner] = revenue_last.get(owner, 0.0) + entry.amount
    burn_by_id: dict[str, float] = {}
    for expense in p.expenses:
        burn_by_id[expense.entity] = burn_by_id.get(expense.entity, 0.0) + expense.monthly
    inventory = [
        {
            "name": e.name,
            "description": e.description,
            "streams": sum(1 for s in p.revenue_streams if s.entity == e.id),
            "active_streams": sum(1 for s in p.revenue_streams if s.entity == e.id and s.status == "active"),
            "burn": burn_by_id.get(e.id, 0.0),
            "revenue": revenue_last.get(e.id, 0.0) if f.last_month else None,
        }
        for e in p.entities
    ]
    stream_status = Counter(s.status for s in p.revenue_streams)
    shortfalls = _shortfalls(d)
    critical = [s for s in shortfalls if s.severity == "critical"]
    missing_kpis = [k for k in p.kpis if not k.tracked]
    if not p.kpis:
        d.needs.lack("the KPIs tracked (and not tracked)", "kpis")
    live = d.live()

    # The 30-day agenda: critical then high shortfalls, and goals due within 30 days.
    agenda: list[dict[str, Any]] = []
    for s in shortfalls:
        if s.severity in ("critical", "high") and not s.stale:  # a stale note's blocker may be gone
            agenda.append(
                {
                    "title": f"Fix: {s.title}",
                    "owner": s.owner,
                    "due": d.due(DUE_BY_SEVERITY[s.severity]),
                    "rank": SEVERITY_ORDER[s.severity],
                    "entity": s.entity,
                    "overdue": False,
                }
            )
    horizon = d.due(AGENDA_DAYS)
    for goal in p.goals:
        if not goal.done and goal.due <= horizon:
            agenda.append(
                {
                    "title": goal.title,
                    "owner": goal.owner,
                    "due": max(goal.due, d.today),
                    "rank": 0 if goal.due < d.today else 1,
                    "entity": p.entity_name(goal.entity),
                    "overdue": goal.due < d.today,
                }
            )
    if live is not None and live.tasks_overdue:
        agenda.append(
            {
                "title": f"Clear the overdue tasks on the board ({live.tasks_overdue})",
                "owner": "CEO",
                "due": d.due(7),
                "rank": 1,
                "entity": "",
                "overdue": False,
            }
        )
    agenda.sort(key=lambda a: (a["due"], a["rank"]))

    d.data.update(
        {
            "inventory": inventory,
            "counts": {
                "entities": len(p.entities),
                "assets": len(p.assets),
                "properties": len(p.properties),
                "streams": len(p.revenue_streams),
                "streams_active": stream_status["active"],
                "streams_planned": stream_status["planned"],
                "streams_dormant": stream_status["dormant"],
            },
            "assets": [
                {"name": a.name, "entity": p.entity_name(a.entity), "kind": a.kind.replace("_", " ")} for a in p.assets
            ],
            "last_month": f.last_month,
            "finance": f,
            "shortfalls": shortfalls,
            "critical_count": len(critical),
            "missing_kpis": missing_kpis,
            "tracked_kpis": [k for k in p.kpis if k.tracked],
            "live": live,
            "operations": d.operations(),
            "agenda": agenda[:10],
            "handoff": notes_view(d.notes(), p),
            "agenda_days": AGENDA_DAYS,
        }
    )
    for item in agenda[:5]:
        due: date = item["due"]
        d.act(item["title"], item["owner"], due, "30-day agenda", entity=item["entity"])
