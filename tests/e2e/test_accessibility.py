"""Accessibility (issue 24): axe-core (the copy pinned with axe-playwright-python, so it runs
offline) over every page at 390 px and 1280 px, signed in as each role, finds no serious or
critical violation; the role board and the task board work by keyboard alone, and the focus
is visible."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import code_of, last_link_to, sign_in
from tests.e2e.conftest import PageProblems, _watch
from tests.e2e.test_sails import api_sail, hold_session
from tests.e2e.test_waiver_flow import one_event_at_a_time  # noqa: F401  (autouse: one API event at a time)

pytestmark = pytest.mark.e2e

WIDTHS = [390, 1280]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> dict[str, Any]:
    """A sail with notes, a held role, a guest; a cancelled sail; a task on the board."""
    admin = sign_in(stack, "admin@example.com")
    crew = sign_in(stack, "crew@example.com")
    sail = api_sail(admin, crew_slots=2, notes="Bring layers. Forecast: https://www.weather.gov/sgx/")
    assert crew.post(f"/api/sails/{sail['id']}/roles/crew-1/claim", {}).status_code == 200
    guests = []
    for _ in WIDTHS:
        email = f"a11y-{uuid.uuid4().hex[:8]}@example.com"
        added = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Ada Guest", "email": email, "party_size": 1})
        assert added.status_code == 201, added.text
        guests.append(email)
    cancelled = api_sail(admin)
    assert admin.post(f"/api/sails/{cancelled['id']}/cancel", {"reason": "Wind"}).status_code == 200
    task = admin.post("/api/tasks", {"title": f"A11y task {uuid.uuid4().hex[:6]}", "owner": "CTO"})
    assert task.status_code == 201, task.text
    return {"sail": sail["id"], "cancelled": cancelled["id"], "guests": guests, "task": task.json()["title"]}


def settled(page: Page) -> None:
    """The page has drawn its content (no "Loading…" left)."""
    page.locator("main h1").first.wait_for()
    expect(page.locator(".loading")).to_have_count(0)


def violations(page: Page, where: str) -> list[Any]:
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    assert len(response["passes"]) > 10, where  # axe did run over the page
    found = response["violations"]
    return [
        (where, v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v.get("impact") in SERIOUS
    ]


@pytest.fixture
def context_page(browser: Browser, problems: PageProblems, request: pytest.FixtureRequest) -> Iterator[Page]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _watch(page, problems)
    yield page
    context.close()
    assert problems.errors == [], problems.errors


def visit_all(page: Page, stack: LocalStack, routes: list[str], opened: dict[str, Any] | None = None) -> list[Any]:
    bad: list[Any] = []
    for route in routes:
        page.goto(f"{stack.url}/{route}")
        settled(page)
        bad += violations(page, route)
        for label, open_it in (opened or {}).get(route, []):
            open_it(page)
            bad += violations(page, f"{route} {label}")
    return bad


@pytest.mark.parametrize("context_page", WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_every_admin_page_has_no_serious_violation(
    context_page: Page, stack: LocalStack, world: dict[str, Any]
) -> None:
    page = context_page
    hold_session(page, stack, "admin@example.com")
    sail, cancelled = world["sail"], world["cancelled"]

    def open_checklist(p: Page) -> None:
        p.get_by_role("button", name=re.compile("Before departure")).click()
        p.get_by_role("dialog").wait_for()

    def open_edit(p: Page) -> None:
        p.keyboard.press("Escape")
        p.get_by_role("button", name="Edit sail").click()
        p.get_by_role("heading", name="Edit sail").wait_for()

    def open_task(p: Page) -> None:
        p.get_by_role("button", name=world["task"], exact=True).click()
        p.get_by_role("dialog").wait_for()

    def open_new_task(p: Page) -> None:
        p.keyboard.press("Escape")
        p.get_by_role("button", name="New task").click()

    def open_preview(p: Page) -> None:
        p.get_by_role("button", name="Preview CEO report").click()
        p.locator("iframe.report-frame").wait_for()

    def open_costs(p: Page) -> None:
        p.locator("summary", has_text="Costs").click()
        p.get_by_role("group", name=re.compile("^finance")).wait_for()

    def open_guest_edit(p: Page) -> None:
        p.get_by_role("button", name=re.compile("^Edit Ada Guest")).first.click()

    def open_waiver_preview(p: Page) -> None:
        p.get_by_label("Waiver text").fill("A changed waiver text, previewed only.")
        p.get_by_role("button", name="Preview").click()

    routes = [
        "#/sails",
        f"#/sails/{sail}",
        f"#/sails/{cancelled}",
        f"#/sails/{sail}/manifest",
        "#/new",
        "#/board",
        "#/reports",
        "#/people",
        "#/settings",
        "#/business",
        "#/waiver-text",
    ]
    opened = {
        "#/business": [("costs", open_costs)],
        f"#/sails/{sail}": [("checklist", open_checklist), ("edit", open_edit), ("guest edit", open_guest_edit)],
        "#/waiver-text": [("preview", open_waiver_preview)],
        "#/board": [("task", open_task), ("new task", open_new_task)],
        "#/reports": [("preview", open_preview)],
    }
    assert visit_all(page, stack, routes, opened) == []


@pytest.mark.parametrize("context_page", WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_every_crew_page_has_no_serious_violation(context_page: Page, stack: LocalStack, world: dict[str, Any]) -> None:
    page = context_page
    hold_session(page, stack, "crew@example.com")
    sail = world["sail"]
    routes = [
        "#/sails",
        f"#/sails/{sail}",
        f"#/sails/{world['cancelled']}",
        f"#/sails/{sail}/manifest",
        "#/board",
        "#/settings",
    ]
    assert visit_all(page, stack, routes) == []


@pytest.mark.parametrize("context_page", WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_the_guest_waiver_page_has_no_serious_violation(
    context_page: Page, stack: LocalStack, world: dict[str, Any]
) -> None:
    page = context_page
    email = world["guests"][WIDTHS.index(page.viewport_size["width"] if page.viewport_size else 390)]
    page.goto(f"{stack.url}/#/magic?code={code_of(last_link_to(stack, email))}")
    expect(page.get_by_role("heading", name="Liability waiver")).to_be_visible()
    settled(page)
    bad = violations(page, "waiver")
    page.get_by_label("I am signing for someone under 18").check()
    page.get_by_role("button", name="Sign the waiver").click()
    expect(page.locator(".field-error").first).to_be_visible()
    bad += violations(page, "waiver with errors")
    # And the guest's own page for the sail
    page.goto(f"{stack.url}/#/my-sail")
    expect(page.get_by_role("heading", name="Your sail")).to_be_visible()
    expect(page.get_by_text("Where to meet")).to_be_visible()
    settled(page)
    bad += violations(page, "the guest's page")
    assert bad == []


@pytest.mark.parametrize("context_page", WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_every_page_signed_out_has_no_serious_violation(context_page: Page, stack: LocalStack) -> None:
    page = context_page
    routes = [
        "#/signin",
        "#/magic",
        "#/magic?code=spent-long-ago&sail=no-such-sail",  # a spent guest link: the fresh-link form
        "#/waiver",
        "#/my-sail",
        "#/unsubscribe?token=nope",
        "#/sails",
        "#/nowhere",
    ]
    bad = visit_all(page, stack, routes)
    page.goto(f"{stack.url}/#/signin")
    page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    bad += violations(page, "sign-in with an error")
    assert bad == []


def has_visible_focus(page: Page) -> bool:
    """The focused element draws a focus ring (outline or box-shadow), not the browser's nothing."""
    return bool(
        page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return false;
              const s = getComputedStyle(e);
              return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
            }"""
        )
    )


def tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text is `name` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("() => (document.activeElement && document.activeElement.textContent || '').trim()")
        if text == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_role_board_works_by_keyboard_with_the_focus_visible(page: Page, stack: LocalStack) -> None:
    admin = sign_in(stack, "admin@example.com")
    sail = api_sail(admin, crew_slots=2)
    hold_session(page, stack, "crew@example.com")
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.get_by_role("button", name="Claim Crew 2")).to_be_visible()
    # When the crew member tabs to "Claim Crew 2" and presses Enter
    tab_to(page, "Claim Crew 2")
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("You claimed Crew 2.")).to_be_visible()
    # And tabs to "Release Crew 2", presses Enter, and confirms with Enter (the focus is on the answer)
    tab_to(page, "Release Crew 2")
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, release Crew 2")).to_be_focused()
    assert has_visible_focus(page)
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Release Crew 2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, release Crew 2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You released Crew 2.")).to_be_visible()


def test_the_task_board_works_by_keyboard_with_the_focus_visible(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    title = f"Keyboard task {uuid.uuid4().hex[:6]}"
    assert admin.post("/api/tasks", {"title": title}).status_code == 201
    page.goto(f"{stack.url}/#/board")
    card = page.locator("li.task-card", has_text=title)
    expect(card).to_be_visible()
    # When the admin tabs to the card and presses → twice, it moves to In review, then Completed
    tab_to(page, title, limit=200)
    assert has_visible_focus(page)
    page.keyboard.press("ArrowRight")
    expect(page.locator(".board-column[data-status='in_review'] li.task-card", has_text=title)).to_be_visible()
    expect(page.get_by_role("button", name=title, exact=True)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".board-column[data-status='completed'] li.task-card", has_text=title)).to_be_visible()
    expect(page.get_by_role("button", name=title, exact=True)).to_be_focused()
    # And Enter opens it; Escape closes it again
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name=title)).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name=title)).to_be_hidden()
