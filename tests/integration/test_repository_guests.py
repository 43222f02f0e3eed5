"""GuestRepository's contract: the same scenarios against DynamoDB (moto's server, the table built
from template.yaml) and against the in-memory one the unit tests use, so the fake cannot drift.
Every protocol method, and every lost condition mapped to its domain error, is covered."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from quarterdeck import keys
from quarterdeck.clock import system_clock
from quarterdeck.errors import (
    AlreadySignedError,
    ConflictError,
    GuestExistsError,
    GuestNotFoundError,
    SailFullError,
    SailNotFoundError,
    WaiverLinkInFlightError,
)
from quarterdeck.magic_codes import Purpose, hash_code
from quarterdeck.repositories import Item
from quarterdeck.repositories.guest_changes import BookingMove
from quarterdeck.repositories.guests import DynamoGuestRepository, GuestRepository
from quarterdeck.repositories.sign_in import NewCode, new_code
from quarterdeck.store import Store
from tests.unit.memory.guests import MemoryGuestRepository

ADMIN = "admin@example.com"


class CountingStore(Store):
    """The table, counting round trips (each call of the low-level client)."""

    calls = 0

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return super()._call(operation, **kwargs)


@dataclass
class Subject:
    """One implementation under test, with what a scenario needs around it."""

    repo: GuestRepository
    put_sail: Callable[[Item], None]
    history: Callable[[str], list[str]]
    round_trips: Callable[[], int] = lambda: 0
    sails: list[str] = field(default_factory=list)

    def sail(self, **fields: Any) -> str:
        sail_id = f"contract-{uuid.uuid4().hex[:10]}"
        self.sails.append(sail_id)
        self.put_sail({"id": sail_id, "title": "Contract", "status": "scheduled", **fields})
        return sail_id

    def owed_here(self) -> list[tuple[str, str]]:
        """The owed copies of this test's sails (the real index is shared with other tests)."""
        copies = self.repo.owed_copies(limit=1000)
        return [(c["sail_id"], c["guest_id"]) for c in copies if c["sail_id"] in self.sails]


def _dynamo() -> Subject:
    store = CountingStore()

    def put_sail(meta: Item) -> None:
        pk, sk = keys.sail(str(meta["id"]))
        store.put({"pk": pk, "sk": sk, "type": "sail", **meta})

    def history(sail_id: str) -> list[str]:
        entries = store.query(keys.sail_partition(sail_id), sk_prefix=keys.HISTORY_PREFIX, consistent=True)
        return [str(e["action"]) for e in entries]

    return Subject(DynamoGuestRepository(store), put_sail, history, lambda: store.calls)


def _memory() -> Subject:
    repo = MemoryGuestRepository()

    def put_sail(meta: Item) -> None:
        repo.put_sail(meta)

    return Subject(
        repo,
        put_sail,
        lambda sail_id: [str(h["action"]) for h in repo.history if h["sail_id"] == sail_id],
        lambda: len(repo.calls),
    )


