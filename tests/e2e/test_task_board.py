"""The progress dashboard in Chromium: add, drag, keyboard moves, detail, filters, phone layout."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in
from tests.e2e.conftest import PageProblems, assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def desktop(browser: Browser, problems: PageProblems) -> Iterator[Page]:
    """A laptop-sized window: dragging with a mouse is a desktop gesture (phones move cards from the detail)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    created = context.new_page()
    created.set_default_timeout(10_000)
    created.on(
        "console",
        lambda m: problems.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    created.on("pageerror", lambda error: problems.errors.append(str(error)))
    yield created
    context.close()
    assert problems.csp_violations == [], problems.csp_violations
    assert problems.errors == [], problems.errors


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def open_board_as_admin(page: Page, stack: LocalStack, query: str = "") -> ApiClient:
    """The admin's session cookie in this browser (the sign-in page itself is tested elsewhere)."""
    admin = sign_in(stack, "admin@example.com")
    assert admin.token
    page.context.add_cookies([{"name": "qd_session", "value": admin.token, "url": f"{stack.url}/api/"}])
    page.goto(f"{stack.url}/#/board{query}")
    expect(page.get_by_role("heading", name="Board", exact=True)).to_be_visible()
    expect(page.locator(".board")).to_be_visible()
    return admin


def column(page: Page, status: str) -> Locator:
    return page.locator(f'section.board-column[data-status="{status}"]')


def card(page: Page, title: str) -> Locator:
    return page.locator("li.task-card", has=page.get_by_role("button", name=title, exact=True))


def add_by_api(admin: ApiClient, **fields: Any) -> dict[str, Any]:
    answer = admin.post("/api/tasks", fields)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def api_status(admin: ApiClient, task_id: str) -> str:
    return str(admin.get(f"/api/tasks/{task_id}").json()["status"])


def test_create_a_task_drag_it_to_review_and_it_stays_after_reload(stack: LocalStack, desktop: Page) -> None:
    page = desktop
    # Given the admin on the board
    admin = open_board_as_admin(page, stack)
    title = unique("Call the marina")
    # When they add a task through the form
    page.get_by_role("button", name="New task").click()
    form = page.get_by_role("form", name="New task")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Entity").fill("Queen of San Diego")
    form.get_by_label("Owner").fill("CEO")
    form.get_by_label("Due date").fill("2030-05-01")
    form.get_by_role("button", name="Add task").click()
    # Then the card is in Pending, showing what it is about
    new_card = column(page, "pending").locator("li.task-card", has_text=title)
    expect(new_card).to_be_visible()
    expect(new_card).to_contain_text("Queen of San Diego")
    expect(new_card).to_contain_text("Owner: CEO")
    expect(new_card).to_contain_text("Due Wed, May 1, 2030")
    expect(new_card).to_contain_text("Added by hand")
    expect(page.get_by_role("status").filter(has_text="Added")).to_contain_text(title)
    task_id = new_card.get_attribute("data-task-id")
    assert task_id
    # When they drag it onto the "In review" column
    new_card.drag_to(column(page, "in_review").get_by_role("heading"))
    # Then it is drawn there, and the move is announced once it is saved
    expect(column(page, "in_review").locator("li.task-card", has_text=title)).to_be_visible()
    expect(column(page, "pending").locator("li.task-card", has_text=title)).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Moved")).to_have_text(f"Moved “{title}” to In review.")
    # And after a reload it is still in review (the server has it too)
    page.reload()
    expect(column(page, "in_review").locator("li.task-card", has_text=title)).to_be_visible()
    expect(column(page, "pending").locator("li.task-card", has_text=title)).to_have_count(0)
    assert api_status(admin, task_id) == "in_review"


def test_keyboard_moves_a_focused_card_and_announces_it(stack: LocalStack, page: Page) -> None:
    # Given a pending task on the board
    admin = sign_in(stack, "admin@example.com")
    title = unique("Renew insurance")
    task = add_by_api(admin, title=title, entity="JADA", owner="Accounting")
    open_board_as_admin(page, stack)
    button = column(page, "pending").get_by_role("button", name=title, exact=True)
    # When the admin focuses the card and presses the right arrow
    button.focus()
    page.keyboard.press("ArrowRight")
    # Then the card is in review, keeps the focus, and the move is announced
    moved = column(page, "in_review").get_by_role("button", name=title, exact=True)
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    live = page.get_by_role("status").filter(has_text="Moved")
    expect(live).to_have_text(f"Moved “{title}” to In review.")
    # When they press right again, then left (moves may go back)
    page.keyboard.press("ArrowRight")
    expect(column(page, "completed").get_by_role("button", name=title, exact=True)).to_be_focused()
    expect(live).to_have_text(f"Moved “{title}” to Completed.")
    page.keyboard.press("ArrowLeft")
    expect(column(page, "in_review").get_by_role("button", name=title, exact=True)).to_be_focused()
    expect(live).to_have_text(f"Moved “{title}” to In review.")
    # And the first column's left edge says so instead of moving
    page.keyboard.press("ArrowLeft")
    expect(column(page, "pending").get_by_role("button", name=title, exact=True)).to_be_focused()
    # (wait for that move's own announcement, or it could land after the edge message)
    expect(live).to_have_text(f"Moved “{title}” to Pending.")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("status").filter(has_text="already")).to_contain_text("the first column")
    page.keyboard.press("ArrowRight")
    expect(live).to_have_text(f"Moved “{title}” to In review.")
    # And after a reload it stays where the keyboard left it, with every move in its history
    page.reload()
    expect(column(page, "in_review").get_by_role("button", name=title, exact=True)).to_be_visible()
    saved = admin.get(f"/api/tasks/{task['id']}").json()
    assert saved["status"] == "in_review"
    assert [h["to"] for h in saved["history"]] == [
        "pending",
        "in_review",
        "completed",
        "in_review",
        "pending",
        "in_review",
    ]


