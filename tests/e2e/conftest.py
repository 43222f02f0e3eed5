"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the local stack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from local.stack import LocalStack
from tests.conftest import code_of, last_link_to

CHROMIUM = "/usr/bin/chromium"
# The closed network here refuses Chromium's background connections; these flags keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageProblems:
    """What the page complained about: CSP violations, uncaught errors."""

    def __init__(self) -> None:
        self.csp_violations: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


def _watch(page: Page, problems: PageProblems) -> None:
    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            problems.csp_violations.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.errors.append(str(error)))


def new_phone_page(browser: Browser, problems: PageProblems) -> Page:
    """A fresh, phone-sized browser session (its own cookies)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _watch(page, problems)
    return page


@pytest.fixture
def page(browser: Browser, problems: PageProblems) -> Iterator[Page]:
    created = new_phone_page(browser, problems)
    yield created
    created.context.close()
    assert problems.csp_violations == [], problems.csp_violations
    assert problems.errors == [], problems.errors


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def sign_in_in_browser(page: Page, stack: LocalStack, email: str) -> None:
    """The person's way in: type the email, open the link from the outbox."""
    page.goto(f"{stack.url}/#/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    page.get_by_text("is on its way").wait_for()
    page.goto(f"{stack.url}/#/magic?code={code_of(last_link_to(stack, email))}")
    page.get_by_role("button", name="Sign out").wait_for()
