"""Dangerous Centaur client portfolio: clients, billing model, recurring revenue, risk."""

from __future__ import annotations

from collections import Counter
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import chart

LATE_DAYS = 45  # a balance with no payment for this long is at risk
CONCENTRATION = 0.5  # one client above this share of recurring revenue is a risk


def build(d: Draft) -> None:
    p = d.portfolio
    section = p.client_portfolio
    if section is None:
        d.needs.lack("the client portfolio (clients and their billing)", "client_portfolio")
        d.data.update({"asset": None})
        return
    clients: list[dict[str, Any]] = []
    for c in section.clients:
        since_paid = (d.today - c.last_paid).days if c.last_paid else None
        risks = []
        if c.status == "active" and c.billing == "none":
            risks.append("no billing model")
        if c.outstanding > 0 and (since_paid is None or since_paid > LATE_DAYS):
            risks.append(
                f"${c.outstanding:,.0f} outstanding, "
                + (f"no payment for {since_paid} days" if since_paid is not None else "never paid")
            )
        recurring = c.monthly if c.status == "active" and c.billing == "retainer" else 0.0
        clients.append(
            {
                "name": c.name,
                "status": c.status,
                "billing": c.billing,
                "monthly": c.monthly,
                "recurring": recurring,
                "outstanding": c.outstanding,
                "last_paid": c.last_paid,
                "since_paid": since_paid,
                "since": c.since,
                "tenure_months": (d.today.year - c.since.year) * 12 + d.today.month - c.since.month,
                "services": c.services,
                "risks": risks,
            }
        )
    if not section.clients:
        d.needs.lack("clients", "client_portfolio.clients")
    active = [c for c in clients if c["status"] == "active"]
    mrr = sum(c["recurring"] for c in clients)
    top = max(active, key=lambda c: c["recurring"], default=None)
    share = top["recurring"] / mrr if top and mrr else None
    mix = Counter(c["billing"] for c in active)
    at_risk = [c for c in clients if c["risks"]]
    portfolio_risks = [f"{c['name']}: {'; '.join(c['risks'])}" for c in at_risk]
    if share is not None and share > CONCENTRATION and top is not None:
        portfolio_risks.insert(0, f"Concentration: {top['name']} is {share:.0%} of recurring revenue")
    churned = [c for c in clients if c["status"] == "churned"]

    d.data.update(
        {
            "asset": p.asset_name(section.asset),
            "clients": sorted(clients, key=lambda c: (c["status"] != "active", -c["recurring"], c["name"])),
            "active_count": len(active),
            "churned_count": len(churned),
            "mrr": mrr,
            "arr": 12 * mrr,
            "outstanding": sum(c["outstanding"] for c in clients),
            "mix": sorted(mix.items()),
            "top": top,
            "top_share": share,
            "risks": portfolio_risks,
            "chart": chart(
                "Monthly value by active client",
                [
                    (
                        c["name"],
                        [(c["monthly"], "good" if c["recurring"] else "warn", c["billing"])],
                        f"${c['monthly']:,.0f} · {c['billing']}",
                    )
                    for c in active
                ],
                (("good", "billed monthly (retainer)"), ("warn", "not recurring")),
            )
            if active
            else None,
        }
    )

    for row in clients:
        if row["status"] == "active" and row["billing"] == "none":
            d.act(
                f"Agree a billing model with {row['name']}",
                "CFO",
                14,
                "Billing model",
                entity=p.asset_name(section.asset),
            )
        if row["outstanding"] > 0 and any("outstanding" in r for r in row["risks"]):
            d.act(f"Collect ${row['outstanding']:,.0f} from {row['name']}", "CFO", 7, "Risk")
    if share is not None and share > CONCENTRATION and top is not None:
        d.act(f"Win a second retainer client: {top['name']} is {share:.0%} of recurring revenue", "CEO", 30, "Risk")
