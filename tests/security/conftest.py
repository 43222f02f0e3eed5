"""Fixtures of the security suites: real sails, guests and sessions on the local stack.

Every session is opened the way a person opens one: a magic code (issued straight into the
table, as `tests.conftest.sign_in` does) redeemed through POST /api/auth/magic. A guest's code
is a waiver code for its own sail and guest record, so its session is confined to them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
import requests
from requests.adapters import HTTPAdapter

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in

T = TypeVar("T")
ADMIN_EMAIL = "admin@example.com"
CALLERS = ("anonymous", "guest_here", "guest_other", "crew", "admin")


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def unique_email(name: str) -> str:
    return f"{unique(name)}@example.com"


def signing_secret() -> dict[str, str]:
    """The JWT signing secret as the local stack's Secrets Manager holds it."""
    from quarterdeck.clients import client
    from quarterdeck.config import get_settings

    raw = client("secretsmanager").get_secret_value(SecretId=get_settings().signing_secret_id)
    return dict(json.loads(raw["SecretString"]))


class _FromAddress(HTTPAdapter):
    """Connect from another loopback address (the whole 127/8 is this machine)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(stack: LocalStack, source: str) -> ApiClient:
    """An API client whose requests come from `source` (e.g. 127.23.4.5), so per-address limits
    hit by an attack test never lock out the rest of the suite, which calls from 127.0.0.1."""
    api = ApiClient(stack.url)
    api.http.mount("http://", _FromAddress(source))
    return api


def fresh_loopback() -> str:
    raw = uuid.uuid4().bytes
    return f"127.{raw[0]}.{raw[1]}.{max(raw[2], 2)}"


def redeem(stack: LocalStack, code: str) -> requests.Response:
    return requests.post(f"{stack.url}/api/auth/magic", json={"code": code}, timeout=30)


def guest_session(stack: LocalStack, email: str, sail_id: str, guest_id: str) -> ApiClient:
    """The session a guest gets from its waiver link."""
    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    code = issue_code(Store(), email, Purpose.waiver(sail_id, guest_id), timedelta(hours=1))
    answer = redeem(stack, code)
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "guest"
    session = ApiClient(stack.url)
    session.token = answer.cookies["qd_session"]
    return session


def new_sail(admin: ApiClient, title: str = "Security sail", days_ahead: int = 21, **fields: Any) -> dict[str, Any]:
    day = (date.today() + timedelta(days=days_ahead)).isoformat()
    answer = admin.post("/api/sails", {"date": day, "title": title, **fields})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def add_guest(admin: ApiClient, sail_id: str, name: str = "Ada Guest", email: str | None = None) -> dict[str, Any]:
    answer = admin.post(f"/api/sails/{sail_id}/guests", {"name": name, "email": email or unique_email("guest")})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["guest"])


@dataclass
class World:
    """Two sails, each with a guest; a crew member holding crew-2 on the first sail; a task;
    a calendar feed of its own person. Sessions are opened fresh on demand, so a route that
    ends a session (logout) never spoils the next check."""

    stack: LocalStack
    sail_id: str
    guest_id: str
    guest_email: str
    other_sail_id: str
    other_guest_id: str
    other_guest_email: str
    crew_email: str
    task_id: str
    feed: str

    def session(self, who: str) -> ApiClient:
        if who == "anonymous":
            return ApiClient(self.stack.url)
        if who == "admin":
            return sign_in(self.stack, ADMIN_EMAIL)
        if who == "crew":
            return sign_in(self.stack, self.crew_email)
        if who == "guest_here":
            return guest_session(self.stack, self.guest_email, self.sail_id, self.guest_id)
        if who == "guest_other":
            return guest_session(self.stack, self.other_guest_email, self.other_sail_id, self.other_guest_id)
        raise ValueError(who)

    def login_code(self) -> str:
        """A fresh, valid login code of a throwaway crew member."""
        from quarterdeck.magic_codes import Purpose
        from quarterdeck.repositories.sign_in import issue_code
        from quarterdeck.store import Store

        return issue_code(Store(), unique_email("coder"), Purpose.login(), timedelta(minutes=15))

    def unsubscribe_token(self) -> str:
        from quarterdeck.unsubscribe import load_unsubscribe_keys, unsubscribe_token

        return unsubscribe_token(load_unsubscribe_keys(), unique_email("unsubscriber"))


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> Iterator[World]:
    from quarterdeck.calendar_feed import issue_calendar_token
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store

    admin = sign_in(stack, ADMIN_EMAIL)
    sail = new_sail(admin, unique("Matrix sail"), crew_slots=3)
    guest = add_guest(admin, sail["id"])
    other = new_sail(admin, unique("Other sail"), days_ahead=22)
    other_guest = add_guest(admin, other["id"])
    crew_email = unique_email("crew")
    crew = sign_in(stack, crew_email)
    held = crew.post(f"/api/sails/{sail['id']}/roles/crew-2/claim")
    assert held.status_code == 200, held.text
    task = admin.post("/api/tasks", {"title": unique("Matrix task")})
    assert task.status_code == 201, task.text
    feed_owner = unique_email("feed")
    ensure_person(DynamoPeopleRepository(Store()), feed_owner, "crew")
    feed_url = issue_calendar_token(DynamoPeopleRepository(Store()), feed_owner)["url"]
    yield World(
        stack=stack,
        sail_id=sail["id"],
        guest_id=guest["id"],
        guest_email=guest["email"],
        other_sail_id=other["id"],
        other_guest_id=other_guest["id"],
        other_guest_email=other_guest["email"],
        crew_email=crew_email,
        task_id=task.json()["id"],
        feed=feed_url.rsplit("/", 1)[1],
    )


def in_browser(work: Callable[[Any], T]) -> T:
    """Run `work(browser)` with a Chromium of its own, in a thread of its own.

    The e2e suite keeps one Playwright running for the whole session, and Playwright's sync API
    allows one per thread; a fresh thread (no event loop) can always start another."""

    def run() -> T:
        from playwright.sync_api import sync_playwright

        from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                return work(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def session_cookie(stack: LocalStack, token: str) -> Any:
    """The session cookie as the magic-link page leaves it in the browser."""
    return {
        "name": "qd_session",
        "value": token,
        "domain": "127.0.0.1",
        "path": "/api",
        "httpOnly": True,
        "sameSite": "Strict",
    }