@pytest.fixture(params=["dynamo", "memory"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "dynamo":
        request.getfixturevalue("stack")  # moto's server and the table, AWS_ENDPOINT_URL set
        yield _dynamo()
    else:
        yield _memory()


def guest(email: str = "ada@example.com", party_size: int = 1, **fields: Any) -> Item:
    return {
        "id": uuid.uuid4().hex[:12],
        "name": "Ada Guest",
        "email": email,
        "party_size": party_size,
        "status": "on_hold",
        "added_at": "2026-11-23T18:00:00+00:00",
        "added_by": ADMIN,
        **fields,
    }


def code_for(subject: Subject, sail_id: str, who: Item, *, pointer_read: bool = True) -> NewCode:
    """A waiver code for `who`, built as the domain does from the link's pointer as read."""
    link = f"waiver:{sail_id}:{who['id']}"
    pointer = subject.repo.read(sail_id, code_link=link).code_pointer if pointer_read else None
    return new_code(
        str(who["email"]), Purpose.waiver(sail_id, str(who["id"])), timedelta(hours=2), replaces=link, pointer=pointer
    )


def added(subject: Subject, sail_id: str, who: Item | None = None, *, capacity: int = 6) -> Item:
    who = who or guest()
    code = code_for(subject, sail_id, who)
    subject.repo.add_booking(sail_id, [who], capacity=capacity, actor=ADMIN, codes=[code], clock=system_clock)
    return who


def signature(sail_id: str, guest_id: str, signed_at: str = "2026-11-23T18:05:00+00:00", **fields: Any) -> Item:
    return {
        "sail_id": sail_id,
        "guest_id": guest_id,
        "full_name": "Ada Lovelace",
        "minor": False,
        "guardian_name": None,
        "version": "v1",
        "text_sha256": "0" * 64,
        "signed_at": signed_at,
        "object_key": f"waivers/{sail_id}/{guest_id}/v1.txt",
        "copy_lease_until": 1_000,
        "copy_owed": True,
        "request_id": "request-1",
        **fields,
    }


def signed(subject: Subject, **fields: Any) -> Item:
    sail_id = subject.sail()
    who = added(subject, sail_id)
    record = signature(sail_id, str(who["id"]), **fields)
    assert subject.repo.record_signature(record, actor=str(who["email"]), clock=system_clock) is None
    return record


# --- reads -----------------------------------------------------------------------------------
def test_read_brings_the_sail_and_what_is_asked_for(subject: Subject) -> None:
    # Given a sail with one guest, its waiver link issued, and no signature
    sail_id = subject.sail(guest_capacity=4)
    who = added(subject, sail_id, capacity=4)
    link = f"waiver:{sail_id}:{who['id']}"
    # When the sail, the guest, its signature and the link's pointer are read together
    found = subject.repo.read(sail_id, guest_id=str(who["id"]), signature=True, code_link=link)
    # Then each is there as the domain sees it (no table keys), the signature absent
    assert found.sail is not None and found.sail["id"] == sail_id and found.sail["guest_count"] == 1
    assert "pk" not in found.sail and found.guest is not None and "sk" not in found.guest
    assert {k: found.guest[k] for k in who} == who and found.guest["type"] == "guest"
    assert found.signature is None and found.code_pointer is not None and found.code_pointer["link"] == link
    # And a sail or guest that does not exist reads as None
    assert subject.repo.read("no-such-sail").sail is None
    assert subject.repo.read(sail_id, guest_id="ghost").guest is None


def test_sail_meta_and_the_manifest(subject: Subject) -> None:
    # Given a sail with two guests
    sail_id = subject.sail()
    ada, bo = added(subject, sail_id), added(subject, sail_id, guest(email="bo@example.com"))
    # Then its META and its guests are read
    assert subject.repo.sail_meta(sail_id)["guest_count"] == 2
    assert sorted(g["email"] for g in subject.repo.guests_of(sail_id)) == [ada["email"], bo["email"]]
    # And a missing sail is SailNotFoundError
    with pytest.raises(SailNotFoundError):
        subject.repo.sail_meta("no-such-sail")


# --- adding guests and their waiver links ------------------------------------------------------
def test_add_booking_counts_the_party_issues_the_code_and_records_history(subject: Subject) -> None:
    sail_id = subject.sail()
    # When a party of 3 is added
    who = guest(party_size=3)
    code = code_for(subject, sail_id, who)
    subject.repo.add_booking(sail_id, [who], capacity=6, actor=ADMIN, codes=[code], clock=system_clock)
    # Then the sail counts 3, the pointer names the new code, and the history says so
    found = subject.repo.read(sail_id, guest_id=str(who["id"]), code_link=f"waiver:{sail_id}:{who['id']}")
    assert found.sail is not None and found.sail["guest_count"] == 3 and found.guest is not None
    assert found.code_pointer is not None and found.code_pointer["code_hash"] == hash_code(code.code)
    assert subject.history(sail_id) == ["guest_added"]


def test_add_booking_refusals_map_to_domain_errors(subject: Subject) -> None:
    sail_id = subject.sail()
    ada = added(subject, sail_id, guest(party_size=4))
    # The same guest again: GuestExistsError
    with pytest.raises(GuestExistsError):
        subject.repo.add_booking(
            sail_id, [ada], capacity=6, actor=ADMIN, codes=[code_for(subject, sail_id, ada)], clock=system_clock
        )
    # A party that does not fit: SailFullError naming the room left
    bo = guest(email="bo@example.com", party_size=3)
    with pytest.raises(SailFullError) as full:
        subject.repo.add_booking(
            sail_id, [bo], capacity=6, actor=ADMIN, codes=[code_for(subject, sail_id, bo)], clock=system_clock
        )
    assert "room for 2 more" in full.value.message
    # No sail: SailNotFoundError; a cancelled one: sail_cancelled
    with pytest.raises(SailNotFoundError):
        subject.repo.add_booking(
            "no-such-sail",
            [guest()],
            capacity=6,
            actor=ADMIN,
            codes=[code_for(subject, "x", guest())],
            clock=system_clock,
        )
    cancelled = subject.sail(status="cancelled")
    with pytest.raises(ConflictError) as closed:
        eve = guest(email="eve@example.com")
        subject.repo.add_booking(
            cancelled, [eve], capacity=6, actor=ADMIN, codes=[code_for(subject, cancelled, eve)], clock=system_clock
        )
    assert closed.value.code == "sail_cancelled"
    # And nothing of the refused adds was written
    assert subject.repo.sail_meta(sail_id)["guest_count"] == 4
    assert subject.history(sail_id) == ["guest_added"]


def test_add_guest_holds_to_the_capacity_it_read(subject: Subject) -> None:
    # Given a sail of its own capacity 3 with 3 seats taken
    sail_id = subject.sail(guest_count=3, guest_capacity=3)
    # When an add that read capacity 3 comes: full, one that read 2 (since raised to 3): told so
    with pytest.raises(SailFullError) as full:
        added(subject, sail_id, capacity=3)
    assert "room for 0 more" in full.value.message
    subject.put_sail({"id": sail_id, "title": "Contract", "status": "scheduled", "guest_count": 1, "guest_capacity": 3})
    with pytest.raises(ConflictError) as changed:
        added(subject, sail_id, capacity=2)
    assert changed.value.code == "capacity_changed"
    # And one that read 3 fits
    added(subject, sail_id, capacity=3)
    assert int(subject.repo.sail_meta(sail_id)["guest_count"]) == 2


def test_a_stale_waiver_link_is_in_flight(subject: Subject) -> None:
    # Given a guest whose link's pointer was read, then another code won the link
    sail_id = subject.sail()
    who = added(subject, sail_id)
    stale = code_for(subject, sail_id, who)
    subject.repo.reissue_waiver_link(
        sail_id, who, actor=ADMIN, code=code_for(subject, sail_id, who), clock=system_clock
    )
    # When the stale code is stored: WaiverLinkInFlightError, for a new guest as for a resend
    with pytest.raises(WaiverLinkInFlightError):
        subject.repo.reissue_waiver_link(sail_id, who, actor=ADMIN, code=stale, clock=system_clock)
    other = {**guest(email="other@example.com"), "id": who["id"] + "x"}
    unread = code_for(subject, sail_id, who, pointer_read=False)  # as if no pointer existed
    with pytest.raises(WaiverLinkInFlightError):
        subject.repo.add_booking(sail_id, [other], capacity=6, actor=ADMIN, codes=[unread], clock=system_clock)


def test_reissue_revokes_nothing_of_a_signed_guest(subject: Subject) -> None:
    # Given a guest who has signed
    record = signed(subject)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    who = subject.repo.read(sail_id, guest_id=guest_id).guest
    assert who is not None and who["status"] == "confirmed"
    # When a new link is issued: AlreadySignedError, and no history entry
    with pytest.raises(AlreadySignedError):
        subject.repo.reissue_waiver_link(
            sail_id, who, actor=ADMIN, code=code_for(subject, sail_id, who), clock=system_clock
        )
    assert subject.history(sail_id) == ["guest_added", "waiver_signed"]


def test_reissue_moves_the_pointer_to_the_new_code(subject: Subject) -> None:
    sail_id = subject.sail()
    who = added(subject, sail_id)
    code = code_for(subject, sail_id, who)
    subject.repo.reissue_waiver_link(sail_id, who, actor=ADMIN, code=code, clock=system_clock)
    pointer = subject.repo.read(sail_id, code_link=f"waiver:{sail_id}:{who['id']}").code_pointer
    assert pointer is not None and pointer["code_hash"] == hash_code(code.code)
    assert subject.history(sail_id) == ["guest_added", "waiver_link_issued"]


# --- signatures ---------------------------------------------------------------------------------
def test_record_signature_confirms_the_guest_and_lists_the_copy_as_owed(subject: Subject) -> None:
    record = signed(subject)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    found = subject.repo.read(sail_id, guest_id=guest_id, signature=True)
    assert found.guest is not None and found.guest["status"] == "confirmed"
    assert found.guest["signed_at"] == record["signed_at"]
    assert found.signature is not None and found.signature["copy_owed"] is True
    assert "guardian_name" not in found.signature and "gsi1pk" not in found.signature
    assert subject.repo.signature(sail_id, guest_id) == found.signature
    assert subject.owed_here() == [(sail_id, guest_id)]
    assert subject.history(sail_id) == ["guest_added", "waiver_signed"]


def test_record_signature_twice_returns_the_first_and_writes_nothing(subject: Subject) -> None:
    first = signed(subject)
    again = signature(first["sail_id"], first["guest_id"], full_name="Someone Else", request_id="request-2")
    existing = subject.repo.record_signature(again, actor=ADMIN, clock=system_clock)
    assert existing is not None and existing["full_name"] == "Ada Lovelace"
    assert subject.history(first["sail_id"]) == ["guest_added", "waiver_signed"]


def test_record_signature_refusals_map_to_domain_errors(subject: Subject) -> None:
    # No such guest: GuestNotFoundError
    sail_id = subject.sail()
    with pytest.raises(GuestNotFoundError):
        subject.repo.record_signature(signature(sail_id, "ghost"), actor=ADMIN, clock=system_clock)
    # A cancelled sail: sail_cancelled, and the guest stays on hold
    cancelled = subject.sail()
    who = added(subject, cancelled)
    subject.put_sail({**(subject.repo.read(cancelled).sail or {}), "status": "cancelled"})
    with pytest.raises(ConflictError) as closed:
        subject.repo.record_signature(signature(cancelled, str(who["id"])), actor=ADMIN, clock=system_clock)
    assert closed.value.code == "sail_cancelled"
    found = subject.repo.read(cancelled, guest_id=str(who["id"]), signature=True)
    assert found.guest is not None and found.guest["status"] == "on_hold" and found.signature is None


# --- the signed copy's delivery -----------------------------------------------------------------
def test_the_copy_lease_is_taken_only_once_it_ran_out(subject: Subject) -> None:
    record = signed(subject, copy_lease_until=2_000)
    # While the lease runs: not taken, and the signature as it is comes back
    taken, current = subject.repo.take_copy_lease(record, now=1_500, until=1_590)
    assert taken is False and current is not None and current["copy_lease_until"] == 2_000
    # Once it ran out: taken
    taken, current = subject.repo.take_copy_lease(record, now=2_001, until=2_091)
    assert taken is True and current is not None and current["copy_lease_until"] == 2_091
    # A signature that does not exist: not taken
    assert subject.repo.take_copy_lease({**record, "guest_id": "ghost"}, now=1, until=2) == (False, None)


def test_releasing_the_lease_records_what_is_owed_and_only_our_own(subject: Subject) -> None:
    record = signed(subject, copy_owed=False)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    # Someone else's lease is not ours to end
    assert subject.repo.release_copy_lease({**record, "copy_lease_until": 999}, {"copy_emailed": False}) is False
    # Ours: the flags recorded, the copy listed as owed, the lease gone
    assert subject.repo.release_copy_lease(record, {"copy_stored": False, "copy_emailed": False}) is True
    now = subject.repo.signature(sail_id, guest_id) or {}
    assert (now["copy_stored"], now["copy_emailed"], now["copy_owed"]) == (False, False, True)
    assert "copy_lease_until" not in now and subject.owed_here() == [(sail_id, guest_id)]
    # Released without flags: nothing recorded, the lease gone
    again = signed(subject)
    assert subject.repo.release_copy_lease(again, {}) is True
    assert "copy_lease_until" not in (subject.repo.signature(again["sail_id"], again["guest_id"]) or {})


def test_recording_a_delivery(subject: Subject) -> None:
    # An email whose copy could not be stored: recorded with its message, still owed
    record = signed(subject, copy_owed=False)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    subject.repo.record_copy_delivery(record, stored=False, emailed_at="2026-11-23T18:06:00+00:00", message_id="m-1")
    now = subject.repo.signature(sail_id, guest_id) or {}
    assert (now["copy_stored"], now["copy_emailed"], now["copy_message_id"], now["copy_owed"]) == (
        False,
        True,
        "m-1",
        True,
    )
    assert now["copy_emailed_at"] == "2026-11-23T18:06:00+00:00" and "copy_lease_until" not in now
    # Then stored by a retry: done, unlisted, the first message kept
    subject.repo.record_copy_delivery(now, stored=True, emailed_at=None, message_id="-")
    done = subject.repo.signature(sail_id, guest_id) or {}
    assert (done["copy_stored"], done["copy_message_id"], done["copy_owed"]) == (True, "m-1", False)
    assert subject.owed_here() == []


def test_unlisting_a_copy_found_delivered(subject: Subject) -> None:
    record = signed(subject)
    assert subject.repo.unlist_copy(record) is True
    now = subject.repo.signature(record["sail_id"], record["guest_id"]) or {}
    assert (now["copy_stored"], now["copy_emailed"], now["copy_owed"]) == (True, True, False)
    # Not listed any more: nothing to do
    assert subject.repo.unlist_copy(record) is False


def test_owed_copies_come_oldest_first(subject: Subject) -> None:
    later = signed(subject, signed_at="2026-11-23T18:10:00+00:00")
    earlier = signed(subject, signed_at="2026-11-23T18:01:00+00:00")
    signed(subject, copy_owed=False)
    assert subject.owed_here() == [(earlier["sail_id"], earlier["guest_id"]), (later["sail_id"], later["guest_id"])]
    assert len(subject.repo.owed_copies(limit=1)) == 1


def test_each_method_is_one_round_trip(subject: Subject) -> None:
    record = signed(subject)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    who = added(subject, sail_id)
    code = code_for(subject, sail_id, who)
    calls: list[Callable[[], object]] = [
        lambda: subject.repo.read(sail_id, guest_id=guest_id, signature=True, code_link="waiver:x:y"),
        lambda: subject.repo.sail_meta(sail_id),
        lambda: subject.repo.guests_of(sail_id),
        lambda: subject.repo.signature(sail_id, guest_id),
        lambda: subject.repo.reissue_waiver_link(sail_id, who, actor=ADMIN, code=code, clock=system_clock),
        lambda: subject.repo.take_copy_lease(record, now=2_000, until=2_090),
        lambda: subject.repo.unlist_copy(record),
        lambda: subject.repo.owed_copies(limit=5),
    ]
    for call in calls:
        before = subject.round_trips()
        call()
        assert subject.round_trips() - before == 1


# --- bookings: several people, edits, removals, moves (issue 21) -------------------------------
def booking(sail_id: str, lead: Item, *others: Item) -> list[Item]:
    return [{**lead, "booking_id": lead["id"], "lead": True}] + [
        {**o, "booking_id": lead["id"], "lead": False} for o in others
    ]


def test_add_booking_puts_everyone_on_the_sail_counting_each_seat(subject: Subject) -> None:
    # Given a sail, when a booking of a lead, an adult and a minor (no email) is added
    sail_id = subject.sail()
    people = booking(sail_id, guest(), guest(email="bo@example.com"), {**guest(), "email": None, "minor": True})
    codes = [code_for(subject, sail_id, p) for p in people[:2]]
    subject.repo.add_booking(sail_id, people, capacity=6, actor=ADMIN, codes=codes, clock=system_clock)
    # Then three people are on it, counted as three, with one history entry naming them
    on_board = {g["id"]: g for g in subject.repo.guests_of(sail_id)}
    assert set(on_board) == {p["id"] for p in people} and subject.repo.sail_meta(sail_id)["guest_count"] == 3
    assert "email" not in on_board[people[2]["id"]] and on_board[people[2]["id"]]["minor"] is True
    assert subject.history(sail_id) == ["guest_added"]
    # And both links are live (their pointers read back in one read)
    links = tuple(f"waiver:{sail_id}:{p['id']}" for p in people[:2])
    assert set(subject.repo.read(sail_id, code_links=links).code_pointers) == set(links)
    # A booking with someone already aboard is GuestExistsError, naming them; nothing is written
    again = booking(sail_id, guest(email="cy@example.com"), {**people[1]})
    with pytest.raises(GuestExistsError) as exists:
        subject.repo.add_booking(sail_id, again, capacity=6, actor=ADMIN, codes=[], clock=system_clock)
    assert "bo@example.com" in exists.value.message and subject.repo.sail_meta(sail_id)["guest_count"] == 3


def test_minors_are_covered_by_a_guardians_signature(subject: Subject) -> None:
    # Given a booking of an adult and a minor, and another booking's minor
    sail_id = subject.sail()
    ada, dee = booking(sail_id, guest(), {**guest(), "email": None, "minor": True})
    subject.repo.add_booking(sail_id, [ada, dee], capacity=6, actor=ADMIN, codes=[], clock=system_clock)
    eve, fin = booking(sail_id, guest(email="eve@example.com"), {**guest(), "email": None, "minor": True})
    subject.repo.add_booking(sail_id, [eve, fin], capacity=6, actor=ADMIN, codes=[], clock=system_clock)
    # When Ada signs covering the other booking's minor: minor_changed, nothing written
    wrong = signature(sail_id, str(ada["id"]), booking_id=ada["id"], covers=[fin["id"]])
    with pytest.raises(ConflictError) as refused:
        subject.repo.record_signature(wrong, actor=ADMIN, clock=system_clock)
    assert refused.value.code == "minor_changed" and subject.repo.signature(sail_id, str(ada["id"])) is None
    # When Ada signs covering her booking's minor
    record = signature(sail_id, str(ada["id"]), booking_id=ada["id"], covers=[dee["id"]])
    assert subject.repo.record_signature(record, actor=ADMIN, clock=system_clock) is None
    # Then both are confirmed under the signature's version, the minor covered by Ada
    now = {g["id"]: g for g in subject.repo.guests_of(sail_id)}
    assert now[ada["id"]]["status"] == now[dee["id"]]["status"] == "confirmed"
    assert now[dee["id"]]["covered_by"] == ada["id"] and now[dee["id"]]["signed_version"] == "v1"
    assert (subject.repo.signature(sail_id, str(ada["id"])) or {})["covers"] == [dee["id"]]


def test_edit_guest_changes_a_person_as_read_with_a_new_code(subject: Subject) -> None:
    sail_id = subject.sail()
    who = added(subject, sail_id)
    # When the email is changed with a new code for the link
    moved_to = {**who, "email": "new@example.com"}
    code = code_for(subject, sail_id, moved_to)
    subject.repo.edit_guest(sail_id, who, {"email": "new@example.com"}, actor=ADMIN, code=code, clock=system_clock)
    found = subject.repo.read(sail_id, guest_id=str(who["id"]), code_link=f"waiver:{sail_id}:{who['id']}")
    assert found.guest is not None and found.guest["email"] == "new@example.com"
    assert found.code_pointer is not None and found.code_pointer["code_hash"] == hash_code(code.code)
    assert subject.history(sail_id) == ["guest_added", "guest_edited"]
    # An edit of the person as it was before is guest_changed; nothing written
    with pytest.raises(ConflictError) as stale:
        subject.repo.edit_guest(sail_id, who, {"name": "Stale"}, actor=ADMIN, code=None, clock=system_clock)
    assert stale.value.code == "guest_changed"
    # A stale code is WaiverLinkInFlightError
    current = found.guest
    with pytest.raises(WaiverLinkInFlightError):
        subject.repo.edit_guest(
            sail_id,
            current,
            {"name": "Ada"},
            actor=ADMIN,
            code=code_for(subject, sail_id, current, pointer_read=False),
            clock=system_clock,
        )
    assert subject.history(sail_id) == ["guest_added", "guest_edited"]


def test_remove_guests_marks_them_removed_and_frees_their_seats(subject: Subject) -> None:
    record = signed(subject)
    sail_id, guest_id = record["sail_id"], record["guest_id"]
    who = subject.repo.read(sail_id, guest_id=guest_id).guest or {}
    # When the signed guest is removed
    subject.repo.remove_guests(sail_id, [who], actor=ADMIN, clock=system_clock)
    # Then it is kept as removed by the admin, its seat freed, its signature kept
    after = subject.repo.read(sail_id, guest_id=guest_id, signature=True)
    assert after.guest is not None and after.guest["status"] == "removed" and after.guest["removed_by"] == ADMIN
    assert after.signature is not None and subject.repo.sail_meta(sail_id)["guest_count"] == 0
    assert subject.history(sail_id)[-1] == "guest_removed"
    # Removing it again (as read before) is guest_changed
    with pytest.raises(ConflictError) as again:
        subject.repo.remove_guests(sail_id, [who], actor=ADMIN, clock=system_clock)
    assert again.value.code == "guest_changed"
    # And the same person may be added again over the removed item
    subject.repo.add_booking(
        sail_id, [{**who, "status": "on_hold"}], capacity=6, actor=ADMIN, codes=[], clock=system_clock
    )
    assert (subject.repo.read(sail_id, guest_id=guest_id).guest or {})["status"] == "on_hold"


def move(
    subject: Subject,
    here: str,
    leaving: list[Item],
    there: str,
    arriving: list[Item],
    *,
    capacity: int = 6,
    codes: Sequence[NewCode] = (),
) -> None:
    moving = BookingMove(here, tuple(leaving), there, tuple(arriving), capacity, ADMIN, tuple(codes))
    subject.repo.move_booking(moving, clock=system_clock)


def test_move_booking_is_one_change_on_both_sails(subject: Subject) -> None:
    here, there = subject.sail(), subject.sail(guest_count=0)
    people = booking(here, guest(), guest(email="bo@example.com"))
    subject.repo.add_booking(here, people, capacity=6, actor=ADMIN, codes=[], clock=system_clock)
    arriving = [{**p, "id": p["id"] + "m"} for p in people]
    arriving = booking(there, *arriving)
    # A move to a sail without room is SailFullError, and nothing moves
    with pytest.raises(SailFullError):
        move(subject, here, people, there, arriving, capacity=1)
    assert {g["status"] for g in subject.repo.guests_of(here)} == {"on_hold"}
    # When the booking moves, with a new code for the lead
    codes = [code_for(subject, there, arriving[0])]
    move(subject, here, people, there, arriving, codes=codes)
    # Then it is marked moved here and on hold there; both counts and histories say so
    assert {(g["status"], g["moved_to"]) for g in subject.repo.guests_of(here)} == {("moved", there)}
    assert {g["status"] for g in subject.repo.guests_of(there)} == {"on_hold"}
    assert subject.repo.sail_meta(here)["guest_count"] == 0 and subject.repo.sail_meta(there)["guest_count"] == 2
    assert subject.history(here)[-1] == "booking_moved" and subject.history(there) == ["booking_moved_in"]
    # Moving the people as read before is guest_changed; to a cancelled sail, sail_cancelled
    with pytest.raises(ConflictError) as stale:
        move(subject, here, people, there, arriving)
    assert stale.value.code == "guest_changed"
    closed = subject.sail(status="cancelled")
    now_there = subject.repo.guests_of(there)
    with pytest.raises(ConflictError) as cancelled:
        move(subject, there, now_there, closed, booking(closed, *now_there))
    assert cancelled.value.code == "sail_cancelled"


def test_waiver_texts_published_from_the_app(subject: Subject) -> None:
    # Given whatever earlier tests published (the table is shared), a new version is published
    current = subject.repo.published_waiver()
    previous = current["version"] if current else None
    version = f"t{uuid.uuid4().hex[:8]}"
    # (a true hash: the table is shared with the API suites, which then sign under this text)
    words = "Words of a published waiver.\n"
    digest = hashlib.sha256(words.encode()).hexdigest()
    text = {"version": version, "text": words, "sha256": digest, "published_at": "2026-12-04T06:00:00+00:00"}
    subject.repo.publish_waiver({**text, "published_by": ADMIN}, previous=previous)
    # Then it is current and readable by its version
    assert (subject.repo.published_waiver() or {})["version"] == version
    assert (subject.repo.published_waiver(version) or {})["text"] == words
    assert subject.repo.published_waiver("never") is None
    # And a publication based on the previous version is waiver_changed
    with pytest.raises(ConflictError) as stale:
        subject.repo.publish_waiver({**text, "version": version + "b"}, previous=previous)
    assert stale.value.code == "waiver_changed"
    # And with current_waiver the sail's read brings it along
    assert (subject.repo.read(subject.sail(), current_waiver=True).current_waiver or {})["version"] == version
