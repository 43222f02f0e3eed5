"""Stored XSS: script-bearing text saved in every free-text field stays text in Chromium.

Each field holds three classic payloads at once. Every page that shows the field is opened by
the person who would see it (admin, crew, the guest); on each we check that no dialog opened,
no script ran (no page error, no CSP violation: an inline handler that got into the DOM would
be blocked and reported), no element was made from the payload, and the text reads literally.
Values the API refuses (an address with `<`) are written to the table directly, so the pages'
own escaping is tested even for data that went around the API's checks. The HTML email parts
that carry those fields are checked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from local.stack import LocalStack
from tests.conftest import outbox, sign_in
from tests.security.conftest import (
    ADMIN_EMAIL,
    add_guest,
    guest_session,
    in_browser,
    new_sail,
    session_cookie,
    unique,
    unique_email,
)

pytestmark = pytest.mark.e2e

PAYLOAD = '<img src=x onerror=alert(1)> <script>alert(1)</script> "><svg onload=alert(1)>'
INJECTED = "img[src='x'], svg[onload], script:not([src]), [onerror], [onload]"


def text(label: str) -> str:
    return f"{label} {PAYLOAD}"


FIELDS = {
    "sail title": text("Title"),
    "sail notes": text("Notes"),
    "cancel reason": text("Reason"),
    "checklist label": text("Label"),
    "guest name": text("Guest"),
    "task title": text("Task"),
    "task detail": text("Detail"),
    "task entity": PAYLOAD,  # entities are at most 80 characters
    "task owner": text("Owner"),
}
# Not accepted by the API (`<` and `"` are not in an address), so written to the table directly.
HOLDER = "x<img src=x onerror=alert(1)>@example.com"
GUEST_EMAIL = 'g"><svg onload=alert(1)>@example.com'


@dataclass
class Scene:
    sail_id: str
    cancelled_id: str
    guest_id: str
    guest_email: str
    task_title: str
    admin_token: str
    crew_token: str
    guest_token: str
    seen: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def scene(stack: LocalStack) -> Scene:
    from quarterdeck import keys
    from quarterdeck.store import Store

    admin = sign_in(stack, ADMIN_EMAIL)
    crew = sign_in(stack, unique_email("xss-crew"))
    # Given a sail whose title, notes, an added checklist item and a guest's name carry the payloads
    sail = new_sail(admin, FIELDS["sail title"], crew_slots=2, notes=FIELDS["sail notes"])
    added = admin.post(f"/api/sails/{sail['id']}/checklists/departure/items", {"label": FIELDS["checklist label"]})
    assert added.status_code == 201, added.text
    guest_email = unique_email("xss-guest")
    guest = add_guest(admin, sail["id"], name=FIELDS["guest name"], email=guest_email)
    guest_token = guest_session(stack, guest_email, sail["id"], guest["id"]).token or ""
    # And a holder address and a second guest's address the API would refuse, put in the table
    store = Store()
    store.update(
        *keys.role(sail["id"], "crew-2"),
        "SET #state = :claimed, holder = :holder",
        names={"#state": "state"},
        values={":claimed": "claimed", ":holder": HOLDER},
    )
    other = add_guest(admin, sail["id"], name="Plain Guest", email=unique_email("plain"))
    store.update(*keys.guest(sail["id"], other["id"]), "SET email = :email", values={":email": GUEST_EMAIL})
    # And a cancelled sail whose reason carries them
    cancelled = new_sail(admin, unique("Cancelled sail"), days_ahead=23)
    assert admin.post(f"/api/sails/{cancelled['id']}/cancel", {"reason": FIELDS["cancel reason"]}).status_code == 200
    # And a task whose every text field carries them
    title = f"{FIELDS['task title']} {unique('')}"
    task = admin.post(
        "/api/tasks",
        {
            "title": title,
            "detail": FIELDS["task detail"],
            "entity": FIELDS["task entity"],
            "owner": FIELDS["task owner"],
        },
    )
    assert task.status_code == 201, task.text
    return Scene(
        sail_id=sail["id"],
        cancelled_id=cancelled["id"],
        guest_id=guest["id"],
        guest_email=guest_email,
        task_title=title,
        admin_token=admin.token or "",
        crew_token=crew.token or "",
        guest_token=guest_token,
    )


def _look(stack: LocalStack, token: str, visits: list[tuple[str, list[str], str | None]]) -> dict[str, Any]:
    """Open each (hash route, texts to see, button to click first) as the person with `token`."""

    def work(browser: Any) -> dict[str, Any]:
        from playwright.sync_api import expect

        from tests.e2e.conftest import PageProblems, new_phone_page

        problems = PageProblems()
        page = new_phone_page(browser, problems)
        page.context.add_cookies([session_cookie(stack, token)])
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        injected: dict[str, int] = {}
        missing: list[str] = []
        for route, texts, click in visits:
            page.goto(f"{stack.url}/{route}")
            page.locator("main").wait_for()
            if click:
                page.get_by_role("button", name=click).first.click()
            for expected in texts:
                try:
                    expect(page.get_by_text(expected).filter(visible=True).first).to_be_visible(timeout=10_000)
                except AssertionError:
                    missing.append(f"{route}: {expected}")
            page.wait_for_timeout(300)  # a handler or script would have run by now
            injected[route] = page.locator(INJECTED).count()
        page.context.close()
        return {
            "dialogs": dialogs,
            "errors": problems.errors,
            "csp": problems.csp_violations,
            "injected": {k: v for k, v in injected.items() if v},
            "missing": missing,
        }

    return in_browser(work)


def _assert_inert(result: dict[str, Any]) -> None:
    assert result["dialogs"] == [], result
    assert result["errors"] == [], result
    assert result["csp"] == [], result
    assert result["injected"] == {}, result
    assert result["missing"] == [], result


def test_the_admin_sees_every_payload_as_text(stack: LocalStack, scene: Scene) -> None:
    sail, cancelled = f"#/sails/{scene.sail_id}", f"#/sails/{scene.cancelled_id}"
    result = _look(
        stack,
        scene.admin_token,
        [
            ("#/sails", [FIELDS["sail title"]], None),
            (sail, [FIELDS["sail title"], FIELDS["sail notes"], FIELDS["guest name"], HOLDER, GUEST_EMAIL], None),
            (sail, [FIELDS["checklist label"]], "Before departure"),
            (f"{sail}/manifest", [FIELDS["sail title"], FIELDS["guest name"]], None),
            (cancelled, [FIELDS["cancel reason"]], None),
            ("#/board", [scene.task_title, FIELDS["task entity"], FIELDS["task owner"]], None),
            ("#/board", [FIELDS["task detail"]], scene.task_title),
        ],
    )
    _assert_inert(result)


def test_crew_see_the_payloads_as_text(stack: LocalStack, scene: Scene) -> None:
    sail = f"#/sails/{scene.sail_id}"
    result = _look(
        stack,
        scene.crew_token,
        [
            ("#/sails", [FIELDS["sail title"]], None),
            (sail, [FIELDS["sail title"], FIELDS["sail notes"], HOLDER], None),
            (sail, [FIELDS["checklist label"]], "Before departure"),
        ],
    )
    _assert_inert(result)


def test_the_guest_sees_its_name_and_the_sail_as_text(stack: LocalStack, scene: Scene) -> None:
    waiver = f"#/waiver?sail={scene.sail_id}&guest={scene.guest_id}"
    result = _look(
        stack,
        scene.guest_token,
        [
            (waiver, [FIELDS["guest name"], FIELDS["sail title"]], None),
            (f"#/sails/{scene.sail_id}", [FIELDS["sail title"], FIELDS["sail notes"]], None),
        ],
    )
    _assert_inert(result)


def test_the_emails_carrying_those_fields_escape_them(stack: LocalStack, scene: Scene) -> None:
    # The waiver request mailed to the guest names the sail (title in the HTML part)
    mails = [m for m in outbox(stack) if scene.guest_email in m["to"]]
    assert mails, "the guest got no waiver request"
    for message in mails:
        for raw in ("<img src=x", "<script>alert", "<svg onload"):
            assert raw not in message["html"], (message["subject"], raw)
        assert "&lt;img src=x onerror=alert(1)&gt;" in message["html"]
