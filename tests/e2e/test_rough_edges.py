"""The rough edges people hit (issue 24), each in real Chromium: long URLs in notes, the crew
list, Back after a magic link, a cancelled sail, the history, "Saved on this phone" and a
minor's waiver."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import code_of, last_link_to, sign_in
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page
from tests.e2e.test_sails import api_sail, hold_session
from tests.e2e.test_waiver_flow import one_event_at_a_time  # noqa: F401  (autouse: one API event at a time)

pytestmark = pytest.mark.e2e

LONG_URL = "https://www.noaa.gov/marine-forecast/san-diego-bay/" + "point-loma-to-mission-bay-" * 6 + "?zone=PZZ750"
WIDTHS = "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"


def page_width(page: Page) -> dict[str, int]:
    return dict(page.evaluate(WIDTHS))


def slot(page: Page, label: str) -> Any:
    return page.locator(".role-slot", has=page.get_by_role("heading", name=label, exact=True))


def test_a_long_url_in_the_notes_wraps_at_390px_and_is_a_safe_link(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    notes = f"Forecast: {LONG_URL}. Do not open javascript:alert(1) or data:text/html,hi"
    sail = api_sail(admin, notes=notes)
    # When the sail page opens on a 390 px phone
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    notes_shown = page.locator(".sail-notes")
    expect(notes_shown).to_contain_text("Forecast:")
    # Then the page is no wider than the screen
    size = page_width(page)
    assert size["scroll"] <= size["client"], size
    # And the URL is a link, as given, that does not hand this page to the other site
    link = notes_shown.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", LONG_URL)
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    # And nothing but http(s) becomes a link: the rest stays text
    expect(notes_shown).to_contain_text("javascript:alert(1)")
    assert page.locator(".sail-notes a[href^='javascript'], .sail-notes a[href^='data']").count() == 0


def test_the_crew_list_marks_you_counts_open_slots_and_asks_before_a_release(page: Page, stack: LocalStack) -> None:
    admin = sign_in(stack, "admin@example.com")
    sail = api_sail(admin, crew_slots=2)
    crew = hold_session(page, stack, "crew@example.com")
    assert crew.post(f"/api/sails/{sail['id']}/roles/crew-1/claim", {}).status_code == 200
    # Given a crew member who holds Crew 1 of a sail with a captain and two crew slots
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # Then the list says how many slots are open and marks their own
    expect(page.get_by_test_id("open-slots")).to_have_text("2 of 3 slots open. You hold Crew 1.")
    expect(slot(page, "Crew 1").locator(".badge-you")).to_have_text("You")
    expect(slot(page, "Crew 1")).to_contain_text("crew@example.com")
    # When they tap Release, the slot is not lost yet: they are asked, with the focus on the answer
    slot(page, "Crew 1").get_by_role("button", name="Release Crew 1").click()
    confirm = slot(page, "Crew 1").get_by_role("group", name="Release Crew 1?")
    expect(confirm).to_contain_text("Give up Crew 1?")
    expect(confirm.get_by_role("button", name="Yes, release Crew 1")).to_be_focused()
    assert_accessible(page)
    # And "Keep it" keeps it
    confirm.get_by_role("button", name="Keep it").click()
    expect(slot(page, "Crew 1").get_by_role("button", name="Release Crew 1")).to_be_focused()
    roles = {role["slot"]: role for role in crew.get(f"/api/sails/{sail['id']}").json()["roles"]}
    assert roles["crew-1"]["holder"] == "crew@example.com"
    # When they confirm, it is released
    slot(page, "Crew 1").get_by_role("button", name="Release Crew 1").click()
    slot(page, "Crew 1").get_by_role("button", name="Yes, release Crew 1").click()
    expect(page.get_by_text("You released Crew 1.")).to_be_visible()
    expect(page.get_by_test_id("open-slots")).to_have_text("3 of 3 slots open.")


def test_back_or_the_same_link_again_while_signed_in_goes_where_the_link_led(page: Page, stack: LocalStack) -> None:
    admin = sign_in(stack, "admin@example.com")
    sail = api_sail(admin, crew_slots=2)
    invitee = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    answer = admin.post(f"/api/sails/{sail['id']}/roles/crew-2/invite", {"email": invitee})
    assert answer.status_code == 200, answer.text
    magic = f"{stack.url}/#/magic?code={code_of(last_link_to(stack, invitee))}"
    # Given the invitee opened the link from their email: it signed them in and led to the slot
    page.goto(f"{stack.url}/#/signin")
    page.goto(magic)
    expect(page).to_have_url(re.compile(r"#/sails/.+\?claim=crew-2$"))
    expect(page.get_by_role("button", name="Claim Crew 2")).to_be_visible()
    # When they press Back: the used link is not in the history, and nothing says "already used"
    page.go_back()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text(re.compile("already used|expired", re.I))).to_have_count(0)
    # When they open the same link again (Back into it, or the email again), it leads to the slot
    page.goto(magic)
    expect(page).to_have_url(re.compile(r"#/sails/.+\?claim=crew-2$"))
    expect(page.get_by_role("button", name="Claim Crew 2")).to_be_visible()
    expect(page.get_by_text(re.compile("already used|expired", re.I))).to_have_count(0)


def test_a_cancelled_sail_shows_cancelled_throughout(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, crew_slots=2)
    guest = f"g-{uuid.uuid4().hex[:8]}@example.com"
    added = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Grace Hopper", "email": guest, "party_size": 2})
    assert added.status_code == 201, added.text
    assert admin.post(f"/api/sails/{sail['id']}/cancel", {"reason": "Gale warning"}).status_code == 200
    # When the admin opens the cancelled sail
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # Then the timing says it will not depart, and no role shows as open or claimable
    timing = page.locator(".timing-panel")
    expect(timing.get_by_role("heading")).to_have_text("Timing (cancelled)")
    expect(timing).to_contain_text("this sail will not depart")
    expect(page.locator(".countdown")).to_have_count(0)
    board = page.locator(".role-board")
    expect(board).to_contain_text("This sail is cancelled.")
    expect(board.locator(".badge", has_text=re.compile("^Open$"))).to_have_count(0)
    expect(board.get_by_role("button")).to_have_count(0)
    expect(board.locator(".badge-danger")).to_have_count(3)
    # And the history reads as sentences, without the raw keys
    history = page.locator(".history-list")
    expect(history).to_contain_text("admin@example.com cancelled the sail: “Gale warning”.")
    expect(history).to_contain_text("admin@example.com added Grace Hopper (party of 2) as a guest.")
    expect(history).not_to_contain_text(re.compile(r"guest_id|text_sha256|\bn:"))
    assert_accessible(page)


def test_saved_on_this_phone_only_where_the_cache_holds_the_sail_and_never_on_a_laptop(
    browser: Browser, stack: LocalStack, problems: PageProblems
) -> None:
    laptop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = laptop.new_page()
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin)
    # When the admin opens a sail on a laptop, and the offline cache keeps it
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.locator(".offline-ready")).to_have_text(re.compile("^Saved on this device"), timeout=15_000)
    # Then the page never says "this phone"
    expect(page.get_by_text("Saved on this phone")).to_have_count(0)
    held = page.evaluate(
        "async (id) => Boolean(await (await caches.open('qd-data-v2')).match(`/api/sails/${id}`))", sail["id"]
    )
    assert held is True
    laptop.close()


def test_a_minor_s_waiver_asks_for_the_minor_s_name_and_the_guardian_s(
    browser: Browser, stack: LocalStack, problems: PageProblems
) -> None:
    admin = sign_in(stack, "admin@example.com")
    sail = api_sail(admin)
    email = f"parent-{uuid.uuid4().hex[:8]}@example.com"
    added = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Sam Junior", "email": email, "party_size": 1})
    assert added.status_code == 201, added.text
    page = new_phone_page(browser, problems)
    page.goto(f"{stack.url}/#/magic?code={code_of(last_link_to(stack, email))}")
    expect(page.get_by_role("heading", name="Liability waiver")).to_be_visible()
    # Given the adult's labels at first
    expect(page.get_by_label("Your full name", exact=True)).to_be_visible()
    # When the guest says they sign for someone under 18
    page.get_by_label("I am signing for someone under 18").check()
    # Then the name asked for is the minor's, and the signer's own is asked as the guardian's
    expect(page.get_by_label("Full name of the person under 18 who is sailing")).to_be_visible()
    expect(page.get_by_label("Your full name (parent or guardian)")).to_be_visible()
    expect(page.get_by_label("I have read the waiver and accept it for them")).to_be_visible()
    expect(page.get_by_label("Your full name", exact=True)).to_have_count(0)
    assert_accessible(page)
    page.context.close()


def test_a_stale_sail_edit_keeps_what_was_typed_shows_the_change_and_applies_it_again(
    page: Page, stack: LocalStack
) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, title="Evening sail")
    # Given the admin editing the sail's notes
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("Notes").fill("Bring a warm jacket.")
    # When someone else renames the sail meanwhile, and the admin saves
    renamed = admin.patch(f"/api/sails/{sail['id']}", {"version": sail["version"], "title": "Full moon sail"})
    assert renamed.status_code == 200, renamed.text
    page.get_by_role("button", name="Save changes").click()
    # Then what they typed is kept, and what changed on the server is shown
    conflict = page.locator(".conflict-notice")
    expect(conflict).to_contain_text("Title: “Evening sail” → “Full moon sail”")
    expect(page.get_by_label("Notes")).to_have_value("Bring a warm jacket.")
    expect(page.get_by_label("Title")).to_have_value("Full moon sail")
    assert_accessible(page)
    # When they apply it again, both changes stand
    conflict.get_by_role("button", name="Save my changes again").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    now = admin.get(f"/api/sails/{sail['id']}").json()
    assert (now["title"], now["notes"]) == ("Full moon sail", "Bring a warm jacket.")
