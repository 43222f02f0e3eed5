"""The report archive in Chromium (issue 22): the admin lists archived reports by kind and
period and opens one as it was sent, with each recipient's delivery (a simulated bounce shows,
with the suppression's reason)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from quarterdeck.clock import new_id
from quarterdeck.reports.periods import parse_period
from tests.conftest import outbox, sign_in
from tests.e2e.conftest import assert_accessible
from tests.integration.test_report_archive import _period, _portfolio_to, _send, _simulate

pytestmark = pytest.mark.e2e


def test_admin_opens_an_archived_report_as_it_was_sent_with_its_bounce(stack: LocalStack, page: Page) -> None:
    # Given the CFO report sent for a period to an address that then bounced
    period, address = _period(), f"e2e-bounce-{new_id()}@example.com".lower()
    before = len(outbox(stack))
    outcome = _send(period, _portfolio_to(address))
    (message,) = [m for m in outbox(stack)[before:] if address in m["to"]]
    _simulate(stack, outcome.message_id, "bounce")
    # When the admin opens the archive for that period and that kind
    admin = sign_in(stack, "admin@example.com")
    assert admin.token
    page.context.add_cookies([{"name": "qd_session", "value": admin.token, "url": f"{stack.url}/api/"}])
    start = parse_period(period).start.isoformat()
    page.goto(f"{stack.url}/#/reports/archive?kind=cfo&from={start}&to={start}")
    expect(page.get_by_role("heading", name="Report archive")).to_be_visible()
    row = page.locator("table.archive-table tbody tr").filter(has_text=period)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(address)
    assert_accessible(page)
    # And opens the report
    row.get_by_role("link").click()
    # Then it shows as it was sent: its subject, the email in a sandboxed frame, the bounce and its reason
    expect(page.get_by_role("heading", name=message["subject"])).to_be_visible()
    expect(page.locator("iframe.report-frame")).to_have_attribute("sandbox", "")
    delivery = page.locator("li.archive-delivery")
    expect(delivery).to_contain_text("bounced")
    expect(delivery).to_contain_text("No more mail to this address: Hard bounce")
    page.get_by_role("button", name="Plain text").click()
    expect(page.locator("pre.report-text")).to_contain_text(message["text"].strip().splitlines()[0])
    assert_accessible(page)
