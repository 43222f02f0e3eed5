"""Bookings in Chromium (issue 21): a party of three adults and a child is booked on the sail
page; each adult signs from their own mail; the child is covered by one of them; the manifest
shows four people, the booking confirmed only when the last adult signs. And an admin publishes
a new waiver text after a preview."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import last_link_to, outbox
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page
from tests.e2e.test_waiver_flow import admin_in_browser, guest_card, new_sail, one_event_at_a_time

pytestmark = pytest.mark.e2e
__all__ = ["one_event_at_a_time"]  # (the fixture, autouse, applies here too)


def sign_from_mail(
    browser: Browser, problems: PageProblems, stack: LocalStack, email: str, name: str, covers: str = ""
) -> None:
    guest = new_phone_page(browser, problems)
    guest.goto(f"{stack.url}/_local/outbox")
    guest.get_by_role("link", name=last_link_to(stack, email)).first.click()
    expect(guest.get_by_role("heading", name="Liability waiver")).to_be_visible()
    if covers:
        guest.get_by_label(f"I am {covers}'s parent or guardian and sign for them").check()
        assert_accessible(guest)
    guest.get_by_label("Your full name").fill(name)
    guest.get_by_label("I have read and accept the waiver").check()
    guest.get_by_role("button", name="Sign the waiver").click()
    expect(guest.get_by_text("Thank you: your waiver is signed")).to_be_visible()
    if covers:
        expect(guest.locator(".waiver-covered")).to_contain_text(covers)
    guest.context.close()


def test_a_party_of_three_adults_and_a_child_is_confirmed_when_the_last_adult_signs(
    stack: LocalStack, page: Page, browser: Browser, problems: PageProblems
) -> None:
    sail = new_sail(stack)
    tag = uuid.uuid4().hex[:8]
    ada, bo, cy = (f"{n}-{tag}@example.com" for n in ("ada", "bo", "cy"))
    # Given the admin on the sail page, on a phone
    admin_in_browser(page, stack)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # When they book Ada with Bo, Cy and Dee (under 18)
    page.get_by_label("Lead guest's name").fill("Ada Party")
    page.get_by_label("Lead guest's email").fill(ada)
    for n, (name, email) in enumerate((("Bo Party", bo), ("Cy Party", cy), ("Dee Party", ""))):
        page.get_by_role("button", name="Add a person").click()
        page.get_by_label(f"Person {n + 2}: name").fill(name)
        if email:
            page.get_by_label(f"Person {n + 2}: email").fill(email)
        else:
            page.get_by_label(f"Person {n + 2} is under 18").check()
    assert_accessible(page)
    page.get_by_role("button", name="Book the party of 4 and email the waivers").click()
    expect(page.get_by_role("status")).to_contain_text("party of 4 is on hold")
    # Then four people are listed on hold, and each adult got their own mail (the child none)
    for name in ("Ada Party", "Bo Party", "Cy Party", "Dee Party"):
        expect(guest_card(page, name)).to_contain_text("On hold")
    expect(page.locator(".guest-summary")).to_contain_text("0 of 1 booking is confirmed · 4 people aboard")
    for email in (ada, bo, cy):
        assert len([m for m in outbox(stack) if email in m["to"]]) == 1
    assert_accessible(page)

    # When Bo signs from his mail and covers Dee, then Ada signs
    sign_from_mail(browser, problems, stack, bo, "Bo Party", covers="Dee Party")
    sign_from_mail(browser, problems, stack, ada, "Ada Party")
    # Then the manifest shows four people, Dee covered by Bo, and the booking still on hold
    page.goto(f"{stack.url}/#/sails/{sail['id']}/manifest")
    expect(page.get_by_role("row", name=re.compile("Dee Party"))).to_contain_text("Covered by Bo Party")
    expect(page.get_by_role("row", name=re.compile("Cy Party"))).to_contain_text("No (on hold)")
    expect(page.locator(".manifest-totals")).to_contain_text("4 people in 1 booking")
    expect(page.locator(".manifest-totals")).to_contain_text("0 of 1 bookings confirmed")
    assert_accessible(page)
    # When Cy, the last adult, signs
    sign_from_mail(browser, problems, stack, cy, "Cy Party")
    # Then the booking is confirmed, everyone covered
    page.reload()
    expect(page.locator(".manifest-totals")).to_contain_text("4 covered · 1 of 1 bookings confirmed")
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.locator(".manifest-hold")).to_have_count(0)


def test_an_admin_edits_and_removes_a_guest_on_the_sail_page(stack: LocalStack, page: Page) -> None:
    from tests.conftest import sign_in

    sail = new_sail(stack)
    admin = sign_in(stack, "admin@example.com")
    tag = uuid.uuid4().hex[:8]
    body = {"name": "Eve Lead", "email": f"eve-{tag}@example.com", "people": [{"name": "Fin Kid", "minor": True}]}
    assert admin.post(f"/api/sails/{sail['id']}/guests", body).status_code == 201
    admin_in_browser(page, stack)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # The admin corrects Eve's address: a new link goes out
    page.get_by_role("button", name="Edit Eve Lead").click()
    page.get_by_label("Email of Eve Lead").fill(f"eve-new-{tag}@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("the old link no longer works")
    expect(guest_card(page, "Eve Lead")).to_contain_text(f"eve-new-{tag}@example.com")
    # The admin removes Fin: still listed, as removed by the admin
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Fin Kid").click()
    expect(guest_card(page, "Fin Kid")).to_contain_text("Removed by admin@example.com")
    expect(page.locator(".guest-count")).to_contain_text("1 of")
    assert_accessible(page)


def test_an_admin_previews_and_publishes_a_new_waiver_version(stack: LocalStack, page: Page) -> None:
    admin_in_browser(page, stack)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Waiver", exact=True).click()
    expect(page.get_by_role("heading", name="Waiver text")).to_be_visible()
    area = page.get_by_label("Waiver text")
    current = area.input_value()
    assert "RELEASE OF LIABILITY" in current
    version = page.locator(".waiver-admin strong").first.inner_text()
    assert_accessible(page)
    # The admin adds a line and previews it: nothing is published yet
    added = f"Life jackets are worn on deck at night ({uuid.uuid4().hex[:6]})."
    area.fill(current.rstrip("\n") + "\n\n" + added + "\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview of the new waiver text")).to_contain_text(added)
    assert_accessible(page)
    # Then publishes: a new version is current, and guests read it
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    assert page.locator(".waiver-admin strong").first.inner_text() != version
    from tests.conftest import sign_in

    assert added in sign_in(stack, "admin@example.com").get("/api/waiver").json()["text"]
