"""Accounting: revenue recognition, chart of accounts, expense categorisation audit, systems
audit, the milestone roadmap to profitability."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from quarterdeck.reports.finance import METRIC_LABELS, metric_met, metric_value
from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.portfolio import Portfolio

BASIS_LABELS = {
    "on_service": "when the service happens (charters, jobs, deliveries)",
    "on_booking": "when booked",
    "over_period": "over the month it covers (retainers, rent)",
}


def _stream_name(portfolio: Portfolio, stream_id: str) -> str:
    stream = portfolio.stream(stream_id)
    return stream.name if stream else stream_id


def build(d: Draft) -> None:
    p, f = d.portfolio, d.finance
    acct = p.accounting
    if acct is None:
        d.needs.lack("the accounting setup (system, receipts, chart of accounts)", "accounting")

    # Revenue recognition: last month's revenue by recognition basis, and deposits held.
    by_basis: dict[str, float] = defaultdict(float)
    by_stream: dict[str, float] = defaultdict(float)
    last = f.last_month
    for entry in p.revenue:
        if entry.month == last:
            stream = p.stream(entry.stream)
            if stream is not None:
                by_basis[stream.recognition] += entry.amount
                by_stream[stream.name] += entry.amount
    deposits = acct.deposits if acct else []
    unearned = [dep for dep in deposits if dep.service_date > d.today]
    earned = [dep for dep in deposits if dep.service_date <= d.today]

    # Chart of accounts and the expense categorisation audit.
    chart = sorted(acct.chart, key=lambda a: a.number) if acct else []
    mapped = {category: account for account in chart if account.type == "expense" for category in account.categories}
    streams_mapped = {stream for account in chart if account.type == "income" for stream in account.streams}
    categories: dict[str, float] = defaultdict(float)
    lines: dict[str, int] = defaultdict(int)
    for expense in p.expenses:
        categories[expense.category] += expense.monthly
        lines[expense.category] += 1
    audit: list[dict[str, Any]] = [
        {
            "category": category.replace("_", " "),
            "monthly": amount,
            "lines": lines[category],
            "account": f"{mapped[category].number} {mapped[category].name}" if category in mapped else None,
        }
        for category, amount in sorted(categories.items(), key=lambda kv: -kv[1])
    ]
    unmapped = [row for row in audit if row["account"] is None]
    unmapped_streams = [s.name for s in p.revenue_streams if s.id not in streams_mapped]

    # Systems audit.
    checks: list[dict[str, Any]] = []
    if acct is not None:
        checks = [
            {
                "check": "Accounting system in use",
                "ok": bool(acct.system.strip()),
                "detail": acct.system.strip() or "none: the books are not kept in one system",
            },
            {
                "check": "Receipts kept with the books",
                "ok": acct.receipts.lower() not in ("email", "inbox", "none"),
                "detail": f"receipts live in {acct.receipts}",
            },
            {
                "check": "Bank feeds into the books",
                "ok": acct.bank_feeds,
                "detail": "" if acct.bank_feeds else "typed by hand or not at all",
            },
            {
                "check": "Monthly close",
                "ok": acct.monthly_close,
                "detail": "" if acct.monthly_close else "no month is closed",
            },
            {
                "check": "Separate bank account per entity",
                "ok": acct.separate_accounts,
                "detail": "" if acct.separate_accounts else "entities share accounts",
            },
        ]
    passed = sum(1 for c in checks if c["ok"])

    # Roadmap to profitability: the accounting milestones, each checked against its metric.
    roadmap: list[dict[str, Any]] = []
    for m in sorted((m for m in p.milestones if m.report == "accounting"), key=lambda m: m.due or d.today):
        due = m.due or p.meta.horizon_start + timedelta(days=m.horizon_days or 0)  # fixed: never slides
        value = metric_value(m.metric, f) if m.metric else None
        met = metric_met(m.metric, value, m.target) if m.metric and m.target is not None else None
        if m.metric and value is None:
            d.needs.lack(f"the current {METRIC_LABELS[m.metric]} (milestone {m.title!r})", f"milestones.{m.metric}")
        roadmap.append(
            {
                "title": m.title,
                "owner": m.owner,
                "due": due,
                "done": m.done or bool(met),
                "metric": METRIC_LABELS.get(m.metric or "", ""),
                "metric_name": m.metric,
                "target": m.target,
                "value": value,
                "met": met,
            }
        )
    if not roadmap:
        d.needs.lack("the milestones of the profitability roadmap", "milestones")

    d.data.update(
        {
            "last_month": last,
            "by_basis": [(BASIS_LABELS[b], amount) for b, amount in sorted(by_basis.items(), key=lambda kv: -kv[1])],
            "by_stream": sorted(by_stream.items(), key=lambda kv: -kv[1]),
            "last_total": sum(by_stream.values()),
            "unearned": [
                {
                    "stream": _stream_name(p, x.stream),
                    "amount": x.amount,
                    "received": x.received,
                    "service_date": x.service_date,
                }
                for x in unearned
            ],
            "unearned_total": sum(x.amount for x in unearned),
            "earned_total": sum(x.amount for x in earned),
            "chart": chart,
            "audit": audit,
            "unmapped": unmapped,
            "unmapped_streams": unmapped_streams,
            "checks": checks,
            "passed": passed,
            "roadmap": roadmap,
            "finance": f,
        }
    )

    # Action items.
    if acct is not None and not acct.system.strip():
        d.act("Choose one accounting system and move the books into it", "Accounting", 14, "Systems audit")
    if acct is not None and acct.receipts.lower() in ("email", "inbox", "none"):
        d.act(f"Move receipts out of {acct.receipts} into the books", "Accounting", 21, "Systems audit")
    if unmapped:
        names = ", ".join(row["category"] for row in unmapped)
        d.act(
            f"Map {len(unmapped)} expense categories to accounts: {names}",
            "Accounting",
            14,
            "Expense audit",
            key="map expense categories",
        )
    if unearned:
        d.act(
            f"Book ${sum(x.amount for x in unearned):,.0f} of deposits as unearned revenue until the sail",
            "Accounting",
            7,
            "Revenue recognition",
        )
    for step in roadmap:
        if not step["done"] and step["met"] is False:
            d.act(
                f"Roadmap: {step['title']} (due {step['due']:%b} {step['due'].day})",
                step["owner"],
                step["due"],
                "Profitability roadmap",
                key=f"roadmap {step['title']}",
            )
