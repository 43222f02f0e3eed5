"""Issue 21: each sail's guest capacity and meeting point (set on create and edit, defaults from
settings), its seats taken / left, and the capacity the guests' adds are held to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from quarterdeck import guests
from quarterdeck.auth import Caller
from quarterdeck.config import Settings
from quarterdeck.errors import ConflictError, InvalidInputError, SailFullError
from quarterdeck.sails import create_sail, get_sail, list_sails, update_sail
from tests.unit.fakes import FakeMailer
from tests.unit.memory.guests import MemoryGuestRepository
from tests.unit.memory.sails import MemorySailRepository

SETTINGS = Settings(guest_capacity=6, meeting_point="Marina office, guest dock")
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ADMIN = Caller(email="admin@example.com", role="admin", jti="a", expires=0)
GUEST = Caller(email="gina@example.com", role="guest", jti="g", expires=0, sail_id="s1", guest_id="g1")


def _create(sails: MemorySailRepository, **fields: Any) -> dict[str, Any]:
    return create_sail(
        sails, ADMIN.email, date="2026-12-21", title="Solstice", clock=lambda: NOW, new_id=lambda: "s1",
        settings=SETTINGS, **fields,
    )  # fmt: skip


def test_a_new_sail_takes_its_capacity_and_meeting_point_from_settings() -> None:
    # When an admin creates a sail saying neither
    created = _create(MemorySailRepository())
    # Then it has the settings' capacity and meeting point, all seats left
    assert created["guest_capacity"] == 6 and created["meeting_point"] == "Marina office, guest dock"
    assert (created["seats_taken"], created["seats_left"]) == (0, 6)


def test_a_new_sail_keeps_its_own_capacity_and_meeting_point() -> None:
    sails = MemorySailRepository()
    created = _create(sails, guest_capacity="12", meeting_point="  Dock C,   slip 14 ")
    assert (created["guest_capacity"], created["meeting_point"]) == (12, "Dock C, slip 14")
    # And the list and a guest's page show them (a guest's page: the meeting point with the times)
    [listed] = list_sails(sails, datetime(2026, 12, 1).date(), datetime(2026, 12, 31).date(), settings=SETTINGS)
    assert (listed["guest_capacity"], listed["seats_left"], listed["meeting_point"]) == (12, 12, "Dock C, slip 14")
    assert get_sail(sails, "s1", GUEST, SETTINGS)["meeting_point"] == "Dock C, slip 14"


@pytest.mark.parametrize("value", [0, 50, -1, "many", 2.5, True, "", [3]])
def test_a_capacity_is_1_to_49(value: object) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _create(MemorySailRepository(), guest_capacity=value)
    assert refused.value.field == "guest_capacity"


@pytest.mark.parametrize("value", ["x" * 201, "Dock C\nslip 14", 7])
def test_a_meeting_point_is_one_line_of_at_most_200(value: object) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _create(MemorySailRepository(), meeting_point=value)
    assert refused.value.field == "meeting_point"


def test_an_edit_changes_capacity_and_meeting_point_with_history() -> None:
    sails = MemorySailRepository()
    _create(sails)
    edited = update_sail(
        sails, ADMIN.email, "s1", {"guest_capacity": 10, "meeting_point": "Dock B"}, clock=lambda: NOW,
        settings=SETTINGS,
    )  # fmt: skip
    assert (edited["guest_capacity"], edited["seats_left"], edited["meeting_point"]) == (10, 10, "Dock B")
    history = get_sail(sails, "s1", ADMIN, SETTINGS)["history"]
    assert history[-1]["detail"]["guest_capacity"] == {"from": 6, "to": 10}


def test_capacity_cannot_go_below_the_seats_taken() -> None:
    # Given a sail with 4 seats taken
    sails = MemorySailRepository()
    _create(sails)
    sails.metas["s1"]["guest_count"] = 4
    # When an admin lowers its capacity to 3, it is refused naming the seats taken
    with pytest.raises(ConflictError) as refused:
        update_sail(sails, ADMIN.email, "s1", {"guest_capacity": 3}, clock=lambda: NOW, settings=SETTINGS)
    assert refused.value.field == "guest_capacity" and "4 guest seats are taken" in refused.value.message
    # (4 is fine)
    assert (
        update_sail(sails, ADMIN.email, "s1", {"guest_capacity": 4}, clock=lambda: NOW, settings=SETTINGS)["seats_left"]
        == 0
    )


def test_capacity_lowered_by_a_race_is_caught_by_the_write() -> None:
    # Given a sail whose guests take 4 seats after the admin's page read 0
    sails = MemorySailRepository()
    _create(sails)
    sails.before_next["edit_sail"] = lambda: sails.metas["s1"].update(guest_count=4)
    with pytest.raises(ConflictError) as refused:
        update_sail(sails, ADMIN.email, "s1", {"guest_capacity": 2}, clock=lambda: NOW, settings=SETTINGS)
    assert refused.value.code == "capacity_below_taken"


def _guest_sail(repo: MemoryGuestRepository, **fields: Any) -> None:
    repo.put_sail(
        {
            "id": "s1", "title": "Sunset", "date": "2026-12-05", "status": "scheduled", "guest_count": 0,
            "departure": "2026-12-05T16:30:00-08:00", "return": "2026-12-05T19:00:00-08:00",
            "sunset": "2026-12-05T16:44:00-08:00", **fields,
        }
    )  # fmt: skip


def _add(repo: MemoryGuestRepository, email: str, size: int = 1) -> dict[str, Any]:
    return guests.add_guest(
        repo, FakeMailer(), ADMIN.email, "s1", name="Ada", email=email, party_size=size, settings=SETTINGS,
        clock=lambda: NOW,
    )  # fmt: skip


def test_adds_are_held_to_the_sails_own_capacity_naming_the_seats_left() -> None:
    # Given a sail of 3 seats (the settings say 6)
    repo = MemoryGuestRepository()
    _guest_sail(repo, guest_capacity=3)
    _add(repo, "a@example.com", 2)
    # When a party of 2 more is added, it is refused: one seat left
    with pytest.raises(SailFullError) as refused:
        _add(repo, "b@example.com", 2)
    assert "room for 1 more" in refused.value.message
    _add(repo, "c@example.com", 1)
    assert repo.sails["s1"]["guest_count"] == 3


def test_an_add_that_read_an_old_capacity_is_refused_honestly() -> None:
    # Given a sail whose capacity an admin raised from 3 to 8 after the add read it
    repo = MemoryGuestRepository()
    _guest_sail(repo, guest_capacity=3, guest_count=3)
    real_read = repo.read

    def read_then_raise(*args: Any, **kwargs: Any) -> Any:
        found = real_read(*args, **kwargs)
        repo.sails["s1"]["guest_capacity"] = 8
        return found

    repo.read = read_then_raise  # type: ignore[method-assign]
    with pytest.raises(ConflictError) as refused:
        _add(repo, "d@example.com", 1)
    assert refused.value.code == "capacity_changed"
