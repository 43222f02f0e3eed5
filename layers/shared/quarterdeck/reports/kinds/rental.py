"""Rental property (3028 51st St): occupancy, maintenance cost, income against expense, vacancy
periods, tenant communication log. Sent on the 1st for the month that just ended; the
trailing twelve months give the rates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from quarterdeck.reports.kinds import Draft
from quarterdeck.reports.model import chart
from quarterdeck.reports.periods import add_months, month_key, month_of, months_between

TRAILING_MONTHS = 12
QUIET_DAYS = 60
MAINTENANCE = ("maintenance", "repair")


def _occupied_days(tenancies: list[tuple[date, date | None]], start: date, end: date) -> int:
    days = set()
    for first, last in tenancies:
        lo, hi = max(first, start), min(last or end, end)
        day = lo
        while day <= hi:
            days.add(day)
            day += timedelta(days=1)
    return len(days)


def _vacancies(tenancies: list[tuple[date, date | None]], start: date, end: date) -> list[tuple[date, date]]:
    """Runs of days in [start, end] with no tenancy."""
    gaps: list[tuple[date, date]] = []
    cursor = start
    for first, last in sorted(tenancies):
        if (last or end) < cursor:
            continue
        if first > cursor:
            gaps.append((cursor, min(first - timedelta(days=1), end)))
        cursor = max(cursor, (last or end) + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return [(a, b) for a, b in gaps if a <= b]


def build(d: Draft) -> None:
    p = d.portfolio
    rental = p.rental
    if rental is None:
        d.needs.lack("the rental property's data (tenancies, ledger, communications)", "rental")
        d.data.update({"property": None})
        return
    month = month_of(d.period.end)
    last_month = month_key(month.end)
    first_month = add_months(last_month, -(TRAILING_MONTHS - 1))
    window_start = date(int(first_month[:4]), int(first_month[5:7]), 1)
    window_end = month.end
    tenancies = [(t.start, t.end) for t in rental.tenancies]
    if not rental.tenancies:
        d.needs.lack("tenancies (who rented and when)", "rental.tenancies")

    window_days = (window_end - window_start).days + 1
    occupied = _occupied_days(tenancies, window_start, window_end)
    month_days = (month.end - month.start).days + 1
    month_occupied = _occupied_days(tenancies, month.start, month.end)
    vacancies: list[dict[str, Any]] = [
        {"from": a, "to": b, "days": (b - a).days + 1, "ongoing": b == window_end}
        for a, b in _vacancies(tenancies, window_start, window_end)
    ]

    recurring = [(e.name, e.monthly) for e in p.expenses if e.asset == rental.asset]
    recurring_total = sum(amount for _, amount in recurring)
    income: dict[str, float] = defaultdict(float)
    costs: dict[str, float] = defaultdict(float)
    maintenance: dict[str, float] = defaultdict(float)
    for entry in rental.ledger:
        key = month_key(entry.date)
        if not first_month <= key <= last_month:
            continue
        if entry.kind == "rent":
            income[key] += entry.amount
        else:
            costs[key] += entry.amount
            if entry.kind in MAINTENANCE:
                maintenance[key] += entry.amount
    months = months_between(first_month, last_month)
    recorded = sorted({month_key(e.date) for e in rental.ledger if first_month <= month_key(e.date) <= last_month})
    if not recorded:
        d.needs.lack(f"the rental ledger for {first_month} to {last_month} (rent received and costs)", "rental.ledger")
        money_months: list[str] = []
    else:
        # Months before the ledger starts are unknown, not zero.
        money_months = [m for m in months if m >= recorded[0]]
        if recorded[0] > first_month:
            d.needs.lack(
                f"ledger entries for {first_month} to {add_months(recorded[0], -1)} (income and costs cover "
                f"{recorded[0]} to {last_month} only)",
                "rental.ledger",
            )
    rows: list[dict[str, Any]] = []
    for m in money_months:
        expense = costs[m] + recurring_total
        rows.append(
            {
                "month": m,
                "income": income[m],
                "expense": expense,
                "net": income[m] - expense,
                "maintenance": maintenance[m],
            }
        )
    total_income = sum(r["income"] for r in rows)
    total_expense = sum(r["expense"] for r in rows)

    current = next(
        (t for t in rental.tenancies if t.start <= month.end and (t.end is None or t.end >= month.end)), None
    )
    expected = current.monthly_rent if current else 0.0
    received = income[last_month]
    communications = sorted(
        (c for c in rental.communications if window_start <= c.date <= window_end), key=lambda c: c.date, reverse=True
    )
    last_contact = max((c.date for c in rental.communications if c.date <= window_end), default=None)
    quiet = (window_end - last_contact).days if last_contact else None

    data: dict[str, Any] = {
        "property": p.asset_name(rental.asset),
        "month": month,
        "window": (first_month, last_month),
        "money_window": (money_months[0], money_months[-1]) if money_months else None,
        "money_months": len(money_months),
        "occupancy": occupied / window_days if window_days else None,
        "occupied_days": occupied,
        "window_days": window_days,
        "month_occupancy": month_occupied / month_days,
        "vacancies": vacancies,
        "vacant_days": sum(v["days"] for v in vacancies),
        "rows": rows,
        "recurring": recurring,
        "recurring_total": recurring_total,
        "total_income": total_income,
        "total_expense": total_expense,
        "net": total_income - total_expense,
        "maintenance_total": sum(maintenance.values()),
        "maintenance_month": maintenance[last_month],
        "tenant": current.tenant if current else None,
        "expected": expected,
        "received": received,
        "arrears": max(0.0, expected - received) if current else 0.0,
        "communications": communications,
        "last_contact": last_contact,
        "quiet_days": quiet,
        "chart": chart(
            "Income against expense by month",
            [
                (
                    r["month"],
                    [(r["income"], "good", "income"), (r["expense"], "warn", "expense")],
                    f"${r['income']:,.0f} in, ${r['expense']:,.0f} out",
                )
                for r in rows
            ],
            (("good", "rent received"), ("warn", "costs, including mortgage, tax and insurance")),
        ),
    }
    d.data.update(data)

    if current is None:
        d.act(
            f"List {data['property']}: vacant since {vacancies[-1]['from']:%b} {vacancies[-1]['from'].day}"
            if vacancies
            else f"List {data['property']}",
            "CEO",
            7,
            "Vacancy periods",
            key="list the property",
        )
    elif data["arrears"] > 0:
        d.act(
            f"Collect {month.label} rent from {current.tenant}: ${data['arrears']:,.0f} outstanding",
            "CFO",
            5,
            "Income against expense",
        )
    if current is not None and (quiet is None or quiet > QUIET_DAYS):
        d.act(
            f"Check in with {current.tenant} (no contact for {quiet or 'ever'} days)",
            "CEO",
            14,
            "Tenant communication log",
        )
    if data["net"] < 0:
        d.act(
            f"Review rent and costs: the property lost ${-data['net']:,.0f} over {len(money_months)} months",
            "CFO",
            30,
            "Income against expense",
        )
