"""The role board in Chromium: an admin invites crew from the sail page, the emailed link
signs the crew member in and brings them to the slot, the claim shows on the admin's board."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import ApiClient, last_link_to, outbox, sign_in
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page


def new_sail(admin: ApiClient, *, days_ahead: int = 15) -> dict[str, Any]:
    day = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=days_ahead)
    title = f"Board {uuid.uuid4().hex[:6]}"
    answer = admin.post("/api/sails", {"date": day.isoformat(), "title": title, "crew_slots": 2})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def signed_in_page(browser: Browser, problems: PageProblems, stack: LocalStack, email: str) -> Page:
    """A phone browser holding `email`'s session cookie, redeemed through the real magic route.

    (The typed sign-in flow is covered by test_sign_in_page.py; going through it here for
    every test would run into the hourly limit on login links for one address.)"""
    page = new_phone_page(browser, problems)
    token = sign_in(stack, email).token
    assert token
    page.context.add_cookies(
        [
            {
                "name": "qd_session",
                "value": token,
                "domain": "127.0.0.1",
                "path": "/api",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return page


def newer_link_to(stack: LocalStack, email: str, previous: str, timeout: float = 10.0) -> str:
    """The newest link mailed to `email` once it is not `previous` (the mail goes out after the click)."""
    deadline = time.monotonic() + timeout
    while True:
        link = last_link_to(stack, email)
        if link != previous:
            return link
        assert time.monotonic() < deadline, f"no new link mailed to {email}"
        time.sleep(0.1)


def slot(page: Page, name: str) -> Any:
    """The role board's entry for a slot (`Crew 1`)."""
    return page.locator(".role-slot").filter(has=page.get_by_role("heading", name=name, exact=True))


def open_invite(page: Page, name: str) -> Any:
    """Unfold the admin's invite form of a slot (`Crew 1`); its email field then has the focus."""
    entry = slot(page, name)
    entry.get_by_role("button", name=f"Invite… for {name}").click()
    expect(entry.get_by_label(f"Email for {name}")).to_be_focused()
    return entry


