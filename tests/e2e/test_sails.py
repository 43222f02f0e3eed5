"""Sails in real Chromium: create with a live timing preview, the timing panel, the checklist
modal, field errors next to their fields, the month calendar, and the page without a connection."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from quarterdeck.sun import sail_times
from tests.conftest import ApiClient, sign_in
from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")


def today() -> datetime:
    return datetime.now(LA)


def day_ahead(days: int) -> str:
    return (today().date() + timedelta(days=days)).isoformat()


def clock_text(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(LA)
    return f"{moment.hour % 12 or 12}:{moment.minute:02d}"


def hold_session(page: Page, stack: LocalStack, email: str) -> ApiClient:
    """Give the page `email`'s session cookie (redeemed through the real magic route)."""
    session = sign_in(stack, email)
    assert session.token
    page.context.add_cookies(
        [
            {
                "name": "qd_session",
                "value": session.token,
                "domain": "127.0.0.1",
                "path": "/api",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return session


def api_sail(admin: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"date": day_ahead(20), "title": f"E2E {uuid.uuid4().hex[:6]}", "crew_slots": 2, **fields}
    answer = admin.post("/api/sails", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_an_admin_creates_a_sail_sees_its_timing_and_ticks_a_checklist(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    date = day_ahead(33)
    expected = sail_times(datetime.fromisoformat(date).date()).as_dict()
    title = f"Browser sail {uuid.uuid4().hex[:6]}"
    # Given the admin on the new-sail form
    page.goto(f"{stack.url}/#/new")
    page.get_by_label("Date").fill(date)
    # Then the timing preview shows that evening's sunset and departure as the date is picked
    preview = page.locator(".timing-panel")
    expect(preview.get_by_test_id("sunset")).to_have_text(re.compile(clock_text(expected["sunset"])))
    expect(preview.get_by_test_id("departure")).to_have_text(re.compile(clock_text(expected["departure"])))
    assert_accessible(page)
    # When the admin names the sail and creates it
    page.get_by_label("Title").fill(title)
    page.get_by_label("Crew slots (besides the captain)").fill("3")
    page.get_by_role("button", name="Create sail").click()
    # Then the sail page opens with its timing panel
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    panel = page.locator(".timing-panel")
    expect(panel.get_by_test_id("sunset")).to_have_text(re.compile(clock_text(expected["sunset"])))
    expect(panel.get_by_test_id("departure")).to_have_text(re.compile(clock_text(expected["departure"])))
    expect(panel.get_by_test_id("return")).to_have_text(re.compile(clock_text(expected["return"])))
    sail_url = page.url
    sail_id = sail_url.rsplit("/", 1)[1]
    assert admin.get(f"/api/sails/{sail_id}").json()["crew_slots"] == 3
    assert_accessible(page)
    # When the admin opens the departure checklist and ticks the first item
    page.get_by_role("button", name=re.compile("Before departure")).click()
    dialog = page.get_by_role("dialog", name="Before departure")
    expect(dialog).to_be_visible()
    first = dialog.get_by_role("checkbox").first
    expect(first).not_to_be_checked()
    first.check()
    # Then it shows who ticked it, and the progress moves
    expect(dialog.get_by_text("Ticked by admin@example.com")).to_be_visible()
    expect(dialog.get_by_text("1 of 6 done")).to_be_visible()
    assert_accessible(page)
    dialog.get_by_role("button", name="Close checklist").click()
    expect(page.get_by_role("button", name=re.compile("Before departure.*1 of 6 done"))).to_be_visible()
    # And after a reload it is still ticked
    page.reload()
    page.get_by_role("button", name=re.compile("Before departure")).click()
    dialog = page.get_by_role("dialog", name="Before departure")
    expect(dialog.get_by_role("checkbox").first).to_be_checked()
    expect(dialog.get_by_text("Ticked by admin@example.com")).to_be_visible()
    # And the history on the page says so
    dialog.get_by_role("button", name="Close checklist").click()
    history = page.locator(".history-list")
    expect(history).to_contain_text("admin@example.com ticked “")
    expect(history).to_contain_text("on the departure checklist.")
    expect(history).not_to_contain_text(re.compile(r"\bn: |guest_id|text_sha256"))
    expect(history).to_contain_text("admin@example.com created the sail with 3 crew slots.")


def test_invalid_inputs_show_next_to_their_fields(page: Page, stack: LocalStack) -> None:
    hold_session(page, stack, "admin@example.com")
    page.goto(f"{stack.url}/#/new")
    create = page.get_by_role("button", name="Create sail")
    # A date in the past
    page.get_by_label("Date").fill((today().date() - timedelta(days=2)).isoformat())
    page.get_by_label("Title").fill("Too late")
    create.click()
    expect(page.locator("#field-date-error")).to_contain_text("in the past")
    expect(page.get_by_label("Date")).to_have_attribute("aria-invalid", "true")
    # A missing title
    page.get_by_label("Date").fill(day_ahead(40))
    page.get_by_label("Title").fill("")
    create.click()
    expect(page.locator("#field-title-error")).to_contain_text("required")
    expect(page.locator("#field-date-error")).to_have_count(0)
    # Too many crew slots
    page.get_by_label("Title").fill("Crowded")
    page.get_by_label("Crew slots (besides the captain)").fill("9")
    create.click()
    expect(page.locator("#field-crew_slots-error")).to_contain_text("0 to 8")
    assert_accessible(page)


def test_an_admin_edits_the_date_and_the_error_shows_at_the_field(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, date=day_ahead(25))
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#field-title-error")).to_contain_text("required")
    # A new date recomputes the times
    new_date = day_ahead(26)
    expected = sail_times(datetime.fromisoformat(new_date).date()).as_dict()
    page.get_by_label("Title").fill("Moved sail")
    page.get_by_label("Date").fill(new_date)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Moved sail", level=1)).to_be_visible()
    expect(page.locator(".timing-panel").first.get_by_test_id("sunset")).to_have_text(
        re.compile(clock_text(expected["sunset"]))
    )
    assert admin.get(f"/api/sails/{sail['id']}").json()["date"] == new_date


def test_opening_another_sail_mid_edit_never_carries_the_form_over(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    first, second = api_sail(admin, date=day_ahead(27)), api_sail(admin, date=day_ahead(28))
    # Given the admin half-way through editing the first sail
    page.goto(f"{stack.url}/#/sails/{first['id']}")
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("Title").fill("Half-typed title")
    # When they open the second sail (a link, the back button, a typed address)
    page.goto(f"{stack.url}/#/sails/{second['id']}")
    # Then the second sail's own page shows, not the first one's form
    expect(page.get_by_role("heading", name=second["title"], level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Edit sail")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_count(0)
    # And neither sail was changed
    assert admin.get(f"/api/sails/{first['id']}").json()["title"] == first["title"]
    assert admin.get(f"/api/sails/{second['id']}").json()["title"] == second["title"]


def test_the_list_shows_upcoming_sails_and_a_month_calendar(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    # Given a sail this month (or early next) and a cancelled one
    soon_day = today().date() + timedelta(days=1)
    soon = api_sail(admin, date=soon_day.isoformat(), title=f"Soon {uuid.uuid4().hex[:4]}")
    gone = api_sail(admin, date=day_ahead(2), title=f"Gone {uuid.uuid4().hex[:4]}")
    assert admin.post(f"/api/sails/{gone['id']}/cancel", {}).status_code == 200
    # When the list opens
    page.goto(f"{stack.url}/#/sails")
    # Then both are listed, the cancelled one marked so
    cards = page.locator(".sail-card")
    expect(cards.filter(has_text=soon["title"])).to_be_visible()
    expect(cards.filter(has_text=gone["title"])).to_contain_text("Cancelled")
    # And the month calendar marks the date that has a sail
    if soon_day.month != today().month:
        page.get_by_role("button", name="Next month").click()
    day_link = page.locator(".month-grid a", has_text=re.compile(rf"^{soon_day.day}$"))
    expect(day_link.first).to_have_attribute("aria-label", re.compile(re.escape(soon["title"])))
    assert_accessible(page)
    # And the person can get their private calendar link there
    page.get_by_text("Your sails in your calendar").click()
    page.get_by_role("button", name="Get my calendar link").click()
    expect(page.get_by_label("Your calendar link")).to_have_value(re.compile(r"/api/calendar/[\w-]+\.[\w-]+\.ics$"))
    assert_accessible(page)
    day_link.first.click()
    expect(page).to_have_url(re.compile(r"#/sails/"))


def test_the_sail_page_without_a_connection(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    crew = hold_session(page, stack, "crew@example.com")
    sail = api_sail(admin, title=f"Offline {uuid.uuid4().hex[:4]}")
    # Given crew has opened the sail page once (the service worker keeps it)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.get_by_role("heading", name=sail["title"], level=1)).to_be_visible()
    # (the page says so once the service worker has kept it)
    expect(page.get_by_text("Saved on this phone")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # When the connection drops and the page is opened again
    page.context.set_offline(True)
    page.reload()
    # Then the sail is still readable, and the page says it is an offline copy
    expect(page.get_by_role("heading", name=sail["title"], level=1)).to_be_visible()
    expect(page.get_by_text("No connection.")).to_be_visible()
    expect(page.locator(".timing-panel").get_by_test_id("departure")).to_have_text(
        re.compile(clock_text(sail["departure"]))
    )
    # When crew ticks an item offline, the page says plainly it was not sent
    page.get_by_role("button", name=re.compile("Before departure")).click()
    dialog = page.get_by_role("dialog", name="Before departure")
    dialog.get_by_role("checkbox").nth(1).check()
    expect(dialog.get_by_text("not been sent")).to_be_visible()
    expect(dialog.get_by_text("Not sent yet")).to_be_visible()
    assert crew.get(f"/api/sails/{sail['id']}").json()["checklists"]["departure"]["done"] == 0
    dialog.get_by_role("button", name="Close checklist").click()
    # When the connection returns, the tick is sent
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_role("button", name=re.compile("Before departure.*1 of 6 done"))).to_be_visible()
    item = crew.get(f"/api/sails/{sail['id']}").json()["checklists"]["departure"]["items"][1]
    assert item["done"] is True and item["done_by"] == "crew@example.com"


def test_pages_loaded_on_first_use_without_a_connection(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, title=f"Lazy {uuid.uuid4().hex[:4]}")
    # Given an admin opened a sail page (the service worker keeps it) and, once, the People page
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.get_by_text("Saved on this phone")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    # When the connection drops and the app is opened again on the sail
    page.context.set_offline(True)
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    page.reload()
    expect(page.get_by_role("heading", name=sail["title"], level=1)).to_be_visible()
    # Then the sails list (kept for the dock with the sail page) and the People page (opened once) load
    page.get_by_role("link", name="← All sails").click()
    expect(page.get_by_role("heading", name="Upcoming sails", level=1)).to_be_visible()
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    # And a page never opened on this phone says why it cannot load, and offers to try again
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Page not loaded", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("not kept for offline use")
    assert_accessible(page)
    # When the connection returns, trying again loads it
    page.context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()


def test_the_timing_panel_counts_down_on_the_day(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, date=day_ahead(10))
    departure = datetime.fromisoformat(sail["departure"])
    # Given it is the sail's day, an hour and a half before departure (the phone's clock)
    page.clock.install(time=departure - timedelta(minutes=90))
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # Then the timing panel counts down to departure
    expect(page.get_by_role("timer")).to_have_text("Departure in 1 h 30 min")
    # And half an hour after departure it counts down to the return (two and a half hours later)
    page.clock.run_for(2 * 60 * 60 * 1000)
    expect(page.get_by_role("timer")).to_have_text("Under way: back at the dock in 2 h")


def test_no_countdown_on_other_days(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, date=day_ahead(11))
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.locator(".timing-panel").get_by_test_id("departure")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_count(0)


def _kept_sail_copies(page: Page) -> list[str]:
    """The bodies of the sail answers the service worker keeps on this phone."""
    return page.evaluate(
        """async () => {
          const cache = await caches.open('qd-data-v2');
          const bodies = [];
          for (const request of await cache.keys()) {
            if (/\\/api\\/sails\\/[^/]+$/.test(new URL(request.url).pathname)) {
              bodies.push(await (await cache.match(request)).text());
            }
          }
          return bodies;
        }"""
    )


def test_the_phone_keeps_no_contact_details_and_forgets_when_the_session_ends(page: Page, stack: LocalStack) -> None:
    # Given an admin (who sees guests' addresses) opened a sail with a guest on this phone
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, title=f"Kept {uuid.uuid4().hex[:4]}")
    guest_email = f"kept-{uuid.uuid4().hex[:6]}@example.com"
    assert (
        admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Kept Guest", "email": guest_email}).status_code == 201
    )
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    expect(page.get_by_text("Saved on this phone")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    expect(page.get_by_role("heading", name=sail["title"], level=1)).to_be_visible()
    page.wait_for_function(
        """async () => { const c = await caches.open('qd-data-v2'); return (await c.keys()).length > 0; }"""
    )
    # Then the kept copy has the guest's name and status, not their address
    kept = _kept_sail_copies(page)
    assert kept and any("Kept Guest" in body for body in kept)
    assert not any(guest_email in body for body in kept)
    # When the session ends elsewhere (its token no longer valid) and the page asks the API again
    page.context.clear_cookies()
    page.evaluate("fetch('/api/me').then((r) => r.status)")
    # Then nothing of it is kept on the phone any more
    page.wait_for_function(
        """async () => { const c = await caches.open('qd-data-v2'); return (await c.keys()).length === 0; }"""
    )


def test_times_follow_the_club_time_zone_the_api_names(page: Page, stack: LocalStack) -> None:
    # Given a club whose deployment names another time zone (its /api/me says so)
    admin = hold_session(page, stack, "admin@example.com")
    sail = api_sail(admin, title=f"Zone {uuid.uuid4().hex[:4]}")

    def other_zone(route: Any) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "timezone": "America/New_York"})

    page.route("**/api/me", other_zone)
    # When the sail page opens
    page.goto(f"{stack.url}/#/sails/{sail['id']}")
    # Then its departure reads in that zone, not the phone's and not a hard-coded one
    departure = datetime.fromisoformat(sail["departure"]).astimezone(ZoneInfo("America/New_York"))
    expected = f"{departure.hour % 12 or 12}:{departure.minute:02d}"
    expect(page.locator(".timing-panel").get_by_test_id("departure")).to_have_text(re.compile(expected))
