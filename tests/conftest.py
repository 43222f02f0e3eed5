"""Fixtures shared by every suite.

Integration and e2e tests run against the real local stack: moto's server in this process,
resources created from template.yaml, and the web server the browser and API clients use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.stack import LocalStack, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """One local stack per test session (moto server + template resources + web server)."""
    started = start_stack(seed=True)
    yield started
    started.stop()


class ApiClient:
    """A person's browser-less session against the local stack's /api."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.token: str | None = None

    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.request(method, self.base_url + path, json=json, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json if json is not None else {}, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kwargs)


def outbox(stack: LocalStack) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack.url}/_local/outbox.json", timeout=10).json())


def last_link_to(stack: LocalStack, email: str) -> str:
    """The newest magic link mailed to `email`."""
    import re

    for message in reversed(outbox(stack)):
        if email in message["to"]:
            match = re.search(r"(https?://\S+#/magic\?code=[\w-]+)", message["text"])
            if match:
                return match.group(1)
    raise AssertionError(f"no magic link mailed to {email}")


def code_of(link: str) -> str:
    return link.rsplit("code=", 1)[1]


def sign_in(stack: LocalStack, email: str) -> ApiClient:
    """A session for `email` through the real redemption route (POST /api/auth/magic).

    The code is issued directly, not mailed, so tests do not run into the per-email limit
    on login links; tests/integration/test_sign_in.py covers the emailed path.
    """
    from datetime import timedelta

    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import DynamoSignInRepository
    from quarterdeck.store import Store

    code = DynamoSignInRepository(Store()).issue_code(email, Purpose.login(), timedelta(minutes=15))
    client = ApiClient(stack.url)
    answer = client.post("/api/auth/magic", {"code": code})
    assert answer.status_code == 200, answer.text
    client.token = answer.cookies["qd_session"]
    return client


@pytest.fixture
def admin(stack: LocalStack) -> ApiClient:
    return sign_in(stack, "admin@example.com")


@pytest.fixture
def crew(stack: LocalStack) -> ApiClient:
    return sign_in(stack, "crew@example.com")


@pytest.fixture
def anonymous(stack: LocalStack) -> ApiClient:
    return ApiClient(stack.url)


@pytest.fixture(autouse=True)
def _no_real_aws() -> None:
    """Never reach a real AWS account from a test, even if the stack is not started.

    Set for the whole process, not undone after the test: a test that starts the session's
    stack part-way (a contract test's DynamoDB case) must not lose the stack's own settings
    when an undo puts back "unset"."""
    if not os.environ.get("AWS_ENDPOINT_URL"):
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
