"""The API's own execute-api address is not a way around CloudFront (its WAF, its headers).

In AWS, CloudFront adds a secret origin header and ApiFunction (api_gate) refuses a request
without it. Here the same handler runs with ORIGIN_SECRET_ID pointing at a secret on moto's
Secrets Manager, as the template wires it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.environment import LambdaContext
from local.server import http_api_event
from local.stack import LocalStack
from quarterdeck.config import get_settings

ORIGIN_VALUE = uuid.uuid4().hex + uuid.uuid4().hex


@pytest.fixture
def behind_cloudfront(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    name = f"origin-verify-{uuid.uuid4().hex[:8]}"
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps({"kid": "o1", "key": ORIGIN_VALUE}))
    monkeypatch.setenv("ORIGIN_SECRET_ID", name)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("ORIGIN_SECRET_ID")
    get_settings.cache_clear()


def _call(headers: dict[str, str]) -> dict[str, Any]:
    from api_handler import handler

    event = http_api_event("GET", "/api/health", headers, b"", "198.51.100.7")
    return handler(event, LambdaContext())  # type: ignore[no-any-return]


def test_a_request_without_the_origin_header_is_refused(behind_cloudfront: None) -> None:
    # When someone calls the API's own address (no CloudFront, so no origin header)
    answer = _call({"host": "abc123.execute-api.us-east-1.amazonaws.com"})
    # Then it is refused, with the error envelope
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"])["error"]["code"] == "direct_api_call"


def test_a_request_with_a_wrong_origin_header_is_refused(behind_cloudfront: None) -> None:
    answer = _call({"x-quarterdeck-origin": "guess"})
    assert answer["statusCode"] == 403


def test_a_request_through_cloudfront_is_served(behind_cloudfront: None) -> None:
    # When CloudFront forwards a request with the header it was configured with
    answer = _call({"x-quarterdeck-origin": ORIGIN_VALUE})
    # Then it is answered as usual
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"status": "ok"}


def _wrong_code(viewer: str, *, origin: str | None = ORIGIN_VALUE) -> int:
    from api_handler import handler

    headers = {"content-type": "application/json", "x-quarterdeck-viewer": viewer}
    if origin:
        headers["x-quarterdeck-origin"] = origin
    body = json.dumps({"code": "wrong" + uuid.uuid4().hex}).encode()
    event = http_api_event("POST", "/api/auth/magic", headers, body, "130.176.1.1")  # one CloudFront edge
    return int(handler(event, LambdaContext())["statusCode"])


def _not_at_a_window_edge(window_seconds: int, margin: float = 15.0) -> None:
    """Counts start afresh each window: guesses that straddle its edge would be split in two."""
    import time

    left = window_seconds - time.time() % window_seconds
    if left < margin:
        time.sleep(left + 0.5)


def test_behind_cloudfront_the_guessing_limit_is_per_viewer_not_per_edge(behind_cloudfront: None) -> None:
    # Given one viewer who guesses codes until the limit, through the same edge as everyone
    limit = get_settings().magic_code_failures_per_window
    _not_at_a_window_edge(get_settings().magic_code_window_minutes * 60)
    guesser, bystander = f"203.0.113.{uuid.uuid4().int % 200 + 1}", f"198.51.100.{uuid.uuid4().int % 200 + 1}"
    statuses = [_wrong_code(guesser) for _ in range(limit + 1)]
    # Then the guesser is limited
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429, statuses
    # And another viewer behind the same edge is not
    assert _wrong_code(bystander) == 401


def test_without_cloudfront_a_viewer_header_sent_by_the_caller_is_not_believed(stack: LocalStack) -> None:
    # Given no origin gate (the local stack), a caller who rotates a made-up viewer header
    limit = get_settings().magic_code_failures_per_window
    edge = f"192.0.2.{uuid.uuid4().int % 200 + 1}"
    statuses = []
    for n in range(limit + 1):
        from api_handler import handler

        body = json.dumps({"code": "wrong" + uuid.uuid4().hex}).encode()
        headers = {"content-type": "application/json", "x-quarterdeck-viewer": f"203.0.113.{n + 1}"}
        event = http_api_event("POST", "/api/auth/magic", headers, body, edge)
        statuses.append(int(handler(event, LambdaContext())["statusCode"]))
    # Then the guesses still count against the connection's own address
    assert statuses[-1] == 429, statuses


@pytest.mark.parametrize("malformed", ["\ud800", "\x00\x1b", "", "x" * 300, "not a code!"])
def test_malformed_codes_count_as_wrong_guesses(stack: LocalStack, malformed: str) -> None:
    # Given a source that sends only malformed codes (each was a 500 or went uncounted)
    from api_handler import handler

    limit = get_settings().magic_code_failures_per_window
    source = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    statuses = []
    for _ in range(limit + 1):
        body = json.dumps({"code": malformed}).encode()
        event = http_api_event("POST", "/api/auth/magic", {"content-type": "application/json"}, body, source)
        statuses.append(int(handler(event, LambdaContext())["statusCode"]))
    # Then each is refused like a wrong code, and the limit is reached as with wrong codes
    assert all(400 <= status < 500 for status in statuses), statuses
    assert statuses[-1] == 429, statuses


def test_the_session_token_is_only_in_its_cookie(stack: LocalStack) -> None:
    from datetime import timedelta

    import requests

    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    # When someone redeems a login link
    code = issue_code(Store(), f"cookie-{uuid.uuid4().hex[:8]}@example.com", Purpose.login(), timedelta(minutes=15))
    answer = requests.post(f"{stack.url}/api/auth/magic", json={"code": code}, timeout=30)
    # Then the session is the HttpOnly cookie, and the body (which scripts read) does not carry it
    assert answer.status_code == 200, answer.text
    token = answer.cookies["qd_session"]
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    assert "token" not in answer.json()
    assert token not in answer.text


def test_the_local_outbox_answers_only_local_names(stack: LocalStack) -> None:
    import requests

    # When a page on another name that resolves here (DNS rebinding) asks for the outbox
    rebound = requests.get(f"{stack.url}/_local/outbox.json", headers={"Host": "attacker.example"}, timeout=30)
    # Then it is refused; the local names still get it
    assert rebound.status_code == 403
    assert requests.get(f"{stack.url}/_local/outbox.json", timeout=30).status_code == 200
