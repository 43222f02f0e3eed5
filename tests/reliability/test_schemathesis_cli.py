"""schemathesis' command line, every phase, every check, against the running local stack, as
each kind of caller: anonymous, a guest, crew and an admin.

Phases: examples, coverage (the boundary and type-violating values the pytest-driven fuzzing
in test_fuzz_api.py cannot reach: it missed the multipart 500s), fuzzing and stateful.
Checks: all. What must hold: no server error and no answer that breaks the documented schema
(status, content type, body) — in at least 4,000 requests over the four runs. Other checks
schemathesis reports (a loose schema that accepts what the domain later refuses, an undeclared
method answered 404 rather than 405) are counted and printed, not failed: the bodies are typed
loosely on purpose and the domain names the field it refuses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from local.stack import LocalStack
from tests.conftest import sign_in
from tests.security.conftest import ADMIN_EMAIL, add_guest, guest_session, new_sail, unique, unique_email

pytestmark = pytest.mark.slow

MUST_PASS = {"not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"}
EXAMPLES = 25  # per operation and phase: four runs of ~37 operations reach 4,000+ requests
MINIMUM_REQUESTS_PER_RUN = 1000  # four runs: 4,000+ together; each run checks its own count
ROOT = Path(__file__).resolve().parents[2]


def _own_address() -> str:
    raw = uuid.uuid4().bytes
    return f"127.{raw[0]}.{raw[1]}.{max(raw[2], 2)}"


def _run(stack: LocalStack, who: str, token: str | None, report: Path) -> tuple[int, Counter[str], Counter[str]]:
    """One CLI run; returns (requests sent, failures per check, statuses seen)."""
    command = [
        sys.executable,
        "-m",
        "tests.reliability.schemathesis_cli",
        _own_address(),
        "run",
        f"{stack.url}/api/openapi.json",
        "--url",
        stack.url,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "20261204",
        "--generation-deterministic",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        # Logging out would end the run's own session half-way through.
        "--exclude-path",
        "/api/auth/logout",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    # Run from the test's own folder: schemathesis keeps a cache of past findings in its working
    # directory (.schemathesis/) and replays them, so each run starts with none and writes nothing
    # into the repository.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    subprocess.run(command, cwd=report.parent, env=env, capture_output=True, text=True, timeout=900, check=False)
    sent, failed, statuses = 0, Counter[str](), Counter[str]()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for interaction in recorder.get("interactions", {}).values():
            if interaction.get("response"):
                sent += 1
                statuses[str(interaction["response"]["status_code"])[0] + "xx"] += 1
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                if check["status"] == "failure":
                    failed[check["name"]] += 1
    return sent, failed, statuses


@pytest.mark.parametrize("who", ["anonymous", "guest", "crew", "admin"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    stack: LocalStack, who: str, tmp_path: Path
) -> None:
    # Given a session of this kind of caller (a guest of a real sail)
    token: str | None = None
    if who == "admin":
        token = sign_in(stack, ADMIN_EMAIL).token
    elif who == "crew":
        token = sign_in(stack, unique_email("cli-crew")).token
    elif who == "guest":
        admin = sign_in(stack, ADMIN_EMAIL)
        sail = new_sail(admin, unique("CLI sail"))
        guest = add_guest(admin, sail["id"])
        token = guest_session(stack, guest["email"], sail["id"], guest["id"]).token
    # When schemathesis' CLI runs every phase with every check
    sent, failed, statuses = _run(stack, who, token, tmp_path / f"{who}.ndjson")
    print(f"\nschemathesis as {who}: {sent} requests, statuses {dict(statuses)}, other findings {dict(failed)}")
    # Then it sent real traffic, and nothing was a server error or broke the documented schema
    assert sent >= MINIMUM_REQUESTS_PER_RUN, f"the {who} run sent only {sent} requests"
    assert not {name: n for name, n in failed.items() if name in MUST_PASS}, dict(failed)
