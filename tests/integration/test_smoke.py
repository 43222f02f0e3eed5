"""The deploy's smoke test (tests/smoke/smoke.py) against the local stack, so it cannot rot.

It runs as the deploy workflow runs it, as a command, and is judged by what it prints and its
exit status. A second test points it at a site that is missing things, to see it fail and
name what failed.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]


def smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.smoke.smoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def outcome_lines(output: str) -> dict[str, str]:
    """{check name: "PASS ..."/"FAIL ..."/"SKIP ..."} from the script's report."""
    lines = {}
    for line in output.splitlines():
        outcome, _, rest = line.strip().partition("  ")
        if outcome in ("PASS", "FAIL", "SKIP"):
            name, _, detail = rest.partition(": ")
            lines[name] = f"{outcome} {detail}"
    return lines


def test_the_smoke_test_passes_against_the_local_stack(stack: LocalStack) -> None:
    # Given the local stack, which serves the frontend and the API from one origin as CloudFront does
    # When the deploy's smoke test runs against it
    run = smoke("--url", stack.url, "--local-outbox", f"{stack.url}/_local/outbox.json")
    # Then every check passes but the one that needs an execute-api endpoint, which says why it skipped
    assert run.returncode == 0, run.stdout + run.stderr
    outcomes = outcome_lines(run.stdout)
    assert {name: text.split()[0] for name, text in outcomes.items()} == {
        "static page and its security headers": "PASS",
        "API health": "PASS",
        "OpenAPI document": "PASS",
        "login link for an unknown address": "PASS",
        "API endpoint refused": "SKIP",
        "favicon": "PASS",
    }
    assert "nothing in the outbox" in outcomes["login link for an unknown address"]
    assert "no execute-api endpoint" in outcomes["API endpoint refused"]


def test_an_api_endpoint_that_answers_directly_fails_the_smoke_test(stack: LocalStack) -> None:
    # Given an "API endpoint" that serves the API directly (the local stack's own origin stands in
    # for an execute-api endpoint that was left open)
    # When the smoke test is told to check that it refuses
    run = smoke("--url", stack.url, "--api-endpoint", f"{stack.url}/api")
    # Then it fails, and names the check
    assert run.returncode == 1
    assert outcome_lines(run.stdout)["API endpoint refused"].startswith("FAIL")
    assert run.stdout.strip().splitlines()[-1] == "smoke test FAILED: API endpoint refused"


class _BareSite(BaseHTTPRequestHandler):
    """A page with no security headers, no API and no favicon: what a half-finished deploy serves."""

    def do_GET(self) -> None:
        body, status = (b"<!doctype html><title>Quarterdeck</title>", 200) if self.path == "/" else (b"no", 404)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture
def bare_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BareSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_site_missing_its_headers_api_and_favicon_fails_naming_each_check(bare_site: str) -> None:
    # Given a site that serves its page without security headers, and nothing else
    # When the smoke test runs against it
    run = smoke("--url", bare_site)
    # Then it exits non-zero and its last line names every failed check
    assert run.returncode == 1
    outcomes = outcome_lines(run.stdout)
    assert "missing security headers: content-security-policy" in outcomes["static page and its security headers"]
    assert outcomes["favicon"] == "FAIL /favicon.ico answered 404"
    assert run.stdout.strip().splitlines()[-1] == (
        "smoke test FAILED: static page and its security headers, API health, OpenAPI document, "
        "login link for an unknown address, favicon"
    )
