"""CTO: stack audit, security gaps, infrastructure cost and savings, UX gaps, dev-cycle maturity,
engineering actions ranked by ROI."""

from __future__ import annotations

from collections import Counter
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import chart
from quarterdeck.reports.portfolio import SEVERITY_ORDER
from quarterdeck.reports.source_views import aws_view, cost_comparison, notes_view

PRACTICES = (
    ("ci", "CI"),
    ("tests", "tests"),
    ("staging", "staging"),
    ("automated_deploys", "automated deploys"),
    ("rollback", "rollback"),
    ("monitoring", "monitoring"),
)
FIX_DAYS = {"critical": 7, "high": 14, "medium": 30, "low": 60}
RANKED = 10


def build(d: Draft) -> None:
    p = d.portfolio
    # Stack audit and dev-cycle maturity (practices in place out of six).
    stacks = []
    for stack in p.stacks:
        have = [label for key, label in PRACTICES if getattr(stack, key)]
        lacking = [label for key, label in PRACTICES if not getattr(stack, key)]
        stacks.append(
            {
                "entity": p.entity_name(stack.entity),
                "summary": stack.summary,
                "components": stack.components,
                "score": len(have),
                "have": have,
                "lacking": lacking,
                "analytics": stack.analytics,
            }
        )
    if not p.stacks:
        d.needs.lack("the stacks of the entities", "stacks")
    practice_counts = [(label, sum(1 for s in p.stacks if getattr(s, key))) for key, label in PRACTICES]

    # Security gaps.
    open_findings = sorted(
        (f for f in p.security_findings if f.status == "open"), key=lambda f: (SEVERITY_ORDER[f.severity], f.found)
    )
    severities = Counter(f.severity for f in open_findings)
    effort = sum(f.effort_hours for f in open_findings)

    # Infrastructure cost: the cloud bills, and the savings found.
    bills = sorted(p.cloud_bills, key=lambda b: b.month)
    by_month: dict[str, float] = {}
    for bill in bills:
        by_month[bill.month] = by_month.get(bill.month, 0) + bill.amount
    cost: dict[str, Any] = {}
    if by_month:
        amounts = list(by_month.values())
        cost = {
            "low": min(amounts),
            "high": max(amounts),
            "average": sum(amounts) / len(amounts),
            "latest_month": max(by_month),
            "latest": by_month[max(by_month)],
            "months": len(amounts),
        }
        d.data["cost_chart"] = chart(
            "Cloud bill by month",
            [(month, [(amount, "actual", "bill")], f"${amount:,.2f}") for month, amount in by_month.items()],
        )
    else:
        d.needs.lack("cloud bills by month", "cloud_bills")
    savings = [s for s in p.cloud_savings if not s.done]
    saving_total = sum(s.monthly for s in savings)
    cost["savings"] = saving_total
    cost["after_savings"] = cost["average"] - saving_total if "average" in cost else None
    cost["expense_lines"] = sum(e.monthly for e in p.expenses if e.category in ("cloud", "hosting"))

    # Engineering actions ranked by ROI: yearly value per hour of work.
    actions: list[dict[str, Any]] = [
        {
            "title": a.title,
            "entity": p.entity_name(a.entity),
            "yearly_value": 12 * a.monthly_value + a.risk_value,
            "effort_hours": a.effort_hours,
            "roi": (12 * a.monthly_value + a.risk_value) / a.effort_hours,
            "earns": a.monthly_value > 0,
        }
        for a in p.engineering_actions
    ]
    ranked = sorted(actions, key=lambda a: -float(a["roi"]))[:RANKED]
    if not p.engineering_actions:
        d.needs.lack("engineering actions with value and effort", "engineering_actions")

    impact_order = {"high": 0, "medium": 1, "low": 2}
    d.data.update(
        {
            "stacks": stacks,
            "practice_counts": practice_counts,
            "stack_count": len(p.stacks),
            "findings": [
                {
                    "id": f.id,
                    "title": f.title,
                    "entity": p.entity_name(f.entity),
                    "severity": f.severity,
                    "found": f.found,
                    "effort_hours": f.effort_hours,
                }
                for f in open_findings
            ],
            "severities": [(s, severities[s]) for s in ("critical", "high", "medium", "low")],
            "fix_effort": effort,
            "cost": cost,
            "savings": savings,
            "ux_gaps": sorted(
                ({"title": g.title, "entity": p.entity_name(g.entity), "impact": g.impact} for g in p.ux_gaps),
                key=lambda g: impact_order[g["impact"]],
            ),
            "ranked": ranked,
        }
    )

    # Live AWS figures (CloudWatch, DynamoDB, Cost Explorer) and the projects' handoff notes:
    # each source optional, an unavailable one named with its reason in the report.
    figures = d.aws()
    measured = cost_comparison(figures, p)
    if measured is not None and measured.estimate is None:
        d.needs.lack('AWS expense lines (vendor "AWS") to compare the measured cost with', "expenses")
    notes = d.notes()
    d.data.update({"aws": aws_view(figures), "cost_measured": measured, "handoff": notes_view(notes, p)})

    # Action items: open critical/high security gaps first, then the top of the ROI ranking.
    for finding in open_findings:
        if finding.severity in ("critical", "high"):
            d.act(
                f"Close {finding.id}: {finding.title}",
                "CTO",
                FIX_DAYS[finding.severity],
                "Security gaps",
                entity=p.entity_name(finding.entity),
            )
    if saving_total > 0:
        d.act(
            f"Apply the {len(savings)} cloud savings (${saving_total:,.2f} a month)", "CTO", 14, "Infrastructure cost"
        )
    # Risk-only actions are the security gaps above; the earning ones come from the ranking.
    for action in [a for a in ranked if a["earns"]][:2]:
        d.act(
            f"Do next (ROI ${action['roi']:,.0f}/hour): {action['title']}",
            "CTO",
            30,
            "Actions ranked by ROI",
            entity=action["entity"],
        )
    if measured is not None and measured.over_estimate and measured.estimate is not None:
        d.act(
            f"AWS cost in {measured.last_month} (${measured.measured_last_month:,.2f}) is "
            f"{measured.last_month_share:.0%} above the estimate (${measured.estimate:,.2f} a month): "
            "find why, or correct the estimate",
            "CTO",
            14,
            "Infrastructure cost",
            key="aws cost above the estimate",
        )
    if notes.stale:
        d.act(
            "Update the stale handoff notes: " + ", ".join(n.project for n in notes.stale),
            "CTO",
            7,
            "Handoff notes",
            key="stale handoff notes",
        )
