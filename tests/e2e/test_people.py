"""The People page and My settings in Chromium (issue 20): an admin adds a crew member and an
admin; the new admin signs in from the welcome mail and sees the People page; the first admin
removes the crew member, whose open tab gets 401 on its next action and whose upcoming claim
is open again."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import ApiClient, code_of, last_link_to, sign_in
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page
from tests.e2e.test_roles_board import new_sail, signed_in_page, slot
from tests.e2e.test_waiver_flow import one_event_at_a_time  # noqa: F401  (autouse: one API event at a time)

pytestmark = pytest.mark.e2e


def person(page: Page, email: str) -> object:
    return page.locator(f'.person-card[data-email="{email}"]')


def add_on_the_page(page: Page, email: str, role: str, name: str = "") -> None:
    page.get_by_label("Email", exact=True).fill(email)
    if name:
        page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("radio", name=role).check()
    page.get_by_role("button", name="Add and send the welcome email").click()
    expect(page.get_by_role("status").filter(has_text=f"{email} is on the roster")).to_contain_text(
        "welcome email with a sign-in link is on its way"
    )


def test_admin_adds_people_and_removes_crew_whose_tab_is_refused_and_slot_opened(
    stack: LocalStack, browser: Browser, problems: PageProblems, admin: ApiClient
) -> None:
    crew_email = f"deck-{uuid.uuid4().hex[:8]}@example.com"
    admin_email = f"mate-{uuid.uuid4().hex[:8]}@example.com"
    # Given the first admin on the People page
    first = signed_in_page(browser, problems, stack, "admin@example.com")
    first.goto(f"{stack.url}/#/people")
    expect(first.get_by_role("heading", name="People", exact=True)).to_be_visible()
    # When they add a crew member and an admin
    add_on_the_page(first, crew_email, "Crew", "Dee Hand")
    add_on_the_page(first, admin_email, "Admin")
    expect(person(first, crew_email)).to_contain_text("Crew")
    expect(person(first, crew_email)).to_contain_text("Not signed in yet")
    expect(person(first, admin_email)).to_contain_text("Admin")
    assert_accessible(first)

    # Then the new admin signs in from the welcome mail and sees the People page
    mate = new_phone_page(browser, problems)
    mate.goto(f"{stack.url}/#/magic?code={code_of(last_link_to(stack, admin_email))}")
    mate.get_by_role("button", name="Sign out").wait_for()
    mate.get_by_role("link", name="People").click()
    expect(mate.get_by_role("heading", name="People", exact=True)).to_be_visible()
    expect(person(mate, crew_email)).to_contain_text("Dee Hand")

    # Given the crew member, signed in from their welcome mail, holding a slot, with the sail open
    sail = new_sail(admin, days_ahead=18)
    deck = new_phone_page(browser, problems)
    deck.goto(f"{stack.url}/#/magic?code={code_of(last_link_to(stack, crew_email))}")
    deck.get_by_role("button", name="Sign out").wait_for()
    deck.goto(f"{stack.url}/#/sails/{sail['id']}")
    slot(deck, "Crew 1").get_by_role("button", name="Claim Crew 1").click()
    expect(slot(deck, "Crew 1")).to_contain_text("You")
    first.reload()
    expect(person(first, crew_email)).to_contain_text(sail["title"])

    # When the first admin removes them (asked first)
    person(first, crew_email).get_by_role("button", name=f"Remove {crew_email}").click()
    expect(person(first, crew_email)).to_contain_text("Their slot on upcoming sails will be open again")
    person(first, crew_email).get_by_role("button", name="Yes, remove").click()
    expect(first.locator(".person-card.person-removed").filter(has_text=crew_email)).to_contain_text("Removed")

    # Then the crew member's open tab is refused (401) at its next action, and says so
    slot(deck, "Crew 1").get_by_role("button", name="Release Crew 1").click()
    with deck.expect_response(re.compile(r"/api/sails/.+/roles/crew-1/release$")) as answered:
        slot(deck, "Crew 1").get_by_role("button", name="Yes, release Crew 1").click()
    assert answered.value.status == 401
    expect(deck.get_by_role("alert").filter(has_text="no longer exists")).to_be_visible()
    # And their upcoming claim is open again
    roles = {r["slot"]: r for r in admin.get(f"/api/sails/{sail['id']}").json()["roles"]}
    assert roles["crew-1"]["state"] == "open" and "holder" not in roles["crew-1"]
    for opened in (first, mate, deck):
        opened.context.close()


def test_my_settings_change_name_and_nudges_and_sign_out_everywhere(
    stack: LocalStack, browser: Browser, problems: PageProblems
) -> None:
    email = f"me-{uuid.uuid4().hex[:8]}@example.com"
    other_device = sign_in(stack, email)
    page = signed_in_page(browser, problems, stack, email)
    page.goto(f"{stack.url}/#/sails")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="My settings")).to_be_visible()
    # When they rename themselves and turn one kind of reminder off
    page.get_by_label("Your name").fill("Sam Sailor")
    page.get_by_role("button", name="Save my name").click()
    expect(page.get_by_text("Your name is saved.")).to_be_visible()
    page.get_by_label("The morning of a sail I am on").uncheck()
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_text("Saved: you get 3 of 4 kinds of reminder.")).to_be_visible()
    # Then a reload shows what was saved
    page.reload()
    expect(page.get_by_label("Your name")).to_have_value("Sam Sailor")
    expect(page.get_by_label("The morning of a sail I am on")).not_to_be_checked()
    expect(page.get_by_label("Waivers not yet signed before a sail")).to_be_checked()
    # The calendar link can be made (and reset)
    page.get_by_role("button", name="Make my calendar link").click()
    expect(page.get_by_label("Your new calendar link")).to_have_value(re.compile(r"/api/calendar/"))
    assert_accessible(page)
    # When they sign out everywhere (asked first), this tab and the other device are signed out
    page.get_by_role("button", name="Sign out everywhere").click()
    page.get_by_role("button", name="Yes, sign me out everywhere").click()
    expect(page.get_by_role("button", name=re.compile("sign-in link", re.I))).to_be_visible()
    assert other_device.get("/api/me").status_code == 401
    page.context.close()