def test_admin_invites_crew_whose_link_claims_the_slot_once(
    stack: LocalStack, browser: Browser, problems: PageProblems, page: Page, admin: ApiClient
) -> None:
    sail = new_sail(admin)
    admin_page = signed_in_page(browser, problems, stack, "admin@example.com")
    # Given the admin on the sail's page, on a phone
    admin_page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(admin_page.get_by_role("heading", name="Crew roles")).to_be_visible()
    crew_1 = slot(admin_page, "Crew 1")
    expect(crew_1).to_contain_text("Open")
    assert_accessible(admin_page)

    # When the admin invites crew@example.com to crew-1, and then sends the invite again
    open_invite(admin_page, "Crew 1").get_by_label("Email for Crew 1").fill("crew@example.com")
    crew_1.get_by_role("button", name="Send invite").click()
    expect(admin_page.get_by_text("Invite for Crew 1 sent to crew@example.com.")).to_be_visible()
    first_link = last_link_to(stack, "crew@example.com")
    open_invite(admin_page, "Crew 1").get_by_label("Email for Crew 1").fill("crew@example.com")
    slot(admin_page, "Crew 1").get_by_role("button", name="Send invite").click()
    expect(slot(admin_page, "Crew 1")).to_contain_text("Invited: crew@example.com")
    second_link = newer_link_to(stack, "crew@example.com", first_link)

    # Then the first link, opened in the crew member's own browser, is refused
    crew_page = new_phone_page(browser, problems)
    crew_page.goto(first_link)
    expect(crew_page.get_by_role("alert")).to_contain_text("replaced by a newer one")

    # When they open the newest link
    crew_page.goto(second_link)
    # Then they are signed in, on the sail page, invited to that slot, its Claim button ready
    expect(crew_page.get_by_text("crew@example.com").first).to_be_visible()
    expect(crew_page).to_have_url(re.compile(rf"#/sails/{sail['id']}\?claim=crew-1"))
    expect(crew_page.get_by_text("You are invited to sail as Crew 1")).to_be_visible()
    invited_slot = crew_page.locator(".role-slot-invited")
    expect(invited_slot).to_have_count(1)
    expect(invited_slot.get_by_role("heading")).to_have_text("Crew 1")
    claim = invited_slot.get_by_role("button", name="Claim Crew 1")
    expect(claim).to_be_focused()
    assert_accessible(crew_page)
    # When they claim it
    claim.click()
    expect(crew_page.get_by_text("You claimed Crew 1.")).to_be_visible()
    expect(slot(crew_page, "Crew 1")).to_contain_text("Claimed")
    expect(slot(crew_page, "Crew 1").get_by_role("button", name="Release Crew 1")).to_be_visible()
    # And no other slot offers them a claim (one slot per person per sail)
    expect(crew_page.get_by_role("button", name=re.compile("^Claim"))).to_have_count(0)

    # Then the same link a second time, in yet another browser, is refused
    again = new_phone_page(browser, problems)
    again.goto(second_link)
    expect(again.get_by_role("alert")).to_contain_text("already been used")

    # And the claim shows on the admin's board after a reload, ready to confirm
    admin_page.reload()
    crew_1 = slot(admin_page, "Crew 1")
    expect(crew_1).to_contain_text("crew@example.com")
    expect(crew_1).to_contain_text("Claimed")
    crew_1.get_by_role("button", name="Confirm crew@example.com").click()
    expect(slot(admin_page, "Crew 1")).to_contain_text("Confirmed")
    assert_accessible(admin_page)

    # And every email this sent carries a text and an HTML part
    sent = [m for m in outbox(stack) if sail["title"] in m["text"]]
    assert {m["subject"].split(" on ")[0] for m in sent} >= {
        "You're invited to sail as Crew 1",
        "You're on: Crew 1",
        "crew@example.com claimed Crew 1",
        "Confirmed: Crew 1",
    }
    assert all(m["text"].strip() and "<html" in m["html"] for m in sent)
    for opened in (admin_page, crew_page, again):
        opened.context.close()


def test_crew_releases_their_slot_and_sees_a_taken_slot_explained(
    stack: LocalStack, browser: Browser, problems: PageProblems, page: Page, admin: ApiClient
) -> None:
    sail = new_sail(admin, days_ahead=16)
    email = f"deck-{uuid.uuid4().hex[:8]}@example.com"
    crew_page = signed_in_page(browser, problems, stack, email)
    crew_page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(crew_page.get_by_role("heading", name="Crew roles")).to_be_visible()
    # Given someone else takes crew-2 while the page is open
    rival = sign_in(stack, f"rival-{uuid.uuid4().hex[:8]}@example.com")
    assert rival.post(f"/api/sails/{sail['id']}/roles/crew-2/claim").status_code == 200
    # When they try to claim it
    slot(crew_page, "Crew 2").get_by_role("button", name="Claim Crew 2").click()
    # Then they are told who holds it, and the board shows it
    expect(slot(crew_page, "Crew 2").get_by_role("alert")).to_contain_text("crew-2 is claimed, held by rival-")
    expect(slot(crew_page, "Crew 2")).to_contain_text("Claimed")
    # When they claim crew-1 instead, then release it
    slot(crew_page, "Crew 1").get_by_role("button", name="Claim Crew 1").click()
    expect(slot(crew_page, "Crew 1")).to_contain_text("You")
    slot(crew_page, "Crew 1").get_by_role("button", name="Release Crew 1").click()
    # (releasing asks first: one tap does not lose the slot)
    slot(crew_page, "Crew 1").get_by_role("button", name="Yes, release Crew 1").click()
    expect(crew_page.get_by_text("You released Crew 1.")).to_be_visible()
    expect(slot(crew_page, "Crew 1")).to_contain_text("Open")
    # And they see no release button for the rival's slot, and no admin tools
    expect(slot(crew_page, "Crew 2").get_by_role("button")).to_have_count(0)
    expect(crew_page.get_by_role("button", name=re.compile("^Invite"))).to_have_count(0)
    expect(crew_page.locator("form.role-invite")).to_have_count(0)
    assert_accessible(crew_page)
    crew_page.context.close()


