"""Bookings (issue 21): everyone aboard is on the manifest, each adult signs their own waiver, a
minor is covered by a guardian of the booking; admins edit, move and remove people; admins
publish the waiver text. The domain alone, over the in-memory guest repository."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from quarterdeck import bookings, guests, waiver_text
from quarterdeck.auth import Caller
from quarterdeck.errors import (
    ConflictError,
    ForbiddenError,
    GuestExistsError,
    GuestNotFoundError,
    InvalidInputError,
    SailFullError,
    SailNotFoundError,
)
from quarterdeck.magic_codes import hash_code
from tests.unit.fakes import FakeDocuments, FakeMailer, FixedClock
from tests.unit.memory.guests import MemoryGuestRepository
from tests.unit.test_guests import ADMIN, NOW, SETTINGS, a_sail, add, guest_caller, sign

PARTY = [
    {"name": "Bo Guest", "email": "bo@example.com"},
    {"name": "Cy Guest", "email": "cy@example.com"},
    {"name": "Dee Guest", "minor": True},
]


def book_party(repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail_id: str) -> dict[str, Any]:
    return add(repo, mailer, clock, sail_id, people=PARTY)


def by_name(repo: MemoryGuestRepository, sail_id: str) -> dict[str, dict[str, Any]]:
    return {str(g["name"]): g for (s, _), g in repo.guests.items() if s == sail_id}


def manifest(repo: MemoryGuestRepository, sail_id: str, version: str = "v1") -> dict[str, Any]:
    return guests.list_guests(
        repo,
        sail_id,
        caller=Caller(email=ADMIN, role="admin", jti="j", expires=0),
        settings=SETTINGS,
        current_version=version,
    )


def link_code(mailer: FakeMailer, address: str) -> str:
    return mailer.to(address)[-1].text.split("#/magic?code=")[1].split()[0].split("&")[0]


@pytest.fixture
def repo() -> MemoryGuestRepository:
    return MemoryGuestRepository()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sail(repo: MemoryGuestRepository) -> dict[str, Any]:
    return a_sail(repo)


def test_a_party_of_three_adults_and_a_child_is_confirmed_when_the_last_adult_signs(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # When the admin books Ada with two adults and a child
    answer = book_party(repo, mailer, clock, sail["id"])
    # Then four people are on hold, counted as four seats, and each adult got their own link
    assert len(answer["people"]) == 4 and {p["status"] for p in answer["people"]} == {"on_hold"}
    assert repo.sails[sail["id"]]["guest_count"] == 4
    assert sorted(m.to[0] for m in mailer.sent) == ["ada@example.com", "bo@example.com", "cy@example.com"]
    people = by_name(repo, sail["id"])
    assert people["Dee Guest"]["minor"] is True and "email" not in people["Dee Guest"]
    assert {p["booking_id"] for p in people.values()} == {answer["guest"]["id"]}
    # And the manifest shows four people in one booking, on hold
    listed = manifest(repo, sail["id"])
    assert len(listed["guests"]) == 4 and listed["bookings"][0]["status"] == "on_hold"
    assert listed["bookings"][0]["people"] == 4
    # When Bo signs and covers the child
    sign(repo, mailer, documents, clock, sail["id"], people["Bo Guest"]["id"], covers=[people["Dee Guest"]["id"]])
    dee = by_name(repo, sail["id"])["Dee Guest"]
    assert dee["status"] == "confirmed" and dee["covered_by"] == people["Bo Guest"]["id"]
    assert "Dee Guest" in mailer.to("bo@example.com")[-1].text  # the signed copy names whom it covers
    # Then the booking is still on hold until Ada and Cy sign
    sign(repo, mailer, documents, clock, sail["id"], people["Ada Guest"]["id"])
    assert manifest(repo, sail["id"])["bookings"][0]["status"] == "on_hold"
    sign(repo, mailer, documents, clock, sail["id"], people["Cy Guest"]["id"], full_name="Cy Guest")
    listed = manifest(repo, sail["id"])
    assert listed["bookings"][0]["status"] == "confirmed"
    assert {p["status"] for p in listed["guests"]} == {"confirmed"}
    assert next(p for p in listed["guests"] if p["name"] == "Dee Guest")["covered_by_name"] == "Bo Guest"


def test_an_adult_signs_only_with_their_own_link_and_covers_only_their_bookings_minors(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    other = add(repo, mailer, clock, sail["id"], name="Eve Other", email="eve@example.com")["guest"]
    people = by_name(repo, sail["id"])
    dee = people["Dee Guest"]["id"]
    # Eve (another booking) cannot cover Dee
    with pytest.raises(InvalidInputError) as refused:
        sign(repo, mailer, documents, clock, sail["id"], other["id"], covers=[dee])
    assert refused.value.field == "covers"
    # Bo covers Dee; then Cy cannot cover her again
    sign(repo, mailer, documents, clock, sail["id"], people["Bo Guest"]["id"], covers=[dee])
    with pytest.raises(ConflictError) as covered:
        sign(repo, mailer, documents, clock, sail["id"], people["Cy Guest"]["id"], covers=[dee])
    assert covered.value.code == "minor_covered"
    # A session for someone else's address cannot sign Cy's waiver
    with pytest.raises(ForbiddenError):
        sign(
            repo,
            mailer,
            documents,
            clock,
            sail["id"],
            people["Cy Guest"]["id"],
            signer=guest_caller(sail["id"], people["Cy Guest"]["id"], "bo@example.com"),
        )


@pytest.mark.parametrize(
    ("people", "field"),
    [
        ("Bo", "people"),
        ([{"name": ""}], "people[0].name"),
        ([{"name": "Bo", "email": "not-an-address"}], "people[0].email"),
        ([{"name": "Bo", "minor": "yes"}], "people[0].minor"),
        ([{"name": "Bo", "email": "ada@example.com"}], "people[0].email"),
        (["Bo"], "people[0]"),
    ],
)
def test_bad_people_are_refused_naming_the_field(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any], people: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        add(repo, mailer, clock, sail["id"], people=people)
    assert refused.value.field == field
    assert not repo.guests and not mailer.sent


def test_capacity_counts_people_and_names_the_seats_left(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock
) -> None:
    sail = a_sail(repo, "small", guest_capacity=5)
    add(repo, mailer, clock, "small", name="Fay", email="fay@example.com", people=[{"name": "Gus", "minor": True}])
    with pytest.raises(SailFullError) as full:
        book_party(repo, mailer, clock, sail["id"])
    assert "room for 3 more" in full.value.message
    assert repo.sails["small"]["guest_count"] == 2


def test_a_changed_email_gets_a_new_link_and_the_old_one_stops_working(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    bo = by_name(repo, sail["id"])["Bo Guest"]
    old_code = link_code(mailer, "bo@example.com")
    # When the admin corrects Bo's address
    answer = bookings.edit_guest(
        repo, mailer, ADMIN, sail["id"], bo["id"], email="bo.new@example.com", settings=SETTINGS, clock=clock
    )
    # Then a new link goes to the new address, and the old code is revoked
    assert answer["waiver_link_sent"] is True and answer["guest"]["email"] == "bo.new@example.com"
    new_code = link_code(mailer, "bo.new@example.com")
    assert repo.codes[f"CODE#{hash_code(old_code)}"]["revoked"] is True
    assert not repo.codes[f"CODE#{hash_code(new_code)}"].get("revoked")
    # And a session opened from the old link cannot sign; one from the new link can
    with pytest.raises(ForbiddenError):
        sign(
            repo,
            mailer,
            documents,
            clock,
            sail["id"],
            bo["id"],
            signer=guest_caller(sail["id"], bo["id"], "bo@example.com"),
        )
    assert sign(repo, mailer, documents, clock, sail["id"], bo["id"])["status"] == "signed"
    # And the history says who changed what
    edited = [h for h in repo.history if h["action"] == "guest_edited"]
    assert edited[0]["actor"] == ADMIN and edited[0]["detail"]["changes"] == {"email": "bo.new@example.com"}
    # A name edit sends nothing; an email already on the sail is refused
    sent = len(mailer.sent)
    bookings.edit_guest(repo, mailer, ADMIN, sail["id"], bo["id"], name="Bo Renamed", settings=SETTINGS, clock=clock)
    assert by_name(repo, sail["id"])["Bo Renamed"]["id"] == bo["id"] and len(mailer.sent) == sent
    cy = by_name(repo, sail["id"])["Cy Guest"]
    with pytest.raises(GuestExistsError):
        bookings.edit_guest(repo, mailer, ADMIN, sail["id"], cy["id"], email="ada@example.com", settings=SETTINGS)


def test_removing_a_person_keeps_them_on_the_manifest_as_removed_and_keeps_the_signature(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    cy = by_name(repo, sail["id"])["Cy Guest"]
    sign(repo, mailer, documents, clock, sail["id"], cy["id"], full_name="Cy Guest")
    # When the admin removes Cy (who signed)
    bookings.remove_guest(repo, ADMIN, sail["id"], cy["id"], clock=clock)
    # Then Cy is listed as removed by the admin, the seat is free, the signature is kept
    row = next(p for p in manifest(repo, sail["id"])["guests"] if p["name"] == "Cy Guest")
    assert row["status"] == "removed" and row["removed_by"] == ADMIN
    assert repo.sails[sail["id"]]["guest_count"] == 3
    assert (sail["id"], cy["id"]) in repo.signatures
    removed = [h for h in repo.history if h["action"] == "guest_removed"]
    assert removed[0]["detail"] == {"removed_by": ADMIN, "people": [{"guest_id": cy["id"], "name": "Cy Guest"}]}
    # And the booking is confirmed once the people still aboard are covered
    people = by_name(repo, sail["id"])
    sign(repo, mailer, documents, clock, sail["id"], people["Ada Guest"]["id"])
    sign(repo, mailer, documents, clock, sail["id"], people["Bo Guest"]["id"], covers=[people["Dee Guest"]["id"]])
    assert manifest(repo, sail["id"])["bookings"][0]["status"] == "confirmed"
    # And removing Cy again is refused, as is editing them
    with pytest.raises(ConflictError):
        bookings.remove_guest(repo, ADMIN, sail["id"], cy["id"], clock=clock)


def test_a_removed_guest_cannot_sign(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    guest = add(repo, mailer, clock, sail["id"])["guest"]
    bookings.remove_guest(repo, ADMIN, sail["id"], guest["id"], clock=clock)
    with pytest.raises(ConflictError) as gone:
        sign(repo, mailer, documents, clock, sail["id"], guest["id"])
    assert gone.value.code == "guest_gone"
    # And the same address can be booked again
    assert add(repo, mailer, clock, sail["id"])["guest"]["status"] == "on_hold"


def test_removing_a_booking_removes_everyone_in_it(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    bo = by_name(repo, sail["id"])["Bo Guest"]
    bookings.remove_guest(repo, ADMIN, sail["id"], bo["id"], booking=True, clock=clock)
    listed = manifest(repo, sail["id"])
    assert {p["status"] for p in listed["guests"]} == {"removed"} and listed["guest_count"] == 0
    assert listed["bookings"][0]["status"] == "removed"


def test_each_manifest_change_reads_once_before_its_one_write(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # (each repository call is one DynamoDB round trip: tests/integration/test_repository_guests.py)
    # Given a party of four booked, and another sail
    book_party(repo, mailer, clock, sail["id"])
    a_sail(repo, "sail-2", "2026-12-12")
    people = by_name(repo, sail["id"])
    # When a person is renamed: the sail and the person are read, not everyone on the sail
    repo.calls.clear()
    bookings.edit_guest(
        repo, mailer, ADMIN, sail["id"], people["Bo Guest"]["id"], name="Bo Renamed", settings=SETTINGS, clock=clock
    )
    assert repo.calls == ["read", "edit_guest"]
    # When an address changes: everyone on the sail too, to refuse one already booked
    repo.calls.clear()
    bookings.edit_guest(
        repo,
        mailer,
        ADMIN,
        sail["id"],
        people["Bo Guest"]["id"],
        email="bo.2@example.com",
        settings=SETTINGS,
        clock=clock,
    )
    assert repo.calls == ["read", "guests_of", "edit_guest"]
    # When one person is removed: only they are read
    repo.calls.clear()
    bookings.remove_guest(repo, ADMIN, sail["id"], people["Cy Guest"]["id"], clock=clock)
    assert repo.calls == ["read", "remove_guests"]
    # When a booking moves: its people come from the listing, then the other sail is read
    repo.calls.clear()
    bookings.move_booking(
        repo, mailer, ADMIN, sail["id"], people["Ada Guest"]["id"], to_sail="sail-2", settings=SETTINGS, clock=clock
    )
    assert repo.calls == ["guests_of", "read", "move_booking"]
    # When a whole booking is removed: the listing alone finds everyone in it
    repo.calls.clear()
    bookings.remove_guest(repo, ADMIN, "sail-2", by_name(repo, "sail-2")["Ada Guest"]["id"], booking=True, clock=clock)
    assert repo.calls == ["guests_of", "remove_guests"]
    assert {p["status"] for p in by_name(repo, "sail-2").values()} == {"removed"}


def test_removing_the_booking_of_someone_not_on_the_sail_says_what_is_missing(
    repo: MemoryGuestRepository, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # When the booking of an unknown guest, or of a guest of an unknown sail, is removed
    with pytest.raises(GuestNotFoundError):
        bookings.remove_guest(repo, ADMIN, sail["id"], "nobody", booking=True, clock=clock)
    with pytest.raises(SailNotFoundError):
        bookings.remove_guest(repo, ADMIN, "no-such-sail", "nobody", booking=True, clock=clock)
    # Then nothing was written
    assert "remove_guests" not in repo.calls


def test_moving_a_booking_puts_everyone_on_the_other_sail_on_hold_with_new_links(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    later = a_sail(repo, "sail-2", "2026-12-12", title="Later sail")
    people = by_name(repo, sail["id"])
    sign(repo, mailer, documents, clock, sail["id"], people["Ada Guest"]["id"])
    mailer.sent.clear()
    # When the admin moves the booking (from any of its people)
    answer = bookings.move_booking(
        repo, mailer, ADMIN, sail["id"], people["Cy Guest"]["id"], to_sail="sail-2", settings=SETTINGS, clock=clock
    )
    # Then the four are on the later sail, on hold, and each adult has a new link for it
    assert answer["sail_id"] == "sail-2" and len(answer["people"]) == 4
    moved = by_name(repo, "sail-2")
    assert {p["status"] for p in moved.values()} == {"on_hold"} and repo.sails["sail-2"]["guest_count"] == 4
    assert sorted(m.to[0] for m in mailer.sent) == ["ada@example.com", "bo@example.com", "cy@example.com"]
    assert all("Later sail" in m.subject for m in mailer.sent)
    # And the first sail lists them as moved, its seats freed; Ada's signature there is kept
    assert {p["status"] for p in by_name(repo, sail["id"]).values()} == {"moved"}
    assert repo.sails[sail["id"]]["guest_count"] == 0 and (sail["id"], people["Ada Guest"]["id"]) in repo.signatures
    assert [h["action"] for h in repo.history if h["action"].startswith("booking_moved")] == [
        "booking_moved",
        "booking_moved_in",
    ]
    assert later["id"] == "sail-2"
    # A move to the same sail or to no sail is refused naming the field
    with pytest.raises(InvalidInputError) as refused:
        bookings.move_booking(repo, mailer, ADMIN, "sail-2", moved["Ada Guest"]["id"], to_sail="sail-2")
    assert refused.value.field == "sail_id"
    with pytest.raises(InvalidInputError):
        bookings.move_booking(repo, mailer, ADMIN, "sail-2", moved["Ada Guest"]["id"], to_sail="nowhere")


def test_a_move_beyond_the_other_sails_capacity_is_refused_and_changes_nothing(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    a_sail(repo, "tiny", "2026-12-12", guest_capacity=3)
    ada = by_name(repo, sail["id"])["Ada Guest"]
    with pytest.raises(SailFullError):
        bookings.move_booking(
            repo, mailer, ADMIN, sail["id"], ada["id"], to_sail="tiny", settings=SETTINGS, clock=clock
        )
    assert {p["status"] for p in by_name(repo, sail["id"]).values()} == {"on_hold"}
    assert repo.sails[sail["id"]]["guest_count"] == 4 and not by_name(repo, "tiny")


def test_an_admin_publishes_a_new_waiver_version_and_the_manifest_shows_who_signed_an_older_one(
    repo: MemoryGuestRepository,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
) -> None:
    book_party(repo, mailer, clock, sail["id"])
    people = by_name(repo, sail["id"])
    sign(repo, mailer, documents, clock, sail["id"], people["Ada Guest"]["id"])
    v1 = waiver_text.load_waiver(texts=repo)
    # When the admin publishes a new text, based on the version previewed
    published = waiver_text.publish_waiver(
        repo, ADMIN, text="New words.\r\nSign here.  ", based_on=v1.version, clock=clock
    )
    assert published["version"] == "v2" and published["text"] == "New words.\nSign here.\n"
    assert waiver_text.load_waiver(texts=repo).version == "v2"
    # Then the next signature is made under v2, and the earlier one keeps v1
    clock.now += timedelta(minutes=5)
    answer = sign(repo, mailer, documents, clock, sail["id"], people["Bo Guest"]["id"])
    assert answer["signature"]["version"] == "v2"
    assert repo.signatures[(sail["id"], people["Ada Guest"]["id"])]["version"] == "v1"
    # And the signed copy of v2 is built from the published text
    assert "New words." in mailer.to("bo@example.com")[-1].text
    rows = {p["name"]: p for p in manifest(repo, sail["id"], "v2")["guests"]}
    assert rows["Ada Guest"]["older_version"] is True and rows["Bo Guest"]["older_version"] is False
    # A publication based on a stale version, or the same text, is refused
    with pytest.raises(ConflictError):
        waiver_text.publish_waiver(repo, ADMIN, text="Other", based_on="v1", clock=clock)
    with pytest.raises(InvalidInputError):
        waiver_text.publish_waiver(repo, ADMIN, text="New words.\nSign here.\n", based_on="v2", clock=clock)
    with pytest.raises(InvalidInputError):
        waiver_text.publish_waiver(repo, ADMIN, text="   ", based_on="v2", clock=clock)
    # And a copy owed under v1 is still built from v1's file
    assert waiver_text.load_waiver("v1", texts=repo).sha256 == v1.sha256
