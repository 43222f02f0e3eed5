"""One card per action (issue 22): a report's action card is the same card every run that finds
the action again; a card moved to done comes back only when its condition returns, as the same
card reopened; an archived card stays off the board. Runs go through `run_reports` with a clock
(memory repositories, a fake mailer), or file synthetic reports with `file_action_items`."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from quarterdeck import tasks as board
from quarterdeck.config import get_settings
from quarterdeck.reports.actions import collapse_duplicate_cards, file_action_items, source_key
from quarterdeck.reports.dispatch import Collaborators, run_reports
from quarterdeck.reports.live import LiveFigures
from quarterdeck.reports.model import ActionItem, Report
from quarterdeck.reports.periods import week_of
from quarterdeck.reports.portfolio import load_portfolio_file
from tests.unit.fakes import FakeMailer, FixedClock
from tests.unit.memory.reports import MemoryReportRunRepository
from tests.unit.memory.tasks import MemoryTaskRepository

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "portfolio.example.toml"
MONDAY = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # 2026-W45; four Mondays in a row stay in November
KINDS = ["ceo", "cfo", "cmo", "accounting", "rental", "yacht_delivery", "client_portfolio"]  # no AWS reads


def live(now: datetime, today: date, detail: bool) -> LiveFigures:
    return LiveFigures(
        month=f"{today:%Y-%m}",
        sails_run=3,
        sails_planned=4,
        sails_cancelled=0,
        roles_total=20,
        roles_filled=18,
        guests_due=40,
        waivers_on_time=38,
        tasks_open=5,
        tasks_overdue=1,
    )


def weekly_run(tasks: MemoryTaskRepository, clock: FixedClock) -> None:
    settings = replace(get_settings(), archive_email="archive@example.com", owner_email="owner@example.com")
    using = Collaborators(
        runs=MemoryReportRunRepository(), tasks=tasks, live=live, mailer=FakeMailer(), clock=clock, settings=settings
    )
    summary = run_reports(KINDS, portfolio=load_portfolio_file(EXAMPLE), using=using)
    assert summary.ok, [(o.kind, o.reason) for o in summary.outcomes]


def cards(tasks: MemoryTaskRepository, *statuses: str) -> list[dict[str, Any]]:
    return [t for t in tasks.tasks.values() if not statuses or t["status"] in statuses]


def test_four_weekly_runs_over_the_same_data_leave_one_card_per_action() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    # Given a first weekly run
    weekly_run(tasks, clock)
    first = {t["source_key"]: t for t in cards(tasks)}
    assert first, "the reports found actions"
    # When three more weekly runs follow over the same data
    for _ in range(3):
        clock.now += timedelta(days=7)
        weekly_run(tasks, clock)
    # Then there is still exactly one card per action: the same cards, brought up to date
    after = cards(tasks)
    assert Counter(t["source_key"] for t in after) == Counter(set(first))
    assert all(t["status"] == "pending" for t in after)
    latest = week_of(clock.now.date()).label
    weekly = [t for t in after if t["source"]["period"].count("-W")]
    assert weekly and all(t["last_seen"] == latest for t in weekly)
    assert all(t["history"] == first[t["source_key"]]["history"] for t in after)  # no move was made
    # And the board lists each card once
    listed = board.list_board(tasks, clock=clock)
    ids = [t["id"] for column in listed.values() for t in column]
    assert len(ids) == len(set(ids)) == len(first)


def test_a_card_moved_to_done_stays_done_while_the_data_says_the_same() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    weekly_run(tasks, clock)
    # Given one card moved to done
    card = next(t for t in cards(tasks) if t["source"]["kind"] == "cfo")
    board.update_task(tasks, "owner@example.com", card["id"], version=1, changes={"status": "completed"}, clock=clock)
    # When the next weekly runs find the same condition (nothing went away in between)
    for _ in range(2):
        clock.now += timedelta(days=7)
        weekly_run(tasks, clock)
    # Then it stays done, untouched, and no second card for it appeared
    done = tasks.tasks[card["id"]]
    assert done["status"] == "completed" and done["version"] == 2
    assert sum(t["source_key"] == card["source_key"] for t in cards(tasks)) == 1


# --- the card's life, over synthetic reports -------------------------------------------------
def report(week: str, *titles: str, today: date = date(2026, 11, 2)) -> Report:
    from quarterdeck.reports.periods import parse_period

    actions = [ActionItem(title=t, owner="CFO", due=today + timedelta(days=7), section="Break-even") for t in titles]
    return Report(
        kind="cfo",
        title="CFO report",
        period=parse_period(week),
        today=today,
        generated_at=MONDAY,
        data={},
        actions=actions,
        found=actions,
    )


BOOK = "Book {} more charters this month to reach break-even (6)"
BURN = "Runway is {} months: cut burn"


def test_an_open_card_takes_the_new_evidence_and_keeps_its_deadline() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    filed = file_action_items(tasks, report("2026-W45", BOOK.format(4)), clock)
    (card_id,) = filed.created
    board.update_task(tasks, "cmo@example.com", card_id, version=1, changes={"status": "in_review"}, clock=clock)
    clock.now += timedelta(days=7)
    again = file_action_items(tasks, report("2026-W46", BOOK.format(2), today=date(2026, 11, 9)), clock)
    assert again.refreshed == [card_id] and again.created == []
    card = tasks.tasks[card_id]
    # (its deadline stays: it does not slide with the report date)
    assert card["title"] == BOOK.format(2) and card["due"] == "2026-11-09" and card["status"] == "in_review"
    assert card["source"]["period"] == card["last_seen"] == "2026-W46"
    # Filing the same report again changes nothing
    before = dict(card)
    assert file_action_items(tasks, report("2026-W46", BOOK.format(2), today=date(2026, 11, 9)), clock).left == [
        card_id
    ]
    assert tasks.tasks[card_id] == before


def test_a_done_card_comes_back_only_when_its_condition_returns_as_the_same_card_reopened() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    (book,) = file_action_items(tasks, report("2026-W45", BOOK.format(4)), clock).created
    board.update_task(tasks, "cfo@example.com", book, version=1, changes={"status": "completed"}, clock=clock)
    # W46 still finds it: it stays done
    assert file_action_items(tasks, report("2026-W46", BOOK.format(3), BURN.format(4.2)), clock).left == [book]
    # W47 does not find it (the charters were booked): nothing to do
    file_action_items(tasks, report("2026-W47", BURN.format(4.1)), clock)
    assert tasks.tasks[book]["status"] == "completed"
    # W48 finds it again: the same card, reopened, with a line in its history
    clock.now += timedelta(days=21)
    filed = file_action_items(tasks, report("2026-W48", BOOK.format(5), BURN.format(4.0)), clock)
    assert filed.reopened == [book] and filed.created == []
    card = board.get_task(tasks, book, clock=clock)
    assert card["status"] == "pending" and card["title"] == BOOK.format(5)
    last = card["history"][-1]
    assert (last["from"], last["to"], last["by"]) == ("completed", "pending", "reports")
    assert "2026-W48" in last["note"]
    assert sum(t["source"]["section"] == "Break-even" for t in cards(tasks)) == 2  # book + burn, once each


def test_a_rerun_of_an_earlier_week_neither_rewinds_nor_reopens() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    file_action_items(tasks, report("2026-W48", BURN.format(4.0)), clock)
    old = file_action_items(tasks, report("2026-W46", BURN.format(4.2), BOOK.format(3)), clock)
    assert len(old.created) == 1 and len(old.left) == 1
    assert next(t for t in cards(tasks) if t["title"].startswith("Runway"))["last_seen"] == "2026-W48"


def test_an_archived_card_leaves_the_board_keeps_its_history_and_is_not_refiled() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    (card_id,) = file_action_items(tasks, report("2026-W45", BURN.format(4.2)), clock).created
    archived = board.archive_task(tasks, "admin@example.com", card_id, clock=clock)
    assert archived["status"] == "archived" and archived["history"][-1]["to"] == "archived"
    assert board.archive_task(tasks, "admin@example.com", card_id, clock=clock)["version"] == archived["version"]
    listed = board.list_board(tasks, clock=clock)
    assert all(t["id"] != card_id for column in listed.values() for t in column)
    file_action_items(tasks, report("2026-W46", BURN.format(4.1)), clock)
    assert tasks.tasks[card_id]["status"] == "archived" and len(tasks.tasks) == 1


def test_archiving_a_missing_card_is_not_found() -> None:
    from quarterdeck.errors import TaskNotFoundError

    with pytest.raises(TaskNotFoundError):
        board.archive_task(MemoryTaskRepository(), "admin@example.com", "nosuch")


def test_the_identity_leaves_out_the_period_and_the_figures_but_not_ids() -> None:
    def key(title: str, k: str = "") -> str:
        return source_key("cto", ActionItem(title=title, owner="CTO", due=date(2026, 1, 1), section="Security", key=k))

    assert key("Apply the 3 cloud savings ($25.00 a month)") == key("Apply the 4 cloud savings ($31.50 a month)")
    assert key("Close S1: Stripe keys") != key("Close S2: Stripe keys")
    assert key("Update the stale notes: a", "stale notes") == key("Update the stale notes: a, b", "stale notes")


def test_the_weekly_copies_of_earlier_runs_collapse_into_one_card_per_action() -> None:
    tasks, clock = MemoryTaskRepository(), FixedClock(MONDAY)
    # Given the cards three weekly runs made before (one per period), one of them moved to done
    legacy = []
    for n, week in enumerate(("2026-W43", "2026-W44", "2026-W45")):
        for i, title in enumerate((BOOK.format(4 - n), BURN.format(4.2 - n / 10)), start=1):
            item = board.new_task_item(
                "reports",
                title=title,
                source={"kind": "cfo", "period": week, "section": "Break-even"},
                source_key=f"report:cfo:{week}:{i}",
                clock=clock,
            )
            item["updated_at"] = f"2026-10-{20 + n}T00:00:00+00:00"
            legacy.append(item)
    tasks.add_many(legacy)
    board.update_task(tasks, "a@x.com", legacy[0]["id"], version=1, changes={"status": "completed"}, clock=clock)
    # When the duplicates are collapsed (twice: the second time finds nothing to do)
    result = collapse_duplicate_cards(tasks, "migration", clock=clock)
    assert len(result.kept) == 2 and len(result.archived) == 6
    assert collapse_duplicate_cards(tasks, "migration", clock=clock).kept == []
    # Then the board holds one card per action, the latest copy's evidence, and the merge noted
    listed = board.list_board(tasks, clock=clock)
    shown = [t for column in listed.values() for t in column]
    assert len(shown) == 2
    assert {t["source"]["period"] for t in shown} == {"2026-W45"}
    assert all("merged" in t["history"][-1]["note"] for t in shown)
    # And the next run finds those same cards
    filed = file_action_items(tasks, report("2026-W46", BOOK.format(1), BURN.format(3.9)), clock)
    assert sorted(filed.refreshed) == sorted(t["id"] for t in shown) and filed.created == []


def test_the_cfo_report_says_each_thing_once_as_a_line_or_as_a_card() -> None:
    from quarterdeck.reports.kinds import Source, build_report
    from quarterdeck.reports.render import render_parts

    today = date(2026, 11, 23)
    cfo = build_report("cfo", Source(load_portfolio_file(EXAMPLE), MONDAY), week_of(today), today)
    text, _ = render_parts(cfo, "https://app.example")
    # The projects not to fund are the tier's lines, not also a card asking nothing
    assert "Do not deploy:" in text and "Second truck for QuickDumpNow" in text
    assert not any(a.title.startswith("Do not fund") for a in cfo.found)
    # And no action item is listed twice
    assert len({a.title for a in cfo.actions}) == len(cfo.actions)


def test_every_report_mail_has_the_reply_to_of_its_kind() -> None:
    from quarterdeck.mail import to_mime

    settings = replace(
        get_settings(),
        archive_email="archive@example.com",
        owner_email="owner@example.com",
        report_reply_to=(("cfo", "cfo@example.com"),),
    )
    mailer = FakeMailer()
    using = Collaborators(
        runs=MemoryReportRunRepository(),
        tasks=MemoryTaskRepository(),
        live=live,
        mailer=mailer,
        clock=FixedClock(MONDAY),
        settings=settings,
    )
    assert run_reports(["cfo", "ceo"], portfolio=load_portfolio_file(EXAMPLE), using=using).ok
    replies = {m.kind: m.reply_to for m in mailer.sent}
    assert replies == {"report_cfo": ("cfo@example.com",), "report_ceo": ("owner@example.com",)}
    cfo = next(m for m in mailer.sent if m.kind == "report_cfo")
    assert b"Reply-To: cfo@example.com" in to_mime(cfo, "no-reply@example.com")
    assert replace(settings, report_reply_to=(("*", "desk@example.com"),)).reply_to_for("cto") == "desk@example.com"


def test_the_reply_to_setting_is_read_from_the_environment() -> None:
    from quarterdeck.config import settings_from_env

    read = settings_from_env({"REPORT_REPLY_TO": " cfo = cfo@example.com , *=desk@example.com,broken"})
    assert read.report_reply_to == (("cfo", "cfo@example.com"), ("*", "desk@example.com"))
    assert settings_from_env({"OWNER_EMAIL": "o@example.com"}).reply_to_for("cmo") == "o@example.com"
