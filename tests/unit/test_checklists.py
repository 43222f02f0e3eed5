"""Checklists without a database: ticking, adding, renaming and removing items of a sail's two
lists, over the in-memory ChecklistRepository (tests/unit/memory/checklists.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quarterdeck import checklists
from quarterdeck.errors import ChecklistItemNotFoundError, ConflictError, InvalidInputError, SailCancelledError
from tests.unit.fakes import FixedClock
from tests.unit.memory.checklists import MemoryChecklistRepository

SAIL = "s1"
CAPTAIN = "cap@example.com"
ADMIN = "admin@example.com"
LABELS = {"departure": ["Life jackets", "VHF check", "Fuel"], "return": ["Lines coiled"]}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 21, 18, 0, tzinfo=UTC))


@pytest.fixture
def repo() -> MemoryChecklistRepository:
    repo = MemoryChecklistRepository()
    repo.add_sail(SAIL, LABELS)
    return repo


def actions(repo: MemoryChecklistRepository) -> list[tuple[str, str, dict[str, object]]]:
    return [(e.actor, e.action, e.detail) for e in repo.history]


# --- ticking --------------------------------------------------------------------------------


def test_a_tick_records_who_and_when_with_its_history(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given a scheduled sail whose departure item 2 is open
    # When the captain ticks it
    view = checklists.set_item_done(repo, CAPTAIN, SAIL, "departure", "2", True, clock=clock)
    # Then the item says who ticked it and when, and the history says so too
    assert view == {
        "n": 2,
        "label": "VHF check",
        "done": True,
        "done_by": CAPTAIN,
        "done_at": "2026-06-21T18:00:00+00:00",
    }
    assert actions(repo) == [(CAPTAIN, "checklist_ticked", {"list": "departure", "n": 2})]


def test_an_untick_forgets_who_and_when(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given a ticked item
    checklists.set_item_done(repo, CAPTAIN, SAIL, "departure", 1, True, clock=clock)
    # When someone unticks it
    clock.tick()
    view = checklists.set_item_done(repo, ADMIN, SAIL, "departure", 1, False, clock=clock)
    # Then it is open again, with no one named, and both changes are in the history
    assert view == {"n": 1, "label": "Life jackets", "done": False}
    assert [a for _, a, _ in actions(repo)] == ["checklist_ticked", "checklist_unticked"]


def test_ticking_twice_is_harmless(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given a tick queued offline and sent twice
    first = checklists.set_item_done(repo, CAPTAIN, SAIL, "return", 1, True, clock=clock)
    second = checklists.set_item_done(repo, CAPTAIN, SAIL, "return", 1, True, clock=clock)
    # Then the item is simply ticked
    assert first == second and second["done"] is True


@pytest.mark.parametrize(
    ("checklist", "n", "field"),
    [
        ("arrival", 1, "list"),
        ("", 1, "list"),
        ("departure", "one", "n"),
        ("departure", 0, "n"),
        ("departure", 100, "n"),
    ],
)
def test_the_list_and_the_number_are_checked_first(
    repo: MemoryChecklistRepository, clock: FixedClock, checklist: str, n: object, field: str
) -> None:
    # When a tick names no list of ours, or no number from 1 to 99
    with pytest.raises(InvalidInputError) as refused:
        checklists.set_item_done(repo, CAPTAIN, SAIL, checklist, n, True, clock=clock)
    # Then it is refused naming the field, and nothing is written
    assert refused.value.field == field and repo.history == []


def test_a_missing_item_is_not_found(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # When someone ticks an item the list does not have
    with pytest.raises(ChecklistItemNotFoundError, match="no departure item 9 on this sail"):
        checklists.set_item_done(repo, CAPTAIN, SAIL, "departure", 9, True, clock=clock)
    # Then nothing is recorded
    assert repo.history == []


def test_a_cancelled_sails_checklists_are_closed(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given the sail was cancelled
    repo.sails[SAIL] = "cancelled"
    # When anyone ticks, adds, renames or removes an item
    # Then each is refused as a conflict, and nothing changes
    with pytest.raises(SailCancelledError):
        checklists.set_item_done(repo, CAPTAIN, SAIL, "departure", 1, True, clock=clock)
    with pytest.raises(SailCancelledError):
        checklists.add_item(repo, ADMIN, SAIL, "departure", "Flares", clock=clock)
    with pytest.raises(SailCancelledError):
        checklists.rename_item(repo, ADMIN, SAIL, "departure", 1, "PFDs", clock=clock)
    with pytest.raises(SailCancelledError):
        checklists.remove_item(repo, ADMIN, SAIL, "departure", 1, clock=clock)
    assert repo.history == [] and repo.item_numbers(SAIL, "departure") == [1, 2, 3]


# --- an admin's edits -------------------------------------------------------------------------


def test_an_added_item_comes_after_the_last_one(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given the departure list's item 2 was removed
    checklists.remove_item(repo, ADMIN, SAIL, "departure", 2, clock=clock)
    # When an admin adds an item, its label with stray spaces
    view = checklists.add_item(repo, ADMIN, SAIL, "departure", "  Flares  ", clock=clock)
    # Then it is number 4 (numbers are never reused while a later one exists), unticked, trimmed
    assert view == {"n": 4, "label": "Flares", "done": False}
    assert repo.item_numbers(SAIL, "departure") == [1, 3, 4]
    assert actions(repo)[-1] == (ADMIN, "checklist_item_added", {"list": "departure", "n": 4, "label": "Flares"})


def test_an_empty_label_is_refused(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    with pytest.raises(InvalidInputError) as refused:
        checklists.add_item(repo, ADMIN, SAIL, "return", "   ", clock=clock)
    assert refused.value.field == "label"


def test_a_list_holds_at_most_forty_items(clock: FixedClock) -> None:
    # Given a return list of 40 items
    repo = MemoryChecklistRepository()
    repo.add_sail(SAIL, {"return": [f"Item {n}" for n in range(1, checklists.MAX_ITEMS + 1)]})
    # When an admin adds one more
    with pytest.raises(InvalidInputError, match="at most 40"):
        checklists.add_item(repo, ADMIN, SAIL, "return", "One too many", clock=clock)
    # Then nothing is added
    assert len(repo.item_numbers(SAIL, "return")) == checklists.MAX_ITEMS


def test_a_list_runs_out_of_numbers_at_99(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given a list whose last item is number 99
    repo.items[(SAIL, "return", 99)] = {"type": "check", "list": "return", "n": 99, "label": "Last", "done": False}
    # When an admin adds an item
    with pytest.raises(InvalidInputError, match="run out of item numbers"):
        checklists.add_item(repo, ADMIN, SAIL, "return", "Beyond", clock=clock)


def test_two_admins_adding_at_once_one_is_told_to_retry(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given another admin takes number 4 between our read of the numbers and our write
    repo.taken_meanwhile.add((SAIL, "departure", 4))
    # When we add an item
    with pytest.raises(ConflictError, match="at the same time"):
        checklists.add_item(repo, ADMIN, SAIL, "departure", "Flares", clock=clock)


def test_a_renamed_item_keeps_its_tick(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given a ticked item
    checklists.set_item_done(repo, CAPTAIN, SAIL, "departure", 3, True, clock=clock)
    # When an admin renames it
    view = checklists.rename_item(repo, ADMIN, SAIL, "departure", 3, "Fuel and water", clock=clock)
    # Then the label changes, the tick stays, and the history names the new label
    assert view["label"] == "Fuel and water" and view["done"] is True and view["done_by"] == CAPTAIN
    assert actions(repo)[-1] == (
        ADMIN,
        "checklist_item_renamed",
        {"list": "departure", "n": 3, "label": "Fuel and water"},
    )


def test_renaming_or_removing_a_missing_item_is_not_found(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    with pytest.raises(ChecklistItemNotFoundError):
        checklists.rename_item(repo, ADMIN, SAIL, "return", 5, "Nothing", clock=clock)
    with pytest.raises(ChecklistItemNotFoundError):
        checklists.remove_item(repo, ADMIN, SAIL, "return", 5, clock=clock)
    assert repo.history == []


def test_a_removed_item_is_gone_from_the_view(repo: MemoryChecklistRepository, clock: FixedClock) -> None:
    # Given the return list's only item
    # When an admin removes it
    checklists.remove_item(repo, ADMIN, SAIL, "return", 1, clock=clock)
    # Then the sail's view of its checklists shows an empty return list
    shaped = checklists.checklists_view(list(repo.items.values()))
    assert shaped["return"]["items"] == [] and shaped["return"]["total"] == 0
    assert shaped["departure"]["total"] == 3 and shaped["departure"]["done"] == 0
    assert actions(repo) == [(ADMIN, "checklist_item_removed", {"list": "return", "n": 1})]


def test_a_new_sail_gets_the_templates_numbered_from_one() -> None:
    # Given the templates shipped in the layer
    labels = checklists.template_labels()
    # When a new sail's items are made
    items = checklists.new_checklist_items("s9")
    # Then each list's labels are there, in order, numbered from 1 and unticked
    for name in checklists.LISTS:
        mine = [i for i in items if i["list"] == name]
        assert [i["label"] for i in mine] == labels[name]
        assert [i["n"] for i in mine] == list(range(1, len(labels[name]) + 1))
        assert not any(i["done"] for i in mine)
