"""Issue 21 in Chromium: the guest's own page (the same link opened twice, a spent link in a
browser without a session), the meeting point on the waiver page and in every guest email at
390 px, the seats on the sail page and the list, and the manifest on one printed page."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import outbox, sign_in
from tests.e2e.conftest import PageProblems, new_phone_page
from tests.e2e.test_waiver_flow import admin_in_browser, one_event_at_a_time  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
MEETING = "Harbor Island West Marina, dock C, slip 14 (by the blue gate)"


def new_sail(stack: LocalStack, **fields: Any) -> dict[str, Any]:
    admin = sign_in(stack, "admin@example.com")
    day = (date.today() + timedelta(days=12)).isoformat()
    body = {"date": day, "title": f"Guest page e2e {uuid.uuid4().hex[:6]}", "meeting_point": MEETING, **fields}
    answer = admin.post("/api/sails", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def add_guest(stack: LocalStack, sail_id: str, name: str = "Ada Lovelace", **fields: Any) -> str:
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@example.com"
    answer = sign_in(stack, "admin@example.com").post(
        f"/api/sails/{sail_id}/guests", {"name": name, "email": email, **fields}
    )
    assert answer.status_code == 201, answer.text
    return email


def waiver_link_to(stack: LocalStack, email: str) -> str:
    """The newest guest link mailed to `email`, as the email has it (it names the sail)."""
    for message in reversed(outbox(stack)):
        if email in message["to"]:
            found = re.search(r"(https?://\S+#/magic\?code=[\w-]+&sail=[\w-]+)", message["text"])
            if found:
                return found.group(1)
    raise AssertionError(f"no guest link mailed to {email}")


def test_the_same_link_twice_opens_the_guests_own_page(stack: LocalStack, page: Page) -> None:
    sail = new_sail(stack)
    email = add_guest(stack, sail["id"])
    link = waiver_link_to(stack, email)
    # When the guest opens their link: the waiver, with the times and where to meet
    page.goto(link)
    expect(page.get_by_role("heading", name="Liability waiver")).to_be_visible()
    expect(page.locator(".waiver-meeting")).to_contain_text(MEETING)
    # When they open the same link again: their own page for the sail, not "already used"
    page.goto(f"{stack.url}/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your sail")).to_be_visible()
    expect(page.get_by_text("already used")).to_have_count(0)
    expect(page.locator(".waiver-meeting")).to_contain_text(MEETING)
    expect(page.locator(".waiver-who")).to_contain_text("On hold")
    # And after signing (from there), they land on that page, confirmed, with their copy and an .ics
    page.get_by_role("link", name="Read and sign the waiver").click()
    page.get_by_label("Your full name").fill("Ada Lovelace")
    page.get_by_label("I have read and accept the waiver").check()
    page.get_by_role("button", name="Sign the waiver").click()
    expect(page.get_by_role("heading", name="Your sail")).to_be_visible()
    expect(page.get_by_text("Thank you: your waiver is signed")).to_be_visible()
    expect(page.locator(".waiver-who")).to_contain_text("Confirmed")
    copy = page.get_by_role("link", name="Your signed copy")
    ics = page.get_by_role("link", name=re.compile("Add to your calendar"))
    for link_el, kind in ((copy, "text/plain"), (ics, "text/calendar")):
        answer = page.request.get(f"{stack.url}{link_el.get_attribute('href')}")
        assert answer.status == 200 and answer.headers["content-type"].startswith(kind)
    assert "LOCATION:" in page.request.get(f"{stack.url}{ics.get_attribute('href')}").text()
    # And opened once more, the link still leads to their page
    page.goto(f"{stack.url}/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your sail")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_a_spent_link_without_a_session_offers_a_fresh_one(
    stack: LocalStack, page: Page, browser: Browser, problems: PageProblems
) -> None:
    sail = new_sail(stack)
    email = add_guest(stack, sail["id"], "Bo Guest")
    link = waiver_link_to(stack, email)
    page.goto(link)  # spent here
    expect(page.get_by_role("heading", name="Liability waiver")).to_be_visible()
    # When the link is opened on another phone (no session there)
    other = new_phone_page(browser, problems)
    other.goto(link)
    # Then it offers a fresh link instead of a dead end
    expect(other.get_by_role("heading", name="This link no longer works")).to_be_visible()
    other.get_by_label("Your email address").fill(email.upper())
    other.get_by_role("button", name="Send me a fresh link").click()
    expect(other.get_by_role("status")).to_contain_text("If that address is on this sail's guest list")
    fresh = waiver_link_to(stack, email)
    assert fresh != link
    [mail] = [m for m in outbox(stack) if email in m["to"] and m["subject"].startswith("Your link for")]
    assert MEETING in mail["text"]
    # And the fresh link opens their sail in that browser
    other.goto(fresh)
    expect(other.get_by_role("heading", name="Liability waiver")).to_be_visible()
    other.context.close()


def test_guest_emails_show_the_meeting_point_within_390px(stack: LocalStack, page: Page, browser: Browser) -> None:
    # Given a guest who signs (waiver request, signed copy) and asks for a fresh link
    sail = new_sail(stack)
    email = add_guest(stack, sail["id"], "Cy Guest")
    page.goto(waiver_link_to(stack, email))
    page.get_by_label("Your full name").fill("Cy Guest")
    page.get_by_label("I have read and accept the waiver").check()
    page.get_by_role("button", name="Sign the waiver").click()
    expect(page.get_by_role("heading", name="Your sail")).to_be_visible()
    assert page.request.post(
        f"{stack.url}/api/sails/{sail['id']}/guest-link",
        data={"email": email},
        headers={"content-type": "application/json", "origin": stack.url},
    ).status in (202, 429)
    mails = [m for m in outbox(stack) if email in m["to"]]
    assert {"waiver_request", "waiver_signed"} <= {m.get("kind", "") for m in mails} or len(mails) >= 2
    # Then each shows the meeting point, in its text and its HTML, and fits 390 px (a blank phone)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    blank = phone.new_page()
    for mail in mails:
        assert MEETING in mail["text"], mail["subject"]
        blank.set_content(mail["html"])
        assert MEETING in blank.inner_text("body"), mail["subject"]
        width = blank.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], (mail["subject"], width)
    phone.close()


def test_seats_on_the_list_and_the_sail_page_and_the_manifest_on_one_page(stack: LocalStack, page: Page) -> None:
    sail = new_sail(stack, guest_capacity=49)
    admin = sign_in(stack, "admin@example.com")
    for n in range(49):  # a full sail, one row each
        body = {"name": f"Guest Number {n:02d} Longname", "email": f"p{n}-{uuid.uuid4().hex[:6]}@example.com"}
        assert admin.post(f"/api/sails/{sail['id']}/guests", body).status_code == 201
    admin_in_browser(page, stack)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.locator(".guest-count")).to_contain_text("49 of 49 seats taken · 0 left")
    expect(page.locator(".sail-meeting")).to_contain_text(MEETING)
    page.goto(f"{stack.url}/#/sails?from={sail['date']}")
    card = page.locator(".sail-card", has_text=sail["title"]).first
    expect(card).to_contain_text("49 of 49 seats taken")
    # The manifest: meeting point, the CSV link, and printed (Letter) it is one page
    page.goto(f"{stack.url}/#/sails/{sail['id']}/manifest")
    expect(page.locator(".manifest-meeting")).to_contain_text(MEETING)
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    page.emulate_media(media="print")
    pdf = page.pdf(format="Letter", print_background=False)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
