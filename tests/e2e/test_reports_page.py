"""The admin's reports page in Chromium: list with last runs, rendered preview, send now."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from tests.conftest import outbox, sign_in
from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e


def open_reports_as_admin(page: Page, stack: LocalStack, query: str = "") -> None:
    """The admin's session cookie in this browser (the sign-in page itself is tested elsewhere)."""
    admin = sign_in(stack, "admin@example.com")
    assert admin.token
    page.context.add_cookies([{"name": "qd_session", "value": admin.token, "url": f"{stack.url}/api/"}])
    page.goto(f"{stack.url}/#/reports{query}")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()


def test_admin_lists_previews_and_sends_a_report(stack: LocalStack, page: Page) -> None:
    # Given the admin on the reports page (a phone)
    open_reports_as_admin(page, stack)
    cards = page.locator("li.report-card")
    expect(cards).to_have_count(8)
    expect(page.get_by_role("heading", name="CFO report")).to_be_visible()
    assert_accessible(page)

    # When they preview the CFO report
    page.get_by_role("button", name="Preview CFO report").click()
    # Then the email is drawn in a sandboxed frame, with its figures and its chart
    frame_element = page.locator("iframe.report-frame")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = page.frame_locator("iframe.report-frame")
    expect(frame.get_by_role("heading", name="Break-even")).to_be_visible()
    expect(frame.get_by_text("6 charters a month")).to_be_visible()
    expect(frame.get_by_role("heading", name="Revenue against target by month")).to_be_visible()
    # and the plain-text part is one tap away
    page.get_by_role("button", name="Plain text").click()
    expect(page.locator("pre.report-text")).to_contain_text("BURN RATE")
    assert_accessible(page)

    # When they send the client portfolio report now
    before = len(outbox(stack))
    page.get_by_role("button", name="Send Dangerous Centaur client portfolio now").click()
    # Then the page says it is queued and being sent, and that report's button waits
    expect(page.get_by_role("status")).to_contain_text("Queued — sending the Dangerous Centaur client portfolio")
    expect(page.get_by_role("button", name="Send Dangerous Centaur client portfolio now")).to_be_disabled()
    # And once the report function has sent it, the page shows it sent, with its MessageId in the list
    expect(page.get_by_role("status")).to_contain_text("Sent the Dangerous Centaur client portfolio", timeout=60_000)
    sent = outbox(stack)[before:]
    assert [m["subject"].split(" · ")[0] for m in sent] == ["Dangerous Centaur client portfolio"]
    card = cards.filter(has=page.get_by_role("heading", name="Dangerous Centaur client portfolio"))
    expect(card).to_contain_text("MessageId")
    expect(card).to_contain_text("sent")
    expect(page.get_by_role("button", name="Send Dangerous Centaur client portfolio now")).to_be_enabled()
    assert_accessible(page)

    # When they press it again, the page says it was sent and offers to send it anyway
    page.get_by_role("button", name="Send Dangerous Centaur client portfolio now").click()
    expect(page.locator(".report-resend")).to_contain_text("already sent: Sent ")
    expect(page.locator(".report-resend")).to_contain_text(re.compile(r"to \d+ (person|people)"))
    expect(page.locator(".report-resend")).not_to_contain_text("MessageId")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send again anyway").click()
    expect(page.get_by_role("status")).to_contain_text("Queued — sending")
    expect(page.get_by_role("status")).to_contain_text("Sent the Dangerous Centaur client portfolio", timeout=60_000)
    assert len(outbox(stack)[before:]) == 2
    expect(card).to_contain_text("sent")
    assert_accessible(page)


def test_a_send_that_cannot_build_the_report_says_why(stack: LocalStack, page: Page) -> None:
    from quarterdeck.config import get_settings

    open_reports_as_admin(page, stack)
    card = page.locator("li.report-card").filter(has=page.get_by_role("heading", name="CMO report"))
    # Given the report function will find no portfolio file in the data bucket
    os.environ["PORTFOLIO_KEY"] = "missing/portfolio.toml"
    get_settings.cache_clear()
    try:
        # When the admin sends the CMO report now
        page.get_by_role("button", name="Send CMO report now").click()
        send_anyway = page.get_by_role("button", name="Send again anyway")
        expect(page.get_by_role("status").or_(send_anyway).first).to_be_visible()  # queued, or sent before
        if send_anyway.is_visible():  # sent earlier in this test run: force it
            page.once("dialog", lambda dialog: dialog.accept())
            send_anyway.click()
        # Then, once the report function has given up, the page says it was not sent and why
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("The CMO report for", timeout=60_000)
        expect(alert).to_contain_text("was not sent")
        expect(alert).to_contain_text("does not exist")
        # And the card shows the failed attempt with its reason, the button ready for another try
        expect(card).to_contain_text("failed")
        expect(card).to_contain_text("does not exist")
        expect(page.get_by_role("button", name="Send CMO report now")).to_be_enabled()
        assert_accessible(page)
    finally:
        assert stack.reports.wait_idle(30)
        os.environ["PORTFOLIO_KEY"] = "portfolio.toml"
        get_settings.cache_clear()


def test_a_task_link_opens_the_preview_of_its_report(stack: LocalStack, page: Page) -> None:
    # A card on the board links back to its report and period
    open_reports_as_admin(page, stack, "?kind=cto&period=2031-W30")
    expect(page.get_by_role("heading", name="Preview: CTO report · 2031-W30")).to_be_visible()
    frame = page.frame_locator("iframe.report-frame")
    expect(frame.get_by_role("heading", name="Engineering actions ranked by ROI")).to_be_visible()


def test_crew_are_told_reports_are_for_admins(stack: LocalStack, page: Page) -> None:
    crew = sign_in(stack, "crew@example.com")
    assert crew.token
    page.context.add_cookies([{"name": "qd_session", "value": crew.token, "url": f"{stack.url}/api/"}])
    page.goto(f"{stack.url}/#/reports")
    expect(page.get_by_text("Reports are for admins.")).to_be_visible()