def test_a_card_opens_its_detail_with_history_and_can_be_edited(stack: LocalStack, page: Page) -> None:
    # Given a task from a report, late, and moved once
    admin = sign_in(stack, "admin@example.com")
    title = unique("Book six charters")
    task = add_by_api(admin, title=title, entity="Queen of San Diego", owner="CFO", due="2022-01-03", detail="Why")
    admin.patch(f"/api/tasks/{task['id']}", {"version": 1, "status": "in_review"})
    open_board_as_admin(page, stack)
    on_board = card(page, title)
    # Then the card says it is overdue in words, not by colour alone
    expect(on_board).to_contain_text("Overdue · due Mon, Jan 3, 2022")
    # When the admin opens it
    on_board.get_by_role("button", name=title, exact=True).click()
    detail = page.get_by_role("dialog", name=title)
    expect(detail).to_be_visible()
    # Then it shows the detail and the history of moves, with who moved it
    expect(detail).to_contain_text("Why")
    history = detail.locator(".task-history")
    expect(history).to_contain_text("Pending → In review by admin@example.com")
    expect(history).to_contain_text("Created in Pending by admin@example.com")
    assert_accessible(page)
    # When they edit the title and move it with the column select
    detail.get_by_label("Title").fill(f"{title} (done)")
    detail.get_by_label("Column").select_option("completed")
    detail.get_by_role("button", name="Save changes").click()
    expect(detail.get_by_role("status")).to_have_text("Saved.")
    expect(history).to_contain_text("In review → Completed by admin@example.com")
    detail.get_by_role("button", name="Close").click()
    expect(detail).to_be_hidden()
    # Then the board shows the new title in Completed, no longer overdue
    done = column(page, "completed").locator("li.task-card", has_text=f"{title} (done)")
    expect(done).to_be_visible()
    expect(done).not_to_contain_text("Overdue")