def test_an_admin_typing_a_bad_email_sees_the_error_at_the_field(
    stack: LocalStack, browser: Browser, problems: PageProblems, page: Page, admin: ApiClient
) -> None:
    sail = new_sail(admin, days_ahead=17)
    admin_page = signed_in_page(browser, problems, stack, "admin@example.com")
    admin_page.goto(f"{stack.url}/#/sails/{sail['id']}")
    captain = open_invite(admin_page, "Captain")
    captain.get_by_label("Email for Captain").fill("not an email")
    captain.get_by_role("button", name="Send invite").click()
    expect(captain.locator(".field-error")).to_have_text("Enter a valid email address.")
    expect(captain.get_by_label("Email for Captain")).to_have_attribute("aria-invalid", "true")
    # When they assign someone directly instead
    captain.get_by_label("Email for Captain").fill("skipper@example.com")
    captain.get_by_role("button", name="Assign directly").click()
    expect(slot(admin_page, "Captain")).to_contain_text("Confirmed")
    expect(slot(admin_page, "Captain")).to_contain_text("skipper@example.com")
    assert_accessible(admin_page)
    admin_page.context.close()


def test_on_a_phone_the_invite_forms_stay_folded_until_the_admin_opens_one(
    stack: LocalStack, browser: Browser, problems: PageProblems, page: Page, admin: ApiClient
) -> None:
    sail = new_sail(admin, days_ahead=18)
    email = f"deck-{uuid.uuid4().hex[:8]}@example.com"
    # Given the admin on the sail's page, on a phone
    admin_page = signed_in_page(browser, problems, stack, "admin@example.com")
    admin_page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(admin_page.get_by_role("heading", name="Crew roles")).to_be_visible()
    # Then every open slot offers a folded "Invite…" button, and no invite form is shown
    toggles = admin_page.get_by_role("button", name=re.compile("^Invite… for "))
    expect(toggles).to_have_count(3)  # captain, crew 1, crew 2
    for index in range(3):
        expect(toggles.nth(index)).to_have_attribute("aria-expanded", "false")
    expect(admin_page.get_by_role("button", name="Send invite")).to_have_count(0)
    expect(admin_page.locator("form.role-invite:visible")).to_have_count(0)
    assert_accessible(admin_page)

    # When they open Crew 2's with the keyboard
    crew_2 = slot(admin_page, "Crew 2")
    toggle = crew_2.get_by_role("button", name="Invite… for Crew 2")
    toggle.focus()
    admin_page.keyboard.press("Enter")
    # Then only that form unfolds, with the focus in its email field
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(crew_2.get_by_label("Email for Crew 2")).to_be_focused()
    expect(admin_page.locator("form.role-invite:visible")).to_have_count(1)
    assert_accessible(admin_page)
    # And Escape folds it again, the focus back on its button
    admin_page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(crew_2.get_by_label("Email for Crew 2")).to_be_hidden()

    # When they open it again and send an invite
    open_invite(admin_page, "Crew 2")
    admin_page.keyboard.type(email)
    admin_page.keyboard.press("Enter")
    # Then the usual confirmation shows, the form folds, and the focus is back on its button
    expect(admin_page.get_by_role("status").filter(has_text=f"Invite for Crew 2 sent to {email}.")).to_be_visible()
    expect(crew_2).to_contain_text(f"Invited: {email}")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(crew_2.get_by_label("Email for Crew 2")).to_be_hidden()
    assert last_link_to(stack, email)
    # And opening it once more starts from an empty field
    open_invite(admin_page, "Crew 2")
    expect(crew_2.get_by_label("Email for Crew 2")).to_have_value("")
    assert_accessible(admin_page)
    admin_page.context.close()
