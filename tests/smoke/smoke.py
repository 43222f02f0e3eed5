"""Smoke test of a running Quarterdeck: a deployed stack after each deploy, or the local stack.

    python -m tests.smoke.smoke --url https://dxxxx.cloudfront.net --api-endpoint https://abc.execute-api...

Each check prints PASS, FAIL (with why) or SKIP (with why); the exit status is 1 when any
check failed, and the last line names the failed checks. The deploy workflow runs it after
staging (a failure stops promotion to production) and after production; the integration
suite runs it against the local stack, so it cannot rot.

Standard library only: the deploy jobs run it with a bare Python, without the app's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

USER_AGENT = "quarterdeck-smoke/1"
# The security headers CloudFront's response headers policy adds to every answer.
SECURITY_HEADERS = (
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
)
# Statuses by which API Gateway (or the app) refuses a request that did not come through
# CloudFront: 403 from a disabled execute-api endpoint or a missing origin secret.
REFUSALS = frozenset({401, 403, 404})
ICO_MAGIC = b"\x00\x00\x01\x00"


class CheckFailed(Exception):
    """A check saw something a person would notice; the message says what."""


class CheckSkipped(Exception):
    """A check cannot run against this target; the message says why."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str:
        return str(self.headers.get(name) or "")

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise CheckFailed(f"answered {self.status} with a body that is not JSON: {self.body[:120]!r}") from error


def fetch(url: str, *, method: str = "GET", payload: object = None, timeout: float = 15.0) -> Answer:
    """One request; an HTTP error status is an answer, not an exception."""
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s) only, checked in main
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - as above
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


@dataclass(frozen=True)
class Target:
    url: str  # the site, as people reach it (CloudFront or the custom domain), no trailing slash
    api_endpoint: str | None  # the HTTP API's own execute-api endpoint, which must refuse
    local_outbox: str | None  # the local stack's outbox.json, to see that nothing was sent


def served(target: Target, path: str, media: str) -> Answer:
    """`path` of the site, answered 200 with a content type starting with `media`."""
    answer = fetch(target.url + path)
    if answer.status != 200:
        raise CheckFailed(f"{path} answered {answer.status}")
    if not answer.header("content-type").startswith(media):
        raise CheckFailed(f"{path} is {answer.header('content-type') or 'of no type'}, not {media}")
    return answer


def static_page(target: Target) -> str:
    answer = served(target, "/", "text/html")
    if b"Quarterdeck" not in answer.body:
        raise CheckFailed("/ does not look like Quarterdeck's page")
    missing = [name for name in SECURITY_HEADERS if not answer.header(name)]
    if missing:
        raise CheckFailed("missing security headers: " + ", ".join(missing))
    if answer.header("x-content-type-options").lower() != "nosniff":
        raise CheckFailed(f"X-Content-Type-Options is {answer.header('x-content-type-options')!r}, not nosniff")
    if "default-src" not in answer.header("content-security-policy"):
        raise CheckFailed("the Content-Security-Policy has no default-src")
    return "served with " + ", ".join(SECURITY_HEADERS)


def api_health(target: Target) -> str:
    answer = fetch(target.url + "/api/health")
    if answer.status != 200 or answer.json() != {"status": "ok"}:
        raise CheckFailed(f"/api/health answered {answer.status}: {answer.body[:200]!r}")
    return '{"status": "ok"}'


def openapi_document(target: Target) -> str:
    answer = fetch(target.url + "/api/openapi.json")
    if answer.status != 200:
        raise CheckFailed(f"/api/openapi.json answered {answer.status}")
    document = answer.json()
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise CheckFailed("/api/openapi.json is not an OpenAPI 3 document")
    paths = document.get("paths") or {}
    if "/api/health" not in paths:
        raise CheckFailed("the OpenAPI document does not describe /api/health")
    return f"OpenAPI {document['openapi']}, {len(paths)} paths"


