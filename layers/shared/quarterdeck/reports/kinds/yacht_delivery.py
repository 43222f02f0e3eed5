"""Expert Yacht Delivery: pipeline (weighted by stage), completed deliveries, revenue, costs, margin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import chart

OPEN_STAGES = ("lead", "quoted", "scheduled", "underway")
TRAILING_DAYS = 365


def build(d: Draft) -> None:
    p = d.portfolio
    section = p.yacht_delivery
    if section is None:
        d.needs.lack("the yacht delivery data (deliveries, win rates)", "yacht_delivery")
        d.data.update({"asset": None})
        return
    since = d.today - timedelta(days=TRAILING_DAYS)

    pipeline: list[dict[str, Any]] = []
    for job in section.deliveries:
        if job.status not in OPEN_STAGES:
            continue
        rate = {str(k): v for k, v in section.win_rates.items()}.get(job.status)
        if rate is None:
            d.needs.lack(f"the win rate of {job.status} jobs", f"yacht_delivery.win_rates.{job.status}")
        pipeline.append(
            {
                "id": job.id,
                "vessel": job.vessel,
                "route": f"{job.origin} → {job.destination}",
                "stage": job.status,
                "start": job.start,
                "fee": job.fee,
                "rate": rate,
                "weighted": job.fee * rate if rate is not None else None,
            }
        )
    pipeline.sort(key=lambda j: (OPEN_STAGES.index(j["stage"]), j["start"] or d.today))

    completed: list[dict[str, Any]] = []
    for job in section.deliveries:
        if job.status != "completed":
            continue
        finished = job.end or job.start
        if finished is None:
            d.needs.lack(f"the end date of delivery {job.id}", "yacht_delivery.deliveries.end")
            continue
        if finished < since or finished > d.today:
            continue
        cost = sum(job.costs.values())
        if not job.costs:
            d.needs.lack(f"the costs of delivery {job.id}", "yacht_delivery.deliveries.costs")
        completed.append(
            {
                "id": job.id,
                "vessel": job.vessel,
                "route": f"{job.origin} → {job.destination}",
                "end": finished,
                "fee": job.fee,
                "cost": cost,
                "margin": job.fee - cost,
                "margin_rate": (job.fee - cost) / job.fee if job.fee else None,
                "miles": job.miles,
                "per_mile": job.fee / job.miles if job.miles else None,
                "costs": sorted(job.costs.items()),
            }
        )
    completed.sort(key=lambda j: j["end"])
    revenue = sum(j["fee"] for j in completed)
    costs = sum(j["cost"] for j in completed)
    miles = sum(j["miles"] or 0 for j in completed)
    weighted = [j["weighted"] for j in pipeline]

    d.data.update(
        {
            "asset": p.asset_name(section.asset),
            "since": since,
            "pipeline": pipeline,
            "pipeline_value": sum(j["fee"] for j in pipeline),
            "pipeline_weighted": sum(w for w in weighted if w is not None) if pipeline else 0,
            "weighted_complete": all(w is not None for w in weighted),
            "completed": completed,
            "revenue": revenue,
            "costs": costs,
            "margin": revenue - costs,
            "margin_rate": (revenue - costs) / revenue if revenue else None,
            "per_mile": revenue / miles if miles else None,
            "chart": chart(
                "Revenue against cost by delivery",
                [
                    (
                        f"{j['id']}",
                        [(j["fee"], "good", "fee"), (j["cost"], "warn", "cost")],
                        f"${j['fee']:,.0f} fee, ${j['cost']:,.0f} cost",
                    )
                    for j in completed
                ],
                (("good", "fee"), ("warn", "cost")),
            )
            if completed
            else None,
        }
    )

    for open_job in pipeline:
        if open_job["stage"] == "lead":
            d.act(f"Quote {open_job['id']}: {open_job['vessel']}, {open_job['route']}", "CEO", 3, "Delivery pipeline")
        elif open_job["stage"] == "quoted":
            d.act(f"Follow up the quote for {open_job['id']} ({open_job['vessel']})", "CEO", 2, "Delivery pipeline")
        elif open_job["stage"] == "scheduled" and open_job["start"] is not None and open_job["start"] <= d.due(14):
            d.act(
                f"Confirm crew and route for {open_job['id']} (leaves {open_job['start']:%b} {open_job['start'].day})",
                "CEO",
                min(open_job["start"], d.due(7)),
                "Delivery pipeline",
            )
    if not pipeline:
        d.act("Empty delivery pipeline: contact three brokers for delivery work", "CMO", 7, "Delivery pipeline")
