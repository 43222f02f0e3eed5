"""Guests and waivers in Chromium: the admin adds a guest on the sail page, the guest signs
from the emailed link in another browser, and the admin's manifest shows them confirmed."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import ApiClient, last_link_to, outbox, sign_in
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def one_event_at_a_time(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lambda gives an execution environment one event at a time, and Powertools' resolver keeps
    per-request state on shared objects; a browser sends requests in parallel. local/server.py
    declares a lock for this (`_ONE_EVENT_AT_A_TIME`) but does not take it yet, so these tests
    serialise the handler themselves. Harmless once the server does it too (a separate lock)."""
    import api_handler

    original = api_handler.handler
    if getattr(original, "_serialised", False):
        yield
        return
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            return original(event, context)

    handler._serialised = True  # type: ignore[attr-defined]
    monkeypatch.setattr(api_handler, "handler", handler)
    yield


def admin_in_browser(page: Page, stack: LocalStack) -> None:
    """The admin's session in this browser, through the real magic page (code issued directly,
    so the suite does not run into the hourly limit on login links)."""
    from datetime import timedelta

    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    code = issue_code(Store(), "admin@example.com", Purpose.login(), timedelta(minutes=15))
    page.goto(f"{stack.url}/#/magic?code={code}")
    page.get_by_role("button", name="Sign out").wait_for()


def new_sail(stack: LocalStack) -> dict[str, Any]:
    admin = sign_in(stack, "admin@example.com")
    day = (date.today() + timedelta(days=12)).isoformat()
    answer = admin.post("/api/sails", {"date": day, "title": f"Waiver e2e {uuid.uuid4().hex[:6]}"})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def guest_card(page: Page, name: str) -> Any:
    return page.locator(".guest", has_text=name)


def test_admin_adds_a_guest_who_signs_from_the_outbox_link_and_shows_confirmed(
    stack: LocalStack, page: Page, browser: Browser, problems: PageProblems
) -> None:
    sail = new_sail(stack)
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    # Given the admin on the sail page, on a phone
    admin_in_browser(page, stack)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.get_by_role("heading", name=re.compile("Guests"))).to_be_visible()
    # When they book a guest on their own
    page.get_by_label("Lead guest's name").fill("Ada Lovelace")
    page.get_by_label("Lead guest's email").fill(email)
    page.get_by_role("button", name="Book the guest and email the waivers").click()
    # Then the guest is listed on hold, with the waiver not signed
    card = guest_card(page, "Ada Lovelace")
    expect(card).to_contain_text("On hold")
    expect(card).to_contain_text("Waiver not signed yet")
    expect(page.get_by_role("status")).to_contain_text("on hold until they sign")
    assert_accessible(page)

    # When the guest opens the link from the outbox in another browser (their own phone)
    guest = new_phone_page(browser, problems)
    link = last_link_to(stack, email)
    guest.goto(f"{stack.url}/_local/outbox")
    guest.get_by_role("link", name=link).first.click()
    # Then the waiver page shows the sail's times, the text, and that they are on hold
    expect(guest.get_by_role("heading", name="Liability waiver")).to_be_visible()
    expect(guest.get_by_text("on hold", exact=False).first).to_be_visible()
    expect(guest.get_by_role("region", name="Waiver text")).to_contain_text("RELEASE OF LIABILITY")
    expect(guest.get_by_text("Departs")).to_be_visible()
    assert_accessible(guest)
    # And signing without a name or without accepting is refused, saying why, next to the field
    guest.get_by_role("button", name="Sign the waiver").click()
    expect(guest.locator("#field-full_name-error")).to_contain_text("full name")
    guest.get_by_label("Your full name").fill("Ada Lovelace")
    guest.get_by_role("button", name="Sign the waiver").click()
    expect(guest.locator("#field-accept-error")).to_contain_text("accept")
    assert_accessible(guest)
    # When they accept and sign
    guest.get_by_label("I have read and accept the waiver").check()
    guest.get_by_role("button", name="Sign the waiver").click()
    # Then they are confirmed
    expect(guest.get_by_text("Thank you: your waiver is signed")).to_be_visible()
    expect(guest.locator(".waiver-who")).to_contain_text("Confirmed")
    # And the reloaded record says the copy went out (the stored copy is its record; nothing was flagged)
    expect(guest.locator(".waiver-signed")).to_contain_text("A copy was sent to your email.")
    expect(guest.get_by_role("button", name="Sign the waiver")).to_have_count(0)
    guest.context.close()

    # And the admin's manifest shows them confirmed, with the signed time
    page.reload()
    card = guest_card(page, "Ada Lovelace")
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text("Waiver signed")
    # And the printable manifest says signed
    page.get_by_role("link", name="Printable manifest").click()
    row = page.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(row).to_contain_text("Signed")
    assert_accessible(page)
    # And the signed copy is in the outbox, to the guest
    copies = [m for m in outbox(stack) if email in m["to"] and "signed waiver" in m["subject"].lower()]
    assert len(copies) == 1 and "Ada Lovelace" in copies[0]["text"] and "SHA-256" in copies[0]["text"]


