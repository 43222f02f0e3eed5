"""The Business data page in Chromium (issue 22, item 1): an admin changes a revenue figure and
the CFO report's preview shows it; a bad value is refused naming the field, with the stored data
unchanged; an earlier version is restored. The page works at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from tests.conftest import sign_in
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_sails import hold_session
from tests.integration.test_portfolio_api import forget_versions

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh(stack: LocalStack) -> Iterator[Any]:
    forget_versions()  # the data file, never saved in the app
    admin = sign_in(stack, "admin@example.com")
    yield admin
    forget_versions()


def test_admin_changes_a_revenue_figure_sees_it_in_the_cfo_report_and_restores_the_version(
    page: Page, stack: LocalStack, fresh: Any
) -> None:
    document = fresh.get("/api/portfolio").json()["document"]
    revenue = document["revenue"]
    last = max(range(len(revenue)), key=lambda n: (revenue[n]["month"], n))
    entry = revenue[last]
    month_total = sum(r["amount"] for r in revenue if r["month"] == entry["month"])
    new_total = month_total - entry["amount"] + 45678
    # Given the admin on the Business data page (a phone)
    page.set_viewport_size({"width": 390, "height": 900})
    hold_session(page, stack, "admin@example.com")
    page.goto(f"{stack.url}/#/business")
    expect(page.get_by_role("heading", name="Business data", exact=True)).to_be_visible()
    assert_accessible(page)
    # When they change the month's last revenue figure and save
    field = page.locator(f'[id="field-revenue[{last}].amount"]')
    field.fill("45678")
    page.get_by_role("button", name="Save", exact=True).click()
    # Then the page says it was saved as a new version
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2 (1 change)")
    # And the CFO report's preview carries the new figure
    page.goto(f"{stack.url}/#/reports")
    page.get_by_role("button", name="Preview CFO report").click()
    page.get_by_role("button", name="Plain text").click()
    expect(page.locator("pre.report-text")).to_contain_text(f"${new_total:,.0f}")

    # When they type a bad value into a cost and save
    page.goto(f"{stack.url}/#/business")
    page.locator("summary", has_text="Costs").click()
    cost = page.locator('[id="field-expenses[0].monthly"]')
    cost.fill("-5")
    page.get_by_role("button", name="Save", exact=True).click()
    # Then it is refused, naming the field, and nothing was stored
    expect(page.get_by_role("alert").first).to_contain_text("expenses[0].monthly")
    expect(cost).to_be_focused()
    stored = fresh.get("/api/portfolio").json()
    assert stored["version"] == 2 and stored["document"]["expenses"][0]["monthly"] == document["expenses"][0]["monthly"]

    # When they restore version 1 (the data file as it was)
    page.reload()
    page.get_by_role("button", name="Restore version 1").click()
    # Then the figure is the file's again, as version 3
    expect(page.get_by_role("status")).to_contain_text("Restored version 1: it is now version 3.")
    expect(page.locator(f'[id="field-revenue[{last}].amount"]')).to_have_value(str(entry["amount"]).removesuffix(".0"))
    assert fresh.get("/api/portfolio").json()["document"]["revenue"][last]["amount"] == entry["amount"]
    # And comparing version 2 with now shows the figure that changed
    page.get_by_role("button", name="Compare version 2 with now").click()
    expect(page.locator("table.bd-changes")).to_contain_text(f"revenue[{last}].amount")
