"""3. Warm latency: ApiFunction's handler vs the same routes as a minimal boto3 handler.

Both handlers run in this process against the same moto table, warmed up first, then
invoked alternately (in a random order each round) with identical HTTP API v2 events,
so a noisy moment on the machine hits both alike. Only the handler call is timed. A claim
is timed on an open slot; the slot is then released through the domain, untimed, so
every claim starts from the same state. SES's MaxSendRate is set high here: pacing is
measured in bench.pacing, not here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import Section, judged, ms, percentile, ratio
from bench.context import CREW, NullMailer

WARMUP = 10


@dataclass
class Route:
    label: str
    method: str
    target: str
    who: str
    after: Callable[[], None] | None = None  # untimed reset after each call


class AwsClock:
    """Time spent inside AWS SDK calls (any client), to tell a handler's own time from the
    emulator's: botocore's BaseClient._make_api_call is wrapped while the stage runs."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._original: Any = None

    def __enter__(self) -> AwsClock:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        clock = self

        def _make_api_call(client: Any, operation: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                clock.spent += time.perf_counter() - started

        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


def _event(method: str, target: str, token: str) -> dict[str, Any]:
    from local.server import http_api_event

    headers = {"host": "127.0.0.1:3000", "accept": "application/json", "authorization": f"Bearer {token}"}
    body = b"{}" if method == "POST" else b""
    if body:
        headers["content-type"] = "application/json"
    return http_api_event(method, target, headers, body, "127.0.0.1")


def run(ctx: Any) -> Section:
    import api_handler

    from bench import minimal_handler
    from local.server import LambdaContext
    from quarterdeck import crew
    from quarterdeck.auth import Caller
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.repositories.sails import DynamoSailRepository

    section = Section("3. Warm latency, in-process (ApiFunction vs minimal boto3 handler)")
    store, null_mailer = ctx.store(), NullMailer()
    seeded = ctx.seeded
    holder = Caller(email=CREW, role="crew", jti="bench", expires=0)
    slot = "crew-2"

    def release() -> None:
        crew.release_role(
            DynamoSailRepository(store),
            null_mailer,
            holder,
            seeded.claim_sail,
            slot,
            people=DynamoPeopleRepository(store),
        )

    routes = [
        Route("sail page: GET /api/sails/{id}", "GET", f"/api/sails/{seeded.page_sail}", "crew"),
        Route(
            "claim: POST .../roles/{slot}/claim",
            "POST",
            f"/api/sails/{seeded.claim_sail}/roles/{slot}/claim",
            "crew",
            after=release,
        ),
        Route("task list: GET /api/tasks", "GET", "/api/tasks", "admin"),
    ]
    handlers = {"api": api_handler.handler, "minimal": minimal_handler.handler}
    iterations = max(30, int(ctx.args.iterations))
    timings: dict[str, dict[str, list[float]]] = {r.label: {name: [] for name in handlers} for r in routes}
    own: dict[str, dict[str, list[float]]] = {r.label: {name: [] for name in handlers} for r in routes}
    shuffle = random.Random(10)  # an order, not a secret
    with AwsClock() as aws:
        for round_number in range(WARMUP + iterations):
            for route in routes:
                order = list(handlers)
                shuffle.shuffle(order)
                for name in order:
                    event = _event(route.method, route.target, seeded.tokens[route.who])
                    context = LambdaContext()
                    aws.spent = 0.0
                    started = time.perf_counter()
                    result = handlers[name](event, context)
                    elapsed = time.perf_counter() - started
                    in_aws = aws.spent
                    status = int(result.get("statusCode", 200))
                    if status >= 300:
                        raise RuntimeError(f"{name} {route.label} answered {status}: {result.get('body')}")
                    if route.after:
                        route.after()
                    if round_number >= WARMUP:
                        timings[route.label][name].append(elapsed)
                        own[route.label][name].append(elapsed - in_aws)

    for route in routes:
        api_times, minimal_times = timings[route.label]["api"], timings[route.label]["minimal"]
        p50, p95 = percentile(api_times, 50), percentile(api_times, 95)
        m50, m95 = percentile(minimal_times, 50), percentile(minimal_times, 95)
        value = p50 / m50
        own_api, own_minimal = percentile(own[route.label]["api"], 50), percentile(own[route.label]["minimal"], 50)
        section.data[route.label] = {
            "api_own_p50_s": own_api,
            "minimal_own_p50_s": own_minimal,
            "iterations": iterations,
            "api_p50_s": p50,
            "api_p95_s": p95,
            "minimal_p50_s": m50,
            "minimal_p95_s": m95,
            "p50_ratio": value,
            "p95_ratio": p95 / m95,
        }
        section.add(
            judged(
                route.label,
                value,
                f"{ratio(value)} (p50 {ms(p50)} vs {ms(m50)}; p95 {ms(p95)} vs {ms(m95)})",
                "p50 ≤ 1.5x",
                value <= 1.5,
                f"outside AWS calls (p50): {ms(own_api)} vs {ms(own_minimal)}; the rest is the emulator's answer time",
            )
        )
    section.notes.append(
        f"{iterations} timed calls per route and handler after {WARMUP} warm-up rounds; "
        "the minimal handler is bench/minimal_handler.py (same JWT check, person read, DynamoDB calls and emails)."
    )
    return section
