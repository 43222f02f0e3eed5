"""Scheduling beyond sunset in real Chromium (issue 24): a fixed-time sail made on the form, and
an 8-week series made in one step, one of its sails cancelled alone and the rest moved at once."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from tests.conftest import ApiClient
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_sails import day_ahead, hold_session

pytestmark = pytest.mark.e2e


def test_an_admin_makes_a_fixed_time_sail_and_every_view_follows_it(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    day = day_ahead(26)
    title = f"Morning charter {uuid.uuid4().hex[:6]}"
    # Given the admin on the new-sail form, choosing a fixed time: 09:30 for three hours
    page.goto(f"{stack.url}/#/new")
    page.get_by_label("Date").fill(day)
    page.get_by_label("At a fixed time").check()
    page.get_by_label("Departure time (San Diego)").fill("09:30")
    page.get_by_label("Duration in minutes").fill("180")
    # Then the preview shows departure 9:30 and return 12:30 (not the sunset's times)
    preview = page.locator(".timing-panel")
    expect(preview.get_by_test_id("departure")).to_have_text(re.compile(r"9:30"))
    expect(preview.get_by_test_id("return")).to_have_text(re.compile(r"12:30"))
    assert_accessible(page)
    # When it is created
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create sail").click()
    # Then its page says so: departs 9:30, back 12:30, a fixed-time sail
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    panel = page.locator(".timing-panel").first  # the sail's own (an edit form has its preview below)
    expect(panel.get_by_test_id("departure")).to_have_text(re.compile(r"9:30"))
    expect(panel.get_by_test_id("return")).to_have_text(re.compile(r"12:30"))
    expect(panel.locator(".timing-basis")).to_contain_text("fixed-time sail")
    sail_id = page.url.rsplit("/", 1)[-1]
    stored = admin.get(f"/api/sails/{sail_id}").json()
    assert (stored["start"], stored["duration_minutes"]) == ("09:30", 180)
    assert stored["departure"].startswith(f"{day}T09:30:00")
    # When the admin moves it to 14:00 on the edit form
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("Departure time (San Diego)").fill("14:00")
    page.get_by_role("button", name="Save changes").click()
    # Then the panel follows (2:00 to 5:00)
    expect(page.get_by_role("status").or_(page.locator(".notice")).first).to_contain_text("Saved")
    expect(panel.get_by_test_id("departure")).to_have_text(re.compile(r"2:00"))
    expect(panel.get_by_test_id("return")).to_have_text(re.compile(r"5:00"))
    # And back to the sunset, the timing is the sunset's again
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("With the sunset").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("button", name="Edit sail")).to_be_visible()
    expect(panel.locator(".timing-basis")).to_contain_text("follow the sunset")
    assert "start" not in admin.get(f"/api/sails/{sail_id}").json()


def test_an_eight_week_series_one_cancelled_the_rest_moved(page: Page, stack: LocalStack) -> None:
    admin: ApiClient = hold_session(page, stack, "admin@example.com")
    first = date.fromisoformat(day_ahead(40))
    title = f"Friday series {uuid.uuid4().hex[:6]}"
    # Given the admin creates an 8-week series on the form
    page.goto(f"{stack.url}/#/new")
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Title").fill(title)
    page.get_by_label("Repeat weekly: how many sails").fill("8")
    page.get_by_role("button", name="Create 8 sails").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".series-note")).to_be_visible()
    # Then eight sails exist, a week apart, one series
    listed = admin.get("/api/sails", params={"from": first.isoformat(), "to": (first + timedelta(weeks=8)).isoformat()})
    series = [s for s in listed.json()["sails"] if s["title"] == title]
    assert [s["date"] for s in series] == [(first + timedelta(weeks=n)).isoformat() for n in range(8)]
    assert len({s["series_id"] for s in series}) == 1 and len({s["id"] for s in series}) == 8
    ids = [s["id"] for s in series]
    # When the third is cancelled on its own (the series box left unticked)
    page.goto(f"{stack.url}/#/sails/{ids[2]}")
    page.get_by_role("button", name="Cancel sail").click()
    page.get_by_role("button", name="Yes, cancel the sail").click()
    expect(page.locator(".sail-date .badge")).to_have_text("Cancelled", timeout=15_000)  # mails go out first
    # And from the fifth on, the rest moves a day later, to a 10:00 start for 2 hours
    page.goto(f"{stack.url}/#/sails/{ids[4]}")
    page.get_by_role("button", name="Edit sail").click()
    page.get_by_label("Date", exact=True).fill((first + timedelta(weeks=4, days=1)).isoformat())
    page.get_by_label("At a fixed time").check()
    page.get_by_label("Departure time (San Diego)").fill("10:00")
    page.get_by_label("Duration in minutes").fill("120")
    page.get_by_label("Also the later sails of this weekly series").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice").first).to_contain_text("4 sails of the series")
    expect(page.locator(".timing-panel").first.get_by_test_id("departure")).to_have_text(re.compile(r"10:00"))
    # Then the fifth to eighth moved, the first four did not, and the third stays cancelled
    after = {i: admin.get(f"/api/sails/{i}").json() for i in ids}
    for n, sail_id in enumerate(ids):
        sail = after[sail_id]
        if n >= 4:
            assert sail["date"] == (first + timedelta(weeks=n, days=1)).isoformat()
            assert sail["departure"].startswith(f"{sail['date']}T10:00:00") and sail["start"] == "10:00"
        else:
            assert sail["date"] == (first + timedelta(weeks=n)).isoformat() and "start" not in sail
    assert after[ids[2]]["status"] == "cancelled"
    assert [after[i]["status"] for i in ids if i != ids[2]] == ["scheduled"] * 7
    # When the admin cancels the rest of the series from the seventh
    page.goto(f"{stack.url}/#/sails/{ids[6]}")
    page.get_by_role("button", name="Cancel sail").click()
    page.get_by_label("Also cancel the later sails of this weekly series").check()
    page.get_by_role("button", name="Yes, cancel these sails").click()
    expect(page.locator(".notice").first).to_contain_text("2 sails of the series are cancelled")
    statuses = [admin.get(f"/api/sails/{i}").json()["status"] for i in ids]
    assert (
        statuses == ["scheduled", "scheduled", "cancelled", "scheduled", "scheduled", "scheduled"] + ["cancelled"] * 2
    )


def _kept_manifests(page: Page) -> dict[str, str]:
    """The manifest answers the service worker keeps on this phone: {sail id: body}."""
    return dict(
        page.evaluate(
            """async () => {
              const cache = await caches.open('qd-data-v2');
              const kept = {};
              for (const request of await cache.keys()) {
                const found = new URL(request.url).pathname.match(/^\\/api\\/sails\\/([^/]+)\\/guests$/);
                if (found) kept[decodeURIComponent(found[1])] = await (await cache.match(request)).text();
              }
              return kept;
            }"""
        )
    )


def test_the_manifests_of_the_next_two_days_open_at_the_dock_without_signal(page: Page, stack: LocalStack) -> None:
    admin = hold_session(page, stack, "admin@example.com")
    hold_session(page, stack, "crew@example.com")
    # Given a sail tomorrow at 6 am with two bookings (one with a child), another one tomorrow, and one in a week
    # (early: the worker keeps the twelve soonest, and other tests leave sails for tomorrow too)
    tomorrow = {"date": day_ahead(1), "start": "06:00", "duration_minutes": 120}
    opened = admin.post("/api/sails", {"title": f"Dock A {uuid.uuid4().hex[:4]}", **tomorrow}).json()
    listed = admin.post("/api/sails", {"title": f"Dock B {uuid.uuid4().hex[:4]}", **tomorrow}).json()
    later = admin.post("/api/sails", {"title": f"Dock C {uuid.uuid4().hex[:4]}", "date": day_ahead(7)}).json()
    emails = [f"dock-{uuid.uuid4().hex[:6]}@example.com" for _ in range(2)]
    for name, email in zip(("Ada Lovelace", "Grace Hopper"), emails, strict=True):
        body = {"name": name, "email": email, "people": [{"name": f"{name.split()[0]} Junior", "minor": True}]}
        assert admin.post(f"/api/sails/{listed['id']}/guests", body).status_code == 201
    # When crew opens one sail's page (the worker starts) and then the list of sails
    page.goto(f"{stack.url}/#/sails/{opened['id']}")
    expect(page.get_by_text("Saved on this phone")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"{stack.url}/#/sails")
    expect(page.get_by_text(listed["title"]).first).to_be_visible()
    # (the worker keeps them one after the other, in the background: poll what it has kept)
    deadline = time.monotonic() + 20
    while not {opened["id"], listed["id"]} <= set(_kept_manifests(page)) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    kept = _kept_manifests(page)
    assert {opened["id"], listed["id"]} <= set(kept) and later["id"] not in kept
    assert "Grace Junior" in kept[listed["id"]] and not any(email in kept[listed["id"]] for email in emails)
    # When the signal is gone at the dock and crew opens the manifest
    page.context.set_offline(True)
    page.goto(f"{stack.url}/#/sails/{listed['id']}/manifest")
    page.reload()
    # Then everyone aboard is there by name, with their booking and waiver status, said to be the saved copy
    table = page.locator(".manifest-table")
    expect(table.get_by_role("row", name=re.compile("^Ada Lovelace"))).to_contain_text("No (on hold)")
    expect(table.get_by_role("row", name=re.compile("^Grace Junior"))).to_contain_text("No (waits for a guardian)")
    expect(page.get_by_text("No connection. This is the copy saved on this phone")).to_be_visible()
    assert_accessible(page)
    page.context.set_offline(False)
    # And when the session ends, the kept manifests go with everything else
    page.context.clear_cookies()
    page.evaluate("fetch('/api/me').then((r) => r.status)")
    page.wait_for_function(
        """async () => { const c = await caches.open('qd-data-v2'); return (await c.keys()).length === 0; }"""
    )
