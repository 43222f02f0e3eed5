"""CMO: channel visibility matrix, channel reach, the email-list campaign, OTA sequence,
QuickDumpNow local SEO, 30/60/90-day milestones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import chart

CHANNEL_KINDS = ("email", "social", "search", "ota", "web", "referral", "ads", "directory")
HORIZONS = (30, 60, 90)


def build(d: Draft) -> None:
    p = d.portfolio
    start = d.period.start

    # Visibility matrix: entity x channel kind -> the best status found.
    rank = {"active": 0, "dormant": 1, "planned": 2, "none": 3}
    kinds = [k for k in CHANNEL_KINDS if any(c.kind == k for c in p.channels)]
    matrix = []
    for entity in p.entities:
        cells: list[dict[str, str]] = []
        for kind in kinds:
            found = [c for c in p.channels if c.entity == entity.id and c.kind == kind]
            status = min((c.status for c in found), key=lambda s: rank[s]) if found else ""
            cells.append({"kind": kind, "status": status})
        matrix.append({"entity": entity.name, "cells": cells})
    if not p.channels:
        d.needs.lack("marketing channels", "channels")

    channels: list[dict[str, Any]] = []
    for c in p.channels:
        days_idle = (d.today - c.last_used).days if c.last_used else None
        channels.append(
            {
                "name": c.name,
                "entity": p.entity_name(c.entity),
                "kind": c.kind,
                "status": c.status,
                "audience": c.audience,
                "last_used": c.last_used,
                "days_idle": days_idle,
                "monthly_cost": c.monthly_cost,
            }
        )
    reach = [c for c in channels if c["audience"]]
    if reach:
        d.data["reach_chart"] = chart(
            "Channel reach (people or monthly views)",
            [
                (
                    f"{c['name']} ({c['entity']})",
                    [(c["audience"], "actual" if c["status"] == "active" else "warn", c["status"])],
                    f"{c['audience']:,} · {c['status']}",
                )
                for c in sorted(reach, key=lambda c: -c["audience"])
            ],
            (("actual", "in use"), ("warn", "not in use")),
        )

    # Campaigns: modelled upside = audience x response rate x value per response.
    campaigns: list[dict[str, Any]] = []
    for campaign in p.campaigns:
        channel = next(c for c in p.channels if c.id == campaign.channel)
        audience = campaign.audience if campaign.audience is not None else channel.audience
        if audience is None:
            d.needs.lack(f"the audience of {channel.name}", f"channels.{channel.id}.audience")
            continue
        campaigns.append(
            {
                "name": campaign.name,
                "channel": channel.name,
                "audience": audience,
                "never_used": channel.last_used is None,
                "low": audience * campaign.response_rate_low * campaign.value_per_response,
                "high": audience * campaign.response_rate_high * campaign.value_per_response,
                "rate_low": campaign.response_rate_low,
                "rate_high": campaign.response_rate_high,
                "value": campaign.value_per_response,
            }
        )

    # OTA sequence: in order; the next one is the first not live and not blocked.
    listings = sorted(p.ota_listings, key=lambda o: (o.entity, o.order))
    next_listing = next((o for o in listings if o.status != "live" and not o.blocked_by), None)
    blockers = sorted({o.blocked_by for o in listings if o.status != "live" and o.blocked_by})
    ota = [
        {
            "platform": o.platform,
            "entity": p.entity_name(o.entity),
            "order": o.order,
            "status": o.status.replace("_", " "),
            "blocked_by": o.blocked_by,
            "commission": o.commission,
            "next": o is next_listing,
        }
        for o in listings
    ]
    if not p.ota_listings:
        d.needs.lack("OTA listings and their order", "ota_listings")

    seo: list[dict[str, Any]] = [
        {
            "title": s.title,
            "entity": p.entity_name(s.entity),
            "due": p.meta.horizon_start + timedelta(days=s.horizon_days),  # fixed: never slides
            "horizon": s.horizon_days,
            "done": s.done,
        }
        for s in sorted(p.seo, key=lambda s: s.horizon_days)
    ]
    milestones: dict[int, list[dict[str, Any]]] = {h: [] for h in HORIZONS}
    for m in p.milestones:
        if m.report != "cmo":
            continue
        due = m.due or p.meta.horizon_start + timedelta(days=m.horizon_days or 0)
        days = (due - start).days
        bucket = next((h for h in HORIZONS if days <= h), HORIZONS[-1])
        milestones[bucket].append({"title": m.title, "owner": m.owner, "done": m.done, "due": due})
    if not any(milestones.values()):
        d.needs.lack("30/60/90-day marketing milestones", "milestones")

    d.data.update(
        {
            "kinds": kinds,
            "matrix": matrix,
            "channels": channels,
            "total_reach": sum(c["audience"] or 0 for c in channels if c["status"] == "active"),
            "idle_reach": sum(c["audience"] or 0 for c in channels if c["status"] != "active"),
            "campaigns": campaigns,
            "ota": ota,
            "live_count": sum(1 for o in listings if o.status == "live"),
            "blockers": blockers,
            "seo": seo,
            "milestones": milestones,
        }
    )

    # Action items.
    for planned in campaigns:
        if planned["never_used"]:
            d.act(
                f"Send the first {planned['name']} ({planned['audience']:,} people)", "CMO", 14, "Campaign sequencing"
            )
    if next_listing is not None:
        d.act(
            f"Get the {next_listing.platform} listing live",
            "CMO",
            14,
            "OTA sequencing",
            entity=p.entity_name(next_listing.entity),
        )
    for blocker in blockers:
        d.act(f"Obtain the {blocker} (unblocks the next OTA listings)", "CEO", 30, "OTA sequencing")
    for item in seo:
        if not item["done"] and item["horizon"] == HORIZONS[0]:
            d.act(item["title"], "CMO", item["due"], "Local SEO", entity=item["entity"])
