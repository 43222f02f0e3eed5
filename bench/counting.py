"""Count DynamoDB round trips and the items they read, with botocore's events.

Handlers are registered on the client the app uses (`quarterdeck.clients.client("dynamodb")`):
`before-call.dynamodb.<Operation>` fires once per API call (retries included in it) and
`after-call.dynamodb.<Operation>` carries the parsed answer, from which the items read are
taken (Query/Scan: ScannedCount; GetItem: 1 if found; BatchGetItem: items returned).
While the API's access middleware resolves the caller, calls are tagged `auth`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    operation: str
    phase: str
    table: str = ""
    items_read: int = 0


@dataclass
class DynamoCounter:
    calls: list[Call] = field(default_factory=list)
    phase: str = "route"
    armed: bool = False
    _client: Any = None

    def install(self) -> DynamoCounter:
        from quarterdeck.clients import client

        self._client = client("dynamodb")
        self._client.meta.events.register("before-call.dynamodb", self._before, unique_id="bench-count-before")
        self._client.meta.events.register("after-call.dynamodb", self._after, unique_id="bench-count-after")
        return self

    def uninstall(self) -> None:
        if self._client is not None:
            self._client.meta.events.unregister("before-call.dynamodb", unique_id="bench-count-before")
            self._client.meta.events.unregister("after-call.dynamodb", unique_id="bench-count-after")
            self._client = None

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.armed:
            return
        table = ""
        try:
            body = json.loads(params.get("body") or b"{}")
            table = str(body.get("TableName") or "")
        except ValueError:
            pass
        self.calls.append(Call(operation=model.name, phase=self.phase, table=table))

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.armed or not self.calls:
            return
        call = self.calls[-1]
        if model.name in ("Query", "Scan"):
            call.items_read = int(parsed.get("ScannedCount", parsed.get("Count", 0)) or 0)
        elif model.name == "GetItem":
            call.items_read = 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            call.items_read = sum(len(v) for v in (parsed.get("Responses") or {}).values())
        elif model.name == "TransactGetItems":
            call.items_read = sum(1 for r in parsed.get("Responses") or [] if r.get("Item"))

    @contextmanager
    def counting(self) -> Iterator[list[Call]]:
        """Count the calls made inside the block; yields the list they land in."""
        self.calls = []
        self.armed = True
        try:
            yield self.calls
        finally:
            self.armed = False

    @contextmanager
    def tagged(self, phase: str) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous


def summary(calls: list[Call]) -> dict[str, Any]:
    by_phase = Counter(c.phase for c in calls)
    return {
        "total": len(calls),
        "auth": by_phase.get("auth", 0),
        "route": by_phase.get("route", 0),
        "operations": [f"{c.phase}:{c.operation}" for c in calls],
        "scans": sum(c.operation == "Scan" for c in calls),
        "items_read": sum(c.items_read for c in calls),
    }


@contextmanager
def auth_tagged(counter: DynamoCounter) -> Iterator[None]:
    """Tag the calls the API's access middleware makes to resolve the caller as `auth`."""
    import api_access

    original = api_access.resolve_caller

    def resolve_caller(app: Any, **options: Any) -> Any:
        with counter.tagged("auth"):
            return original(app, **options)

    api_access.resolve_caller = resolve_caller  # type: ignore[assignment]  # same call, tagged
    try:
        yield
    finally:
        api_access.resolve_caller = original
