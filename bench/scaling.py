"""4. Scaling: what a nudge run reads as past sails pile up, and the sail page in a busy month.

Nudges: one table per size (0, 1,000, 10,000 past sails), each holding the same upcoming
sails (same ids, roles, guests, checklists) and people; `run_nudges` runs once on each with
the same fixed clock and a null mailer, and the items read are counted with botocore's
events (Query: ScannedCount; GetItem/BatchGetItem: items returned). Past sails are spread
over the years before the clock, including the same month, so they share the upcoming
sails' GSI1 partition (`SAILS#ALL`: every sail, by departure). They are written as their META items (what GSI1 indexes,
and all of a past sail that any read by date could touch) in batches, built by the same
`create_sail` as the app's.

Sail page: 5 sails in one month and 500 in the next, in the API's own table (every item
`create_sail` writes, written in batches); the page of a sail in each month is timed
alternately through ApiFunction's handler.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import Section, info, judged, ms, percentile, ratio
from bench.context import ADMIN, CAPTAIN, CREW, NullMailer, future_day
from bench.counting import DynamoCounter, summary

NUDGE_AT = datetime(2027, 6, 18, 15, 5, tzinfo=UTC)  # 08:05 in San Diego, a Friday: no quiet hours
CREATED_AT = NUDGE_AT - timedelta(days=60)
UPCOMING_DAYS = (0, 1, 3, 7)  # day-of, d1, d3, d7 nudges
PAST_PER_DAY = 10
BUSY, QUIET = 500, 5


def constant(value: str) -> Callable[[], str]:
    return lambda: value


@contextmanager
def cached_sun() -> Iterator[None]:
    """Sunset computed once per date while seeding thousands of sails (bench only)."""
    from quarterdeck import sail_fields as sails  # where a sail's times are worked out

    original = sails.sail_times
    by_day: dict[date, Any] = {}

    def sail_times(day: date, **kwargs: Any) -> Any:
        if day not in by_day:
            by_day[day] = original(day, **kwargs)
        return by_day[day]

    sails.sail_times = sail_times  # type: ignore[assignment]
    try:
        yield
    finally:
        sails.sail_times = original  # type: ignore[assignment]


def new_table(ctx: Any, name: str) -> Any:
    from local.provision import _resources, create_table, load_template
    from quarterdeck.store import Store

    create_table(_resources(load_template(), "AWS::DynamoDB::Table")["Table"], name=name)
    return Store(table_name=name)


def seed_upcoming(store: Any) -> None:
    """The same upcoming sails, people, roles and guests in every table (fixed ids and clock)."""
    from quarterdeck import crew, guests, sails
    from quarterdeck.auth import Caller
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.guests import DynamoGuestRepository
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.repositories.sails import DynamoSailRepository

    people = DynamoPeopleRepository(store)
    mailer = NullMailer()
    clock = lambda: CREATED_AT  # noqa: E731
    for email, role in ((ADMIN, "admin"), (CREW, "crew"), (CAPTAIN, "crew")):
        ensure_person(people, email, role, clock=clock)
    local_day = NUDGE_AT.astimezone(sails.get_settings().timezone).date()
    for n, days in enumerate(UPCOMING_DAYS):
        sail_id = f"upcoming{n}"
        day = (local_day + timedelta(days=days)).isoformat()
        sails.create_sail(
            DynamoSailRepository(store),
            ADMIN,
            date=day,
            title=f"Upcoming {n}",
            crew_slots=2,
            clock=clock,
            new_id=constant(sail_id),
        )
        captain = Caller(email=CAPTAIN, role="crew", jti="bench", expires=0)
        crew.claim_role(DynamoSailRepository(store), mailer, captain, sail_id, "captain", people=people, clock=clock)
        for g in range(2):
            email = f"scaling-guest{n}-{g}@example.com"
            guests.add_guest(
                DynamoGuestRepository(store), mailer, ADMIN, sail_id, name=f"Guest {g}", email=email, clock=clock
            )
            ensure_person(people, email, "guest", clock=clock)


class _Capture:
    """A stand-in store for `create_sail`: keeps the items its transaction would put (all of
    them, or only the sail's META), to be written in batches. moto copies the whole table on
    every TransactWriteItems, so thousands of transactions would take minutes."""

    def __init__(self, *, meta_only: bool) -> None:
        self.meta_only = meta_only
        self.items: list[dict[str, Any]] = []

    def transact(self, writes: list[Any]) -> None:
        for write in writes:
            if write.kind == "Put" and write.item and (not self.meta_only or write.item.get("sk") == "META"):
                self.items.append(write.item)


def seed_past(store: Any, count: int, start: int) -> None:
    """`count` sails before the nudge clock, PAST_PER_DAY a day, going back from yesterday."""
    from quarterdeck import sails
    from quarterdeck.repositories.sails import DynamoSailRepository

    capture = _Capture(meta_only=True)
    local_day = NUDGE_AT.astimezone(sails.get_settings().timezone).date()
    first_day = NUDGE_AT - timedelta(days=2 + count // PAST_PER_DAY)
    early = lambda: first_day  # noqa: E731 - every seeded date is in the future then, and within five years
    ids = itertools.count(start)
    with cached_sun():
        for n in range(count):
            day = local_day - timedelta(days=1 + n // PAST_PER_DAY)
            sail_id = f"past{next(ids)}"
            sails.create_sail(
                DynamoSailRepository(capture),  # type: ignore[arg-type]
                ADMIN,
                date=day.isoformat(),
                title=f"Past sail {n}",
                clock=early,
                new_id=constant(sail_id),
            )
    store.put_many(capture.items)


def nudge_reads(ctx: Any, store: Any, counter: DynamoCounter) -> dict[str, Any]:
    from quarterdeck.nudges import run_nudges

    with counter.counting() as calls:
        result = run_nudges(store, NullMailer(), ctx.unsubscribe_keys, clock=lambda: NUDGE_AT)
    mine = [c for c in calls if c.table == store.table_name or not c.table]
    reads = [c for c in mine if c.operation in ("Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems")]
    counted = summary(reads)
    return {
        "items_read": counted["items_read"],
        "read_calls": counted["total"],
        "operations": sorted({c.operation for c in reads}),
        "writes": len(mine) - len(reads),
        "sails_seen": result.sails,
        "sent": dict(result.sent),
        "skipped": dict(result.skipped),
    }


def nudges(ctx: Any, section: Section) -> None:
    sizes = [int(s) for s in str(ctx.args.past_sails).split(",") if s.strip()]
    counter = DynamoCounter().install()
    results: dict[int, dict[str, Any]] = {}
    try:
        for size in sizes:
            started = time.perf_counter()
            store = new_table(ctx, f"bench-scaling-{size}")
            seed_upcoming(store)
            if size:
                seed_past(store, size, start=0)
            results[size] = nudge_reads(ctx, store, counter)
            results[size]["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        counter.uninstall()
    section.data["nudge_runs"] = {str(k): v for k, v in results.items()}
    first = results[sizes[0]]
    for size in sizes:
        got = results[size]
        same = got["items_read"] == first["items_read"] and got["read_calls"] == first["read_calls"]
        measured = (
            f"{got['items_read']} items in {got['read_calls']} reads; "
            f"{got['sails_seen']} upcoming sails, sent {sum(got['sent'].values())}"
        )
        section.add(
            judged(
                f"nudge run, {size:,} past sails: items read",
                got["items_read"],
                measured,
                f"= {first['items_read']} (as with {sizes[0]:,})",
                same,
            )
        )


def sail_page(ctx: Any, section: Section) -> None:
    import api_handler

    from local.server import LambdaContext, http_api_event
    from quarterdeck.repositories.sails import DynamoSailRepository
    from quarterdeck.sails import create_sail

    store = ctx.store()
    quiet_month, busy_month = future_day(400).replace(day=1), future_day(440).replace(day=1)
    capture = _Capture(meta_only=False)

    def fill(first: date, count: int) -> str:
        ids = []
        for n in range(count):
            day = first + timedelta(days=n % 28)
            created = create_sail(DynamoSailRepository(capture), ADMIN, date=day.isoformat(), title=f"Month sail {n}")  # type: ignore[arg-type]
            ids.append(str(created["id"]))
        return ids[len(ids) // 2]

    started = time.perf_counter()
    with cached_sun():
        quiet, busy = fill(quiet_month, QUIET), fill(busy_month, BUSY)
    store.put_many(capture.items)
    section.data["seed_month_sails_s"] = round(time.perf_counter() - started, 1)
    token = ctx.seeded.tokens["crew"]
    headers = {"host": "127.0.0.1:3000", "accept": "application/json", "authorization": f"Bearer {token}"}
    targets = {"quiet": f"/api/sails/{quiet}", "busy": f"/api/sails/{busy}"}
    times: dict[str, list[float]] = {"quiet": [], "busy": []}
    iterations = 30  # moto reads every item of the table per Query: each call is slow here
    for n in range(5 + iterations):
        for name in ("quiet", "busy") if n % 2 else ("busy", "quiet"):
            event = http_api_event("GET", targets[name], headers, b"", "127.0.0.1")
            began = time.perf_counter()
            result = api_handler.handler(event, LambdaContext())
            elapsed = time.perf_counter() - began
            if result["statusCode"] != 200:
                raise RuntimeError(f"sail page answered {result['statusCode']}: {result.get('body')}")
            if n >= 5:
                times[name].append(elapsed)
    q50, b50 = percentile(times["quiet"], 50), percentile(times["busy"], 50)
    value = b50 / q50
    section.data["sail_page_by_month"] = {
        "quiet_sails": QUIET,
        "busy_sails": BUSY,
        "quiet_p50_s": q50,
        "busy_p50_s": b50,
        "quiet_p95_s": percentile(times["quiet"], 95),
        "busy_p95_s": percentile(times["busy"], 95),
        "ratio": value,
        "iterations": iterations,
    }
    section.add(
        judged(
            f"sail page, {BUSY} vs {QUIET} sails in its month (p50)",
            value,
            f"{ratio(value)} ({ms(b50)} vs {ms(q50)})",
            "≤ 1.2x",
            value <= 1.2,
        )
    )


def run(ctx: Any) -> Section:
    section = Section("4. Scaling (nudge reads vs past sails; sail page vs sails in the month)")
    nudges(ctx, section)
    sail_page(ctx, section)
    runs = section.data.get("nudge_runs", {})
    section.add(info("seeding", ", ".join(f"{k} past: {v['seconds']} s" for k, v in runs.items())))
    return section