def test_an_admin_archives_a_card_and_it_leaves_the_board(stack: LocalStack, page: Page) -> None:
    # Given a pending card (issue 22: admins archive cards; archived ones leave the board)
    admin = sign_in(stack, "admin@example.com")
    title = unique("Archive me")
    task = add_by_api(admin, title=title, owner="CTO")
    open_board_as_admin(page, stack)
    # When the admin opens it and archives it
    card(page, title).get_by_role("button", name=title, exact=True).click()
    detail = page.get_by_role("dialog", name=title)
    detail.get_by_role("button", name="Archive this card").click()
    # Then the dialog closes and the card is on no column, after a reload too
    expect(detail).to_be_hidden()
    expect(page.locator("li.task-card", has_text=title)).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Board", exact=True)).to_be_visible()
    expect(page.locator("li.task-card", has_text=title)).to_have_count(0)
    # And it is kept, archived, with its history
    assert api_status(admin, task["id"]) == "archived"


def test_a_stale_edit_in_the_detail_is_refused_and_shows_the_current_task(stack: LocalStack, page: Page) -> None:
    # Given the admin has a task open
    admin = sign_in(stack, "admin@example.com")
    title = unique("Fix the bilge pump")
    task = add_by_api(admin, title=title)
    open_board_as_admin(page, stack)
    card(page, title).get_by_role("button", name=title, exact=True).click()
    detail = page.get_by_role("dialog", name=title)
    # When someone else moves it meanwhile, and the admin then saves an edit from the old version
    assert admin.patch(f"/api/tasks/{task['id']}", {"version": 1, "status": "completed"}).status_code == 200
    detail.get_by_label("Owner").fill("CTO")
    detail.get_by_role("button", name="Save changes").click()
    # Then the edit is refused, saying why, and the form shows the task as it is now
    expect(detail.get_by_role("alert")).to_contain_text("Someone else changed this task first")
    expect(detail.get_by_label("Column")).to_have_value("completed")
    assert admin.get(f"/api/tasks/{task['id']}").json()["owner"] == ""
    # And what they typed is kept, with what changed on the server shown
    expect(detail.get_by_label("Owner")).to_have_value("CTO")
    expect(detail.locator(".conflict-notice")).to_contain_text("Column: “pending” → “completed”")
    # When they apply it again, it is saved over the current version
    detail.get_by_role("button", name="Save my changes again").click()
    expect(detail.get_by_role("status")).to_have_text("Saved.")
    current = admin.get(f"/api/tasks/{task['id']}").json()
    assert (current["owner"], current["status"]) == ("CTO", "completed")


def test_the_new_task_form_names_a_missing_title(stack: LocalStack, page: Page) -> None:
    open_board_as_admin(page, stack)
    page.get_by_role("button", name="New task").click()
    page.get_by_role("button", name="Add task").click()
    form = page.get_by_role("form", name="New task")
    expect(form.get_by_role("alert")).to_have_text("The title is required.")
    expect(form.get_by_label("Title")).to_have_attribute("aria-invalid", "true")


def test_filters_by_entity_and_owner_and_counts_columns(stack: LocalStack, page: Page) -> None:
    # Given tasks of two made-up entities
    admin = sign_in(stack, "admin@example.com")
    mine, other = unique("Entity"), unique("Entity")
    a = add_by_api(admin, title=unique("A"), entity=mine, owner="CMO")
    b = add_by_api(admin, title=unique("B"), entity=mine, owner="CTO")
    c = add_by_api(admin, title=unique("C"), entity=other, owner="CMO")
    open_board_as_admin(page, stack)
    # When the admin filters by the first entity
    page.get_by_label("Filter by entity").select_option(mine)
    # Then only its tasks show, and the counts say how many of how many
    expect(card(page, a["title"])).to_be_visible()
    expect(card(page, b["title"])).to_be_visible()
    expect(card(page, c["title"])).to_have_count(0)
    expect(column(page, "pending").locator(".board-count")).to_have_text(re.compile(r"^2 of \d+ tasks$"))
    # When they also filter by owner
    page.get_by_label("Filter by owner").select_option("CTO")
    expect(card(page, a["title"])).to_have_count(0)
    expect(card(page, b["title"])).to_be_visible()
    # And the filter is in the address, so a reload keeps it
    page.reload()
    expect(card(page, b["title"])).to_be_visible()
    expect(card(page, a["title"])).to_have_count(0)