def unknown_login_link(target: Target) -> str:
    # The SES mailbox simulator: were the app to send, no person would get it and no bounce
    # or complaint would count against the account. A fresh label each run, so no rate limit.
    address = f"success+smoke-{secrets.token_hex(6)}@simulator.amazonses.com"
    answer = fetch(target.url + "/api/auth/login-link", method="POST", payload={"email": address})
    if answer.status != 202:
        raise CheckFailed(f"answered {answer.status}, not 202: {answer.body[:200]!r}")
    answer.json()  # the API's JSON answer, not an error page in front of it
    if target.local_outbox is None:
        return "202 (mail is not observable from here; the address is SES's mailbox simulator)"
    time.sleep(0.5)  # a margin for a mailer that sends after answering
    sent = [m for m in json.loads(fetch(target.local_outbox).body) if address in m.get("to", [])]
    if sent:
        raise CheckFailed(f"{len(sent)} email(s) went to the unknown address")
    return "202, and nothing in the outbox"


def api_endpoint_refused(target: Target) -> str:
    if not target.api_endpoint:
        raise CheckSkipped(
            "no --api-endpoint given (the local stack has no execute-api endpoint: its API is served "
            "only through the one origin, as CloudFront serves it)"
        )
    base = target.api_endpoint.rstrip("/").removesuffix("/api")
    try:
        answer = fetch(base + "/api/health")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return f"no answer from {base} ({error})"
    if answer.status in REFUSALS:
        return f"{base}/api/health answered {answer.status}"
    raise CheckFailed(f"{base}/api/health answered {answer.status}: the API is reachable without CloudFront")


def favicon(target: Target) -> str:
    answer = served(target, "/favicon.ico", "image/")
    if not answer.body.startswith(ICO_MAGIC):
        raise CheckFailed("/favicon.ico is not an icon file")
    return f"{len(answer.body)} bytes, {answer.header('content-type')}"


CHECKS: tuple[tuple[str, Callable[[Target], str]], ...] = (
    ("static page and its security headers", static_page),
    ("API health", api_health),
    ("OpenAPI document", openapi_document),
    ("login link for an unknown address", unknown_login_link),
    ("API endpoint refused", api_endpoint_refused),
    ("favicon", favicon),
)


@dataclass(frozen=True)
class Result:
    check: str
    outcome: str  # PASS | FAIL | SKIP
    detail: str


def run_check(
    name: str, check: Callable[[Target], str], target: Target, retry_for: float, pause: float = 10.0
) -> Result:
    """Run one check, again every `pause` seconds for up to `retry_for` seconds while it fails
    (a fresh CloudFront distribution or invalidation takes minutes to reach every edge)."""
    deadline = time.monotonic() + retry_for
    while True:
        try:
            return Result(name, "PASS", check(target))
        except CheckSkipped as skipped:
            return Result(name, "SKIP", str(skipped))
        except (CheckFailed, urllib.error.URLError, TimeoutError, ConnectionError) as failed:
            detail = str(failed.reason) if isinstance(failed, urllib.error.URLError) else str(failed)
            if time.monotonic() + pause > deadline:
                return Result(name, "FAIL", detail)
            print(f"  ....  {name}: {detail}; trying again in {pause:.0f} s", flush=True)
            time.sleep(pause)


def _http_url(value: str) -> str:
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.smoke.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--url", type=_http_url, required=True, help="the site's URL (the SiteUrl output)")
    parser.add_argument(
        "--api-endpoint", type=_http_url, help="the API's own endpoint (the ApiUrl output), which must refuse"
    )
    parser.add_argument("--local-outbox", type=_http_url, help="the local stack's /_local/outbox.json")
    parser.add_argument("--retry-for", type=float, default=0.0, help="seconds to keep retrying a failing check")
    options = parser.parse_args(argv)
    target = Target(options.url, options.api_endpoint, options.local_outbox)

    print(f"smoke test of {target.url}", flush=True)
    results = []
    for name, check in CHECKS:
        result = run_check(name, check, target, options.retry_for)
        print(f"  {result.outcome}  {result.check}: {result.detail}", flush=True)
        results.append(result)
    failed = [r.check for r in results if r.outcome == "FAIL"]
    if failed:
        if os.environ.get("GITHUB_ACTIONS") == "true":  # an annotation on the run's summary page
            print(f"::error title=Smoke test failed::{'; '.join(failed)} ({target.url})")
        print(f"smoke test FAILED: {', '.join(failed)}")
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
