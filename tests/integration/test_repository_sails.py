"""The sail repository's contract: the same scenarios against DynamoDB (moto, the table built
from template.yaml) and against the in-memory one the unit tests use, so the fake cannot drift.

Every protocol method, and every condition a change can lose mapped to its domain error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from quarterdeck import keys
from quarterdeck.checklists import SailCancelledError
from quarterdeck.errors import (
    ConflictError,
    RoleStateError,
    SlotChangedError,
    StaleVersionError,
)
from quarterdeck.magic_codes import Purpose, hash_code
from quarterdeck.people import ensure_person
from quarterdeck.repositories import Item
from quarterdeck.repositories.people import DynamoPeopleRepository
from quarterdeck.repositories.sails import Change, DynamoSailRepository, SailRepository, confirmed_of, holders_of
from quarterdeck.repositories.sign_in import new_code
from quarterdeck.store import Store, TransactionCanceledError
from tests.unit.memory.sails import MemorySailRepository

AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
ADMIN = "admin@example.com"


@pytest.fixture(params=["dynamo", "memory"])
def repo(request: pytest.FixtureRequest) -> Iterator[SailRepository]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")
        yield DynamoSailRepository(Store())
    else:
        yield MemorySailRepository()


def unique(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def change(action: str, **detail: Any) -> Change:
    return Change(ADMIN, action, AT, detail or None)


def new_meta(sail_id: str, day: str, slots: int = 2) -> Item:
    return {
        "id": sail_id,
        "title": "Contract sail",
        "notes": "",
        "status": "scheduled",
        "crew_slots": slots,
        "guest_count": 0,
        "created_by": ADMIN,
        "created_at": AT.isoformat(),
        "updated_at": AT.isoformat(),
        "version": 1,
        "date": day,
        "departure": f"{day}T19:30:00-07:00",
        "return": f"{day}T22:00:00-07:00",
    }


def slot_list(slots: int) -> list[str]:
    return ["captain", *(f"crew-{n}" for n in range(1, slots + 1))]


def given_sail(repo: SailRepository, *, day: str = "2041-06-21", slots: int = 2) -> str:
    sail_id = unique()
    repo.add_sail(new_meta(sail_id, day, slots), slot_list(slots), change("sail_created", date=day))
    return sail_id


def given_person(repo: SailRepository, email: str) -> None:
    if isinstance(repo, MemorySailRepository):
        repo.add_person(email)
    else:
        ensure_person(Store(), email, "crew")


def given_item(repo: SailRepository, sail_id: str, item: Item) -> None:
    """Another area's item in the sail's partition (a guest, a waiver signature)."""
    if isinstance(repo, MemorySailRepository):
        repo.add_item(sail_id, item)
    else:
        Store().put(item)


def person(repo: SailRepository, email: str) -> Item | None:
    """The person record a designation made (the people repository's item)."""
    if isinstance(repo, MemorySailRepository):
        return repo.people.get(email.lower())
    return DynamoPeopleRepository(Store()).person(email)


def role(repo: SailRepository, sail_id: str, slot: str) -> Item:
    return repo.current_role(sail_id, slot)


def markers(repo: SailRepository, sail_id: str) -> dict[str, str]:
    return {str(i["email"]): str(i["slot"]) for i in repo.sail_items(sail_id) if i.get("type") == "holder"}


def cancelled(repo: SailRepository, sail_id: str) -> None:
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None
    repo.cancel_sail(sail_id, {"status": "cancelled"}, version=int(meta["version"]), change=change("sail_cancelled"))


# --- sails ------------------------------------------------------------------------------
def test_a_new_sail_is_read_back_without_keys_its_history_only_when_asked(repo: SailRepository) -> None:
    # Given a sail added with two crew slots, and a guest and a waiver of another area
    sail_id = given_sail(repo)
    pk = keys.sail_partition(sail_id)
    given_item(repo, sail_id, {"pk": pk, "sk": "GUEST#g1", "type": "guest", "id": "g1", "name": "Gina"})
    given_item(repo, sail_id, {"pk": pk, "sk": "WAIVER#g1", "type": "waiver", "guest_id": "g1"})
    # When its META and its partition are read
    meta = repo.sail_meta(sail_id)
    items = repo.sail_items(sail_id)
    # Then META is the sail, without keys, and the partition's head has roles, checks and the guest
    assert meta is not None and meta["id"] == sail_id and meta["type"] == "sail" and meta["version"] == 1
    assert not {"pk", "sk", "gsi1pk", "gsi1sk"} & {name for item in items for name in item}
    kinds = [item["type"] for item in items]
    assert sorted(i["slot"] for i in items if i["type"] == "role") == ["captain", "crew-1", "crew-2"]
    assert kinds.count("sail") == 1 and "check" in kinds and "guest" in kinds
    assert "history" not in kinds and "waiver" not in kinds
    # And with its history: the waiver, and the history entry last
    full = repo.sail_items(sail_id, with_history=True)
    assert "waiver" in [i["type"] for i in full]
    assert full[-1] == {
        "type": "history",
        "at": AT.isoformat(),
        "actor": ADMIN,
        "action": "sail_created",
        "detail": {"date": "2041-06-21"},
    }


def test_an_unknown_sail_reads_as_nothing(repo: SailRepository) -> None:
    assert repo.sail_meta("nosuch") is None
    assert repo.sail_items("nosuch") == [] and repo.sail_items("nosuch", with_history=True) == []


def test_a_sail_id_is_taken_once(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    meta = repo.sail_meta(sail_id)
    assert meta is not None
    with pytest.raises(TransactionCanceledError):
        repo.add_sail(meta, ["captain"], change("sail_created"))


def test_a_series_of_sails_is_added_whole(repo: SailRepository) -> None:
    # Given eight weekly sails of one series (more than one transaction's worth of actions)
    days = [(date(2043, 1, 2) + timedelta(weeks=week)).isoformat() for week in range(8)]
    metas = [{**new_meta(unique(), day), "series_id": "series-1"} for day in days]
    series = [(meta, slot_list(2), change("sail_created")) for meta in metas]
    # When they are added
    repo.add_sails(series)
    # Then each is there with its slots, checklists and history, and the series id
    for meta, _, _ in series:
        items = repo.sail_items(str(meta["id"]), with_history=True)
        assert next(i for i in items if i["type"] == "sail")["series_id"] == "series-1"
        assert sorted(i["slot"] for i in items if i["type"] == "role") == ["captain", "crew-1", "crew-2"]
        assert [i["action"] for i in items if i["type"] == "history"] == ["sail_created"]


def test_a_series_with_one_sail_that_cannot_be_written_leaves_none(repo: SailRepository) -> None:
    # Given a sail that exists already
    taken = given_sail(repo, day="2043-03-01")
    # When a series of eight is added whose last sail has that sail's id
    days = [(date(2043, 3, 6) + timedelta(weeks=week)).isoformat() for week in range(8)]
    series = [(new_meta(unique(), day), slot_list(2), change("sail_created")) for day in days]
    series[-1] = (new_meta(taken, days[-1]), slot_list(2), change("sail_created"))
    with pytest.raises(TransactionCanceledError):
        repo.add_sails(series)
    # Then none of the others stays, and the existing sail is untouched
    for meta, _, _ in series[:-1]:
        assert repo.sail_meta(str(meta["id"]), consistent=True) is None
        assert repo.sail_items(str(meta["id"]), with_history=True) == []
    kept = repo.sail_meta(taken, consistent=True)
    assert kept is not None and kept["date"] == "2043-03-01"


def test_an_edit_removes_the_fields_set_to_none(repo: SailRepository) -> None:
    # Given a fixed-time sail
    sail_id = given_sail(repo)
    repo.edit_sail(sail_id, {"start": "14:00", "duration_minutes": 180}, version=1, change=change("sail_edited"))
    # When it goes back to the sunset (start and duration None)
    repo.edit_sail(sail_id, {"start": None, "duration_minutes": None}, version=2, change=change("sail_edited"))
    # Then META keeps neither
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None and "start" not in meta and "duration_minutes" not in meta and meta["version"] == 3


def test_sails_between_two_days_both_included(repo: SailRepository) -> None:
    # Given sails on the 9th, 10th, 12th and 13th of a month
    ids = {day: given_sail(repo, day=f"2042-03-{day:02d}", slots=0) for day in (9, 10, 12, 13)}
    # When the 10th to the 12th are listed
    found = {str(meta["id"]) for meta in repo.sails_between(date(2042, 3, 10), date(2042, 3, 12))}
    # Then the 10th and the 12th are there, not the 9th nor the 13th
    assert {ids[10], ids[12]} <= found and not {ids[9], ids[13]} & found


def test_an_edit_sets_fields_and_slots_at_the_version_read(repo: SailRepository) -> None:
    # Given a sail at version 1 with crew-1 and crew-2
    sail_id = given_sail(repo)
    # When it is renamed, moved a day, and crew-2 traded for crew-3 at version 1
    moved = {"title": "Renamed", "date": "2041-06-22", "departure": "2041-06-22T19:31:00-07:00"}
    repo.edit_sail(
        sail_id, moved, version=1, change=change("sail_rescheduled"), add_slots=["crew-3"], remove_slots=["crew-2"]
    )
    # Then META has them at version 2, the slots changed, and the new date lists it
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None and (meta["title"], meta["date"], meta["version"]) == ("Renamed", "2041-06-22", 2)
    assert meta["updated_at"] == AT.isoformat()
    assert sorted(i["slot"] for i in repo.sail_items(sail_id) if i["type"] == "role") == ["captain", "crew-1", "crew-3"]
    assert sail_id in {m["id"] for m in repo.sails_between(date(2041, 6, 22), date(2041, 6, 22))}
    assert sail_id not in {m["id"] for m in repo.sails_between(date(2041, 6, 21), date(2041, 6, 21))}
    # And an edit at the old version is stale
    with pytest.raises(StaleVersionError) as stale:
        repo.edit_sail(sail_id, {"title": "Late"}, version=1, change=change("sail_edited"))
    assert stale.value.field == "version"


def test_an_edit_of_a_cancelled_sail_says_so(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    cancelled(repo, sail_id)
    with pytest.raises(SailCancelledError):
        repo.edit_sail(sail_id, {"title": "Late"}, version=2, change=change("sail_edited"))


def test_an_edit_cannot_remove_a_slot_someone_holds(repo: SailRepository) -> None:
    # Given crew-2 was claimed after the edit's read
    sail_id = given_sail(repo)
    repo.claim_slot(sail_id, "crew-2", "ann@example.com", change("role_claimed"))
    # When the edit removes crew-2, Then it is refused and nothing changed
    with pytest.raises(RoleStateError) as refused:
        repo.edit_sail(sail_id, {"crew_slots": 1}, version=1, change=change("sail_edited"), remove_slots=["crew-2"])
    assert refused.value.field == "crew_slots" and not isinstance(refused.value, StaleVersionError)
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None and meta["version"] == 1 and role(repo, sail_id, "crew-2")["holder"] == "ann@example.com"


def given_seats_taken(repo: SailRepository, sail_id: str, taken: int) -> None:
    """Guests took `taken` seats (the guests' adds raise `guest_count`, never the version)."""
    if isinstance(repo, MemorySailRepository):
        repo.metas[sail_id]["guest_count"] = taken
    else:
        Store().update(*keys.sail(sail_id), "SET guest_count = :n", values={":n": taken})


def test_a_new_capacity_holds_only_while_the_seats_taken_fit(repo: SailRepository) -> None:
    # Given a sail whose guests took 4 seats after the edit read it (version 1 still)
    sail_id = given_sail(repo)
    given_seats_taken(repo, sail_id, 4)
    # When the capacity is set to 3 with at most 3 seats taken, Then it is refused naming the 4
    with pytest.raises(ConflictError) as refused:
        repo.edit_sail(sail_id, {"guest_capacity": 3}, version=1, change=change("sail_edited"), seats_at_most=3)
    assert refused.value.code == "capacity_below_taken" and refused.value.field == "guest_capacity"
    assert "4 guest seats" in refused.value.message
    # And 4 holds, with its meeting point
    sets = {"guest_capacity": 4, "meeting_point": "Dock C"}
    repo.edit_sail(sail_id, sets, version=1, change=change("sail_edited"), seats_at_most=4)
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None and (meta["guest_capacity"], meta["meeting_point"], meta["version"]) == (4, "Dock C", 2)
    # And a stale version is still stale, whatever the seats
    with pytest.raises(StaleVersionError):
        repo.edit_sail(sail_id, {"guest_capacity": 2}, version=1, change=change("sail_edited"), seats_at_most=2)


def test_a_cancellation_holds_at_the_version_read_only(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    with pytest.raises(StaleVersionError):
        repo.cancel_sail(sail_id, {"status": "cancelled"}, version=7, change=change("sail_cancelled"))
    repo.cancel_sail(sail_id, {"status": "cancelled", "cancel_reason": "Fog"}, version=1, change=change("x"))
    meta = repo.sail_meta(sail_id, consistent=True)
    assert meta is not None and (meta["status"], meta["cancel_reason"], meta["version"]) == ("cancelled", "Fog", 2)


# --- roles ------------------------------------------------------------------------------
def test_a_slot_is_read_with_its_sail(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    found = repo.read_slot(sail_id, "crew-1", invite_link=f"invite:{sail_id}:crew-1:x@example.com")
    assert found.meta is not None and found.meta["id"] == sail_id
    assert found.role == {"type": "role", "slot": "crew-1", "state": "open"} and found.pointer is None
    missing = repo.read_slot(sail_id, "crew-7")
    assert missing.role is None and repo.current_role(sail_id, "crew-7") == {"slot": "crew-7", "state": "open"}
    assert repo.read_slot("nosuch", "captain").meta is None


def test_a_claim_makes_a_holder_and_a_second_one_loses(repo: SailRepository) -> None:
    # Given Ann claimed crew-1
    sail_id = given_sail(repo)
    repo.claim_slot(sail_id, "crew-1", "ann@example.com", change("role_claimed", slot="crew-1"))
    # Then the slot, its marker and META's holders say so
    assert role(repo, sail_id, "crew-1") == {
        "type": "role",
        "slot": "crew-1",
        "state": "claimed",
        "holder": "ann@example.com",
        "claimed_at": AT.isoformat(),
    }
    assert markers(repo, sail_id) == {"ann@example.com": "crew-1"}
    meta = repo.sail_meta(sail_id)
    assert meta is not None and holders_of(meta) == {"ann@example.com": "crew-1"}
    # When Bob claims the same slot, Then he is told how it is now
    with pytest.raises(SlotChangedError) as lost:
        repo.claim_slot(sail_id, "crew-1", "bob@example.com", change("role_claimed"))
    assert lost.value.current["holder"] == "ann@example.com"
    # When Ann claims a second slot, Then she is told which one she holds
    with pytest.raises(RoleStateError) as holding:
        repo.claim_slot(sail_id, "crew-2", "ann@example.com", change("role_claimed"))
    assert holding.value.code == "already_holding" and "already holds crew-1" in holding.value.message
    assert role(repo, sail_id, "crew-2")["state"] == "open"


def test_no_role_changes_on_a_cancelled_sail(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    cancelled(repo, sail_id)
    for attempt in (
        lambda: repo.claim_slot(sail_id, "crew-1", "ann@example.com", change("role_claimed")),
        lambda: repo.designate_slot(
            sail_id, "crew-1", "ann@example.com", was="open", person_role="crew", change=change("role_designated")
        ),
        lambda: repo.offer_slot(
            sail_id,
            "crew-1",
            "ann@example.com",
            invited={"ann@example.com": "t"},
            change=change("role_invited"),
            code_writes=[],
        ),
    ):
        with pytest.raises(ConflictError) as refused:
            attempt()
        assert refused.value.code == "sail_cancelled"
    assert role(repo, sail_id, "crew-1")["state"] == "open" and markers(repo, sail_id) == {}


def test_a_release_frees_the_slot_for_its_holder_only(repo: SailRepository) -> None:
    sail_id = given_sail(repo)
    repo.claim_slot(sail_id, "crew-1", "ann@example.com", change("role_claimed"))
    with pytest.raises(SlotChangedError):
        repo.release_slot(sail_id, "crew-1", state="claimed", holder="bob@example.com", change=change("role_released"))
    repo.release_slot(sail_id, "crew-1", state="claimed", holder="ann@example.com", change=change("role_released"))
    assert role(repo, sail_id, "crew-1") == {"type": "role", "slot": "crew-1", "state": "open"}
    meta = repo.sail_meta(sail_id)
    assert markers(repo, sail_id) == {} and meta is not None and holders_of(meta) == {}
    actions = [i["action"] for i in repo.sail_items(sail_id, with_history=True) if i["type"] == "history"]
    assert actions.count("role_released") == 1


def test_slots_held_on_several_sails_are_released_together_or_not_at_all(repo: SailRepository) -> None:
    # Given Ann holding crew-1 on one sail and, confirmed, crew-2 on another
    first, second = given_sail(repo), given_sail(repo)
    repo.claim_slot(first, "crew-1", "ann@example.com", change("role_claimed"))
    repo.designate_slot(
        second, "crew-2", "ann@example.com", was="open", person_role="crew", change=change("role_designated")
    )
    both = [
        (first, "crew-1", "claimed", change("role_released", slot="crew-1")),
        (second, "crew-2", "designated", change("role_released", slot="crew-2")),
    ]
    # When the releases name one slot in a state it is not in
    with pytest.raises(SlotChangedError):
        repo.release_slots("ann@example.com", [both[0], (second, "crew-2", "claimed", both[1][3])])
    # Then neither slot was opened
    assert role(repo, first, "crew-1")["state"] == "claimed" and role(repo, second, "crew-2")["state"] == "designated"
    # When both are released as they are
    repo.release_slots("ann@example.com", both)
    # Then both are open, their markers and META's holders gone, each sail's history saying so
    for sail_id, slot in ((first, "crew-1"), (second, "crew-2")):
        assert role(repo, sail_id, slot) == {"type": "role", "slot": slot, "state": "open"}
        meta = repo.sail_meta(sail_id, consistent=True) or {}
        assert markers(repo, sail_id) == {} and holders_of(meta) == {} and confirmed_of(meta) == {}
        actions = [i["action"] for i in repo.sail_items(sail_id, with_history=True) if i["type"] == "history"]
        assert actions.count("role_released") == 1


def test_designating_confirms_a_claim_or_assigns_an_open_slot(repo: SailRepository) -> None:
    # Given Ann claimed crew-1 (not confirmed yet: the calendar's TENTATIVE)
    sail_id = given_sail(repo)
    skipper = f"{unique('skipper')}@example.com"
    repo.claim_slot(sail_id, "crew-1", "ann@example.com", change("role_claimed"))
    assert confirmed_of(repo.sail_meta(sail_id, consistent=True) or {}) == {}
    # When an admin confirms Ann, and designates a new person captain
    repo.designate_slot(
        sail_id, "crew-1", "ann@example.com", was="claimed", person_role="crew", change=change("role_designated")
    )
    repo.designate_slot(sail_id, "captain", skipper, was="open", person_role="crew", change=change("role_designated"))
    # Then both are designated, both hold a marker, and the new person has a record
    assert role(repo, sail_id, "crew-1")["state"] == "designated"
    assert "claimed_at" not in role(repo, sail_id, "captain")
    assert markers(repo, sail_id) == {"ann@example.com": "crew-1", skipper: "captain"}
    meta = repo.sail_meta(sail_id, consistent=True) or {}
    assert confirmed_of(meta) == {"ann@example.com": "crew-1", skipper: "captain"}
    # And a release takes the confirmation away with the holding
    repo.release_slot(sail_id, "captain", state="designated", holder=skipper, change=change("role_released"))
    assert confirmed_of(repo.sail_meta(sail_id, consistent=True) or {}) == {"ann@example.com": "crew-1"}
    repo.designate_slot(sail_id, "captain", skipper, was="open", person_role="crew", change=change("role_designated"))
    found = person(repo, skipper)
    assert found is not None and found["role"] == "crew" and found["nudges"] is True
    # And a second slot for the skipper, or crew-2 "confirmed" for someone who never claimed it, is refused
    with pytest.raises(RoleStateError) as holding:
        repo.designate_slot(sail_id, "crew-2", skipper, was="open", person_role="crew", change=change("x"))
    assert holding.value.code == "already_holding"
    with pytest.raises(SlotChangedError) as lost:
        repo.designate_slot(sail_id, "crew-2", "bob@example.com", was="claimed", person_role="crew", change=change("x"))
    assert lost.value.current["state"] == "open"


def test_an_offer_stores_its_claim_code_and_one_link_has_one_live_code(repo: SailRepository) -> None:
    # Given an open slot, and an invite read with no pointer yet
    sail_id = given_sail(repo)
    link = f"invite:{sail_id}:crew-1:ann@example.com"
    first = new_code(
        "ann@example.com",
        Purpose.claim(sail_id, "crew-1"),
        timedelta(hours=72),
        replaces=link,
        pointer=repo.read_slot(sail_id, "crew-1", invite_link=link).pointer,
    )
    # When it is offered
    repo.offer_slot(
        sail_id,
        "crew-1",
        "ann@example.com",
        invited={"ann@example.com": AT.isoformat()},
        change=change("role_invited"),
        code_writes=first.writes,
    )
    # Then the slot says whom, and the link's pointer names the code
    assert role(repo, sail_id, "crew-1")["invited"] == {"ann@example.com": AT.isoformat()}
    pointer = repo.read_slot(sail_id, "crew-1", invite_link=link).pointer
    assert pointer is not None and pointer["code_hash"] == hash_code(first.code)
    # When another invite, read before the first landed (no pointer), tries the same link
    late = new_code("ann@example.com", Purpose.claim(sail_id, "crew-1"), timedelta(hours=72), replaces=link)
    with pytest.raises(ConflictError) as in_flight:
        repo.offer_slot(sail_id, "crew-1", "ann@example.com", invited={}, change=change("x"), code_writes=late.writes)
    # Then it is told another invite is the live one
    assert in_flight.value.code == "invite_in_flight"
    # And a held slot cannot be offered
    repo.claim_slot(sail_id, "crew-1", "bob@example.com", change("role_claimed"))
    with pytest.raises(SlotChangedError):
        repo.offer_slot(sail_id, "crew-1", "ann@example.com", invited={}, change=change("x"), code_writes=[])
