"""Every email fits a phone: each template, rendered with long but real-looking data (a magic
link, a SHA-256, a long title), and each report's preview, shown in Chromium at 390 px wide,
scrolls no further sideways than the screen (scrollWidth <= clientWidth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from local.stack import LocalStack
from tests.conftest import ApiClient

pytestmark = pytest.mark.e2e

TEMPLATES = Path(__file__).resolve().parents[2] / "layers/shared/quarterdeck/templates/email"
KINDS = sorted(p.stem for p in TEMPLATES.glob("*.html") if not p.name.startswith("_"))
REPORT_KINDS = [
    "ceo",
    "cfo",
    "cto",
    "cmo",
    "accounting",
    "rental",
    "yacht_delivery",
    "client_portfolio",
]

LINK = "https://quarterdeck.example.org/#/magic?code=" + "Zm9vYmFyYmF6cXV4" * 8
SAIL = {
    "id": "s-2026-06-21-sunset",
    "title": "Summer solstice sunset sail around Point Loma and back",
    "date": "2026-06-21",
    "departure": "2026-06-21T18:30:00-07:00",
    "return": "2026-06-21T21:15:00-07:00",
    "sunset": "2026-06-21T20:00:00-07:00",
    "link": "https://quarterdeck.example.org/#/sails/s-2026-06-21-sunset-with-a-long-identifier",
    "meeting_point": "Harbor Island West Marina, dock C, slip 14, by the blue gate past the harbormaster's office",
}
# The emails a guest gets: each says where to meet (issue 21).
GUEST_KINDS = ["waiver_request", "waiver_signed", "nudge_waiver_pending", "guest_link", "sail_rescheduled"]
# Every name any template uses, with long but real-looking values (the templates are strict).
CONTEXT: dict[str, Any] = {
    "sail": SAIL,
    "previous": {**SAIL, "date": "2026-06-20"},
    "link": LINK,
    "waiver_link": LINK,
    "sail_url": SAIL["link"],
    "unsubscribe_url": "https://quarterdeck.example.org/#/unsubscribe?token=" + "a1B2c3D4e5" * 12,
    "claim_links": {"crew-1": LINK, "crew-2": LINK},
    "open_slots": ["Crew 1", "Crew 2"],
    "open_items": ["Check the bilge pump and the through-hull fittings", "Fuel"],
    "slot": "crew-1",
    "slot_label": "Crew 1",
    "title": SAIL["title"],
    "date_text": "Sunday, June 21, 2026",
    "departure_text": "6:30 PM",
    "return_text": "9:15 PM",
    "holder": "a.very.long.address.for.a.crew.member@sailing-club.example.org",
    "actor": "the.admiral.of.the.fleet@sailing-club.example.org",
    "name": "Alexandra Montgomery-Fitzgerald",
    "copy": "A copy of the waiver you signed is attached to this email.",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "signed_at": "Sunday, June 21, 2026, 5:02 PM",
    "version": "v1",
    "reason": "Small craft advisory: gusts to 35 knots outside the harbour entrance",
    "days": 3,
    "hours": 72,
    "minutes": 15,
    "is_guest": False,
    "guest": None,
    "confirmed": True,
    "to_holder": True,
    "by_holder": False,
    "added_by": "the.admiral.of.the.fleet@sailing-club.example.org",
    "role": "admin",
    "app_url": "https://quarterdeck.example.org",
}


@pytest.fixture(scope="module")
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


WIDTH = """() => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
    .slice(-3).map((e) => `${e.tagName}: ${(e.textContent || '').trim().slice(0, 60)}`);
  return { scroll: root.scrollWidth, client: root.clientWidth, wide };
}"""


def overflow(page: Page, html: str) -> dict[str, Any]:
    page.set_content(html)
    return dict(page.evaluate(WIDTH))


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_fits_a_390px_screen(phone: Page, kind: str) -> None:
    from quarterdeck.mail import render_email

    # Given the email rendered with long real-looking data
    message = render_email(kind, ["someone@example.org"], CONTEXT)
    # When it is shown on a 390 px phone
    size = overflow(phone, message.html)
    # Then nothing is wider than the screen
    assert size["scroll"] <= size["client"], (kind, size)


@pytest.mark.parametrize("kind", GUEST_KINDS)
def test_each_guest_email_shows_the_meeting_point(phone: Page, kind: str) -> None:
    from quarterdeck.mail import render_email

    message = render_email(kind, ["guest@example.org"], {**CONTEXT, "is_guest": True, "guest": True})
    assert SAIL["meeting_point"] in message.text
    phone.set_content(message.html)
    assert SAIL["meeting_point"] in phone.inner_text("body")
    size = dict(phone.evaluate(WIDTH))
    assert size["scroll"] <= size["client"], (kind, size)


def test_the_templates_are_all_covered() -> None:
    assert len(KINDS) >= 14, KINDS


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_each_report_email_fits_a_390px_screen(phone: Page, stack: LocalStack, admin: ApiClient, kind: str) -> None:
    # Given the report as it would be sent (its preview is the same rendering)
    answer = admin.post(f"/api/reports/{kind}/preview", {})
    assert answer.status_code == 200, answer.text
    # When it is shown on a 390 px phone, then nothing is wider than the screen
    size = overflow(phone, answer.json()["html"])
    assert size["scroll"] <= size["client"], (kind, size)
