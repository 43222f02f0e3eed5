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

from local.server import http_api_event
from local.stack import LocalStack
from quarterdeck.config import get_settings

ORIGIN_VALUE = uuid.uuid4().hex + uuid.uuid4().hex


class _Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "direct-call-test"


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
    return handler(event, _Context())  # type: ignore[no-any-return]


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
