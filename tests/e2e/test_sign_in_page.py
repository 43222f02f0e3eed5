"""An admin signs in in Chromium through the outbox's magic link."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from local.stack import LocalStack
from tests.conftest import last_link_to
from tests.e2e.conftest import PageProblems, assert_accessible, new_phone_page


def test_admin_signs_in_through_the_outbox_link_once(
    stack: LocalStack, page: Page, browser: Browser, problems: PageProblems
) -> None:
    # Given the sign-in page on a phone
    page.goto(f"{stack.url}/#/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)
    # When the admin asks for a link
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    expect(page.get_by_text("is on its way")).to_be_visible()
    # And opens it from the outbox page, as a person would
    link = last_link_to(stack, "admin@example.com")
    page.goto(f"{stack.url}/_local/outbox")
    page.get_by_role("link", name=link).first.click()
    # Then they are signed in as the admin
    expect(page.get_by_text("admin@example.com")).to_be_visible()
    expect(page.get_by_role("link", name="New sail")).to_be_visible()
    # And the same link opened again, in another browser, is refused with a clear message
    other = new_phone_page(browser, problems)
    other.goto(link)
    expect(other.get_by_role("alert")).to_contain_text("already been used")
    assert_accessible(other)
    other.context.close()


def test_a_link_without_a_code_says_what_to_do(stack: LocalStack, page: Page) -> None:
    page.goto(f"{stack.url}/#/magic")
    expect(page.get_by_role("alert")).to_contain_text("has no code")
    expect(page.get_by_role("link", name="Ask for a new sign-in link")).to_be_visible()


def test_too_many_links_says_when_to_try_again_and_that_the_newest_link_works(stack: LocalStack, page: Page) -> None:
    from tests.security.conftest import unique_email

    # Given an address that was asked for as many links as an hour allows (from this browser's network)
    address = unique_email("eager")
    page.goto(f"{stack.url}/#/signin")
    for _ in range(5):
        answer = page.request.post(f"{stack.url}/api/auth/login-link", data={"email": address})
        assert answer.status == 202
    # When the person asks once more on the sign-in page
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    # Then the page says when to try again and that the newest link in the inbox still works
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile(r"Try again after \d{1,2}:\d{2}"))
    expect(alert).to_contain_text("newest sign-in link already in your inbox still works")
    # And it does not claim a link is on its way
    expect(page.get_by_text("is on its way")).to_have_count(0)
    assert_accessible(page)