def test_on_a_phone_the_columns_scroll_sideways(stack: LocalStack, page: Page) -> None:
    # Given the board on a 390 px wide phone
    admin = sign_in(stack, "admin@example.com")
    title = unique("Phone card")
    add_by_api(admin, title=title, owner="CEO")
    open_board_as_admin(page, stack)
    board = page.locator(".board")
    # Then the columns are wider together than the screen, and the board scrolls sideways, not the page
    sizes = board.evaluate(
        "el => ({scroll: el.scrollWidth, client: el.clientWidth,"
        " page: document.documentElement.scrollWidth, view: innerWidth})"
    )
    assert sizes["scroll"] > sizes["client"] * 2, sizes
    assert sizes["page"] <= sizes["view"], sizes
    expect(column(page, "completed")).not_to_be_in_viewport()
    column(page, "completed").scroll_into_view_if_needed()
    expect(column(page, "completed")).to_be_in_viewport()
    expect(column(page, "pending")).not_to_be_in_viewport(ratio=0.5)
    # And the cards are large enough to tap, and the page passes axe
    box = card(page, title).get_by_role("button", name=title, exact=True).bounding_box()
    assert box and box["height"] >= 44
    assert_accessible(page)


def test_the_board_is_for_admins_only(stack: LocalStack, page: Page) -> None:
    crew = sign_in(stack, "crew@example.com")
    assert crew.token
    page.context.add_cookies([{"name": "qd_session", "value": crew.token, "url": f"{stack.url}/api/"}])
    page.goto(f"{stack.url}/#/board")
    expect(page.get_by_text("The board is for the admins.")).to_be_visible()
    expect(page.locator(".board")).to_have_count(0)


def _delete(items: list[dict[str, Any]]) -> None:
    from quarterdeck.clients import client
    from quarterdeck.store import Store

    table = Store().table_name
    for start in range(0, len(items), 25):
        keys = [
            {"DeleteRequest": {"Key": {"pk": {"S": f"TASK#{i['id']}"}, "sk": {"S": "META"}}}}
            for i in items[start : start + 25]
        ]
        client("dynamodb").batch_write_item(RequestItems={table: keys})


def test_a_full_completed_column_says_it_shows_only_the_most_recent(stack: LocalStack, page: Page) -> None:
    from quarterdeck.repositories.tasks import DynamoTaskRepository
    from quarterdeck.store import Store
    from quarterdeck.tasks import BOARD_COMPLETED, new_task_item

    admin = sign_in(stack, "admin@example.com")
    note = column(page, "completed").get_by_text(f"Showing the {BOARD_COMPLETED} most recent.")
    # Given the board as it is: the note shows only if the completed column came back full
    before = admin.get("/api/tasks").json()
    open_board_as_admin(page, stack)
    expect(note).to_have_count(1 if len(before["columns"]["completed"]) >= before["completed_limit"] else 0)

    # When more completed tasks exist than the board shows
    batch = uuid.uuid4().hex[:8]
    items = [
        new_task_item("seed@example.com", title=f"Done {batch} {n}", status="completed", entity="Bulk", owner="CFO")
        for n in range(BOARD_COMPLETED + 1)
    ]
    DynamoTaskRepository(Store()).add_many(items)
    try:
        page.reload()
        expect(page.locator(".board")).to_be_visible()
        # Then the completed column shows the limit's worth of cards, and a note under them says so
        done = column(page, "completed")
        expect(done.locator("li.task-card")).to_have_count(BOARD_COMPLETED)
        expect(note).to_be_visible()
        expect(done.locator(".board-cards + .board-limit")).to_have_count(1)
        # And the other columns carry no such note, and the page passes axe
        expect(page.locator(".board-limit")).to_have_count(1)
        done.scroll_into_view_if_needed()
        assert_accessible(page)
    finally:
        _delete(items)