def test_printable_manifest_marks_unsigned_guests_and_prints_without_chrome(stack: LocalStack, page: Page) -> None:
    sail = new_sail(stack)
    admin = sign_in(stack, "admin@example.com")
    for name in ("Bo Unsigned", "Cy Unsigned"):
        body = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.com", "party_size": 1}
        assert admin.post(f"/api/sails/{sail['id']}/guests", body).status_code == 201
    admin_in_browser(page, stack)
    # When the admin opens the manifest
    page.goto(f"{stack.url}/#/sails/{sail['id']}/manifest")
    # Then unsigned guests read "No (on hold)" and the totals warn before boarding
    for name in ("Bo Unsigned", "Cy Unsigned"):
        expect(page.get_by_role("row", name=re.compile(name))).to_contain_text("No (on hold)")
    expect(page.locator(".manifest-totals")).to_contain_text("2 on hold: no boarding until covered")
    assert_accessible(page)
    # And printed, it is just the manifest: no navigation, no buttons
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("table")).to_be_visible()


def test_resend_from_the_sail_page_mails_a_new_link(stack: LocalStack, page: Page) -> None:
    sail = new_sail(stack)
    admin = sign_in(stack, "admin@example.com")
    email = f"dee-{uuid.uuid4().hex[:8]}@example.com"
    assert admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Dee Guest", "email": email}).status_code == 201
    first = last_link_to(stack, email)
    admin_in_browser(page, stack)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    page.get_by_role("button", name="Resend waiver link to Dee Guest").click()
    expect(page.get_by_role("status")).to_contain_text("new waiver link is on its way")
    assert last_link_to(stack, email) != first


def test_a_guest_sees_only_itself_and_cannot_open_crew_pages(
    stack: LocalStack, page: Page, browser: Browser, problems: PageProblems
) -> None:
    sail = new_sail(stack)
    admin = sign_in(stack, "admin@example.com")
    ada, bo = (f"{n}-{uuid.uuid4().hex[:8]}@example.com" for n in ("ada", "bo"))
    assert admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Ada Guest", "email": ada}).status_code == 201
    assert admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Bo Secret", "email": bo}).status_code == 201
    page.goto(last_link_to(stack, ada))
    expect(page.get_by_role("heading", name="Liability waiver")).to_be_visible()
    # The manifest page is for crew only, and the other guest's name shows nowhere
    page.goto(f"{stack.url}/#/sails/{sail['id']}/manifest")
    expect(page.get_by_text("Only the crew can see the manifest")).to_be_visible()
    expect(page.get_by_text("Bo Secret")).to_have_count(0)
    # And the API refuses the guest's session everything but its own record
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    session = ApiClient(stack.url)
    session.http.cookies.update(cookies)
    assert session.get(f"/api/sails/{sail['id']}/guests").status_code == 403
    assert session.get("/api/sails").status_code == 403
    assert requests.get(f"{stack.url}/api/sails/{sail['id']}/guests", timeout=10).status_code == 401
