"""Fuzzing: schemathesis generates requests from the API's own document (GET /api/openapi.json
of the running local stack) and sends them, as nobody and as an admin.

Every answer must be no 5xx, carry a documented status and content type, and match the
documented schema (error envelopes included). Three runs: anonymous; admin with made-up ids;
admin with the ids of a real sail, guest and task, so generated bodies reach the domain
instead of stopping at "no such sail". Each operation gets schema-conforming (positive) and
schema-violating (negative) requests. Generation is derandomized and bounded per operation, so
a run is repeatable and takes about a minute.

schemathesis' own pytest integration (`schemathesis.pytest.from_fixture`) does not run under
pytest 9.2 (it sets `Function._nodeid`, which pytest 9.2 removed), so each operation's
Hypothesis strategy (`APIOperation.as_strategy`, the documented way to use schemathesis with
`@given`) is driven here directly; the checks are schemathesis' own.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in
from tests.reliability.conftest import session_from_own_address

pytestmark = pytest.mark.slow

EXAMPLES = 10  # per operation, per generation mode, per run
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Each run checks its own count (a test that summed the others' counts passed or skipped
# depending on which tests ran before it): three runs, 1,000+ requests together.
MINIMUM_REQUESTS_PER_RUN = 340
# Logging out would revoke the admin's session halfway through a run (the anonymous run sends it);
# cancelling the real sail would turn the rest of that run into "this sail is cancelled".
NOT_AS_ADMIN = {"POST /api/auth/logout"}
NOT_ON_REAL_IDS = {"POST /api/auth/logout", "POST /api/sails/{sail_id}/cancel"}

SENT: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


def load_document(stack: LocalStack, token: str | None = None) -> Any:
    """The document as the stack serves it, with the caller's token on every generated request."""
    schema = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json", config=SchemathesisConfig(), timeout=30)
    schema.config.update(base_url=stack.url, headers={"Authorization": f"Bearer {token}"} if token else None)
    return schema


def fuzz(
    run: str,
    schema: Any,
    *,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    path_ids: dict[str, str] | None = None,
    before_each: Callable[[], None] = lambda: None,
) -> list[str]:
    """Send EXAMPLES positive and EXAMPLES negative requests to every operation; return what failed."""
    problems: list[str] = []
    http = session_from_own_address()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, [op.label for op in operations]
    for operation in operations:
        if operation.label in skip:
            continue
        fixed = {p.name: (path_ids or {})[p.name] for p in operation.path_parameters if p.name in (path_ids or {})}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,  # the same requests on every run
                database=None,  # nothing written into the repository
                deadline=None,
                phases=[Phase.explicit, Phase.generate],  # report the first failure as found, unshrunk
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
            def send(case: Case) -> None:
                before_each()
                response = case.call_and_validate(session=http, checks=CHECKS, timeout=30)
                SENT[run] += 1
                STATUSES[response.status_code] += 1

            try:
                send()
            except Unsatisfiable:  # nothing to break: no body, and any string is a valid path id
                continue
            except (Exception, BaseExceptionGroup) as failure:  # every operation is tried; all are reported
                problems.append(f"{operation.label} ({mode.value}): {describe(failure)}")
    return problems


def describe(failure: BaseException) -> str:
    if isinstance(failure, BaseExceptionGroup):
        return "; ".join(describe(sub) for sub in failure.exceptions)
    return " ".join(str(failure).split())[:600]


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Iterator[None]:
    yield
    if SENT:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(STATUSES.items()))
        print(f"\nfuzzing: {sum(SENT.values())} generated requests {dict(SENT)}; answers by status {statuses}")


def test_fuzz_as_anonymous(stack: LocalStack) -> None:
    problems = fuzz("anonymous", load_document(stack))
    assert not problems, "\n\n".join(problems)
    assert SENT["anonymous"] >= MINIMUM_REQUESTS_PER_RUN, dict(SENT)


def test_fuzz_as_admin(stack: LocalStack) -> None:
    admin = sign_in(stack, "admin@example.com")
    problems = fuzz("admin", load_document(stack, admin.token), skip=NOT_AS_ADMIN)
    assert not problems, "\n\n".join(problems)
    assert SENT["admin"] >= MINIMUM_REQUESTS_PER_RUN, dict(SENT)


def real_sail_guest_task(admin: ApiClient) -> dict[str, str]:
    day = (date.today() + timedelta(days=45)).isoformat()
    sail = admin.post("/api/sails", {"date": day, "title": f"Fuzz {uuid.uuid4().hex[:6]}", "crew_slots": 2})
    assert sail.status_code == 201, sail.text
    sail_id = sail.json()["id"]
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    guest = admin.post(f"/api/sails/{sail_id}/guests", {"name": "Fuzz Guest", "email": email})
    assert guest.status_code == 201, guest.text
    task = admin.post("/api/tasks", {"title": "Fuzz task"})
    assert task.status_code == 201, task.text
    return {"sail_id": sail_id, "guest_id": guest.json()["guest"]["id"], "task_id": task.json()["id"]}


def test_fuzz_as_admin_on_real_ids(stack: LocalStack) -> None:
    admin = sign_in(stack, "admin@example.com")
    ids = real_sail_guest_task(admin)
    problems = fuzz("admin on real ids", load_document(stack, admin.token), skip=NOT_ON_REAL_IDS, path_ids=ids)
    assert not problems, "\n\n".join(problems)
    assert SENT["admin on real ids"] >= MINIMUM_REQUESTS_PER_RUN, dict(SENT)
