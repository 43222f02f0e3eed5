"""Guests and waivers, the domain alone: an in-memory guest repository, mailer and bucket, a fixed clock."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from quarterdeck import guests, waiver_copies, waiver_text, waivers
from quarterdeck.auth import Caller
from quarterdeck.config import Settings
from quarterdeck.errors import (
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GuestNotFoundError,
    InvalidInputError,
    SailNotFoundError,
    ServiceUnavailableError,
)
from quarterdeck.magic_codes import Purpose, hash_code
from quarterdeck.waiver_copies import CopyDelivery
from tests.unit.fakes import FakeDocuments, FakeMailer, FixedClock
from tests.unit.memory.guests import MemoryGuestRepository

SETTINGS = Settings(app_url="https://crew.example", guest_capacity=6)
ADMIN = "admin@example.com"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def repo() -> MemoryGuestRepository:
    return MemoryGuestRepository()


def a_sail(
    repo: MemoryGuestRepository, sail_id: str = "sail-1", day: str = "2026-12-05", **fields: Any
) -> dict[str, Any]:
    """A scheduled sail as `sails.create_sail` leaves it: departs 4:30 PM, returns 7 PM (San Diego)."""
    return repo.put_sail(
        {
            "id": sail_id,
            "title": "Sunset sail",
            "date": day,
            "departure": f"{day}T16:30:00-08:00",
            "return": f"{day}T19:00:00-08:00",
            "sunset": f"{day}T16:44:00-08:00",
            "status": "scheduled",
            "guest_count": 0,
            **fields,
        }
    )


@pytest.fixture
def sail(repo: MemoryGuestRepository) -> dict[str, Any]:
    return a_sail(repo)


def add(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, sail_id: str, **fields: Any
) -> dict[str, Any]:
    fields.setdefault("name", "Ada Guest")
    fields.setdefault("email", "ada@example.com")
    return guests.add_guest(repo, mailer, ADMIN, sail_id, settings=SETTINGS, clock=clock, **fields)


@dataclass
class World:
    """What a test here starts from: the domain's collaborators (in memory) and one scheduled sail."""

    repo: MemoryGuestRepository
    mailer: FakeMailer
    documents: FakeDocuments
    clock: FixedClock
    sail: dict[str, Any]

    def add(self, **fields: Any) -> dict[str, Any]:
        """The admin adds a guest to the sail."""
        return add(self.repo, self.mailer, self.clock, self.sail["id"], **fields)

    def sign(self, guest_id: str, signer: Caller | None = None, **fields: Any) -> dict[str, Any]:
        """The guest (or `signer`) signs their waiver for the sail."""
        return sign(self.repo, self.mailer, self.documents, self.clock, self.sail["id"], guest_id, signer, **fields)


@pytest.fixture
def world(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> World:
    return World(repo, mailer, documents, clock, sail)


def guest_caller(sail_id: str, guest_id: str, email: str = "ada@example.com") -> Caller:
    return Caller(email=email, role="guest", jti="j", expires=0, sail_id=sail_id, guest_id=guest_id)


def sign(
    repo: MemoryGuestRepository,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail_id: str,
    guest_id: str,
    signer: Caller | None = None,
    **fields: Any,
) -> dict[str, Any]:
    fields.setdefault("full_name", "Ada Lovelace")
    fields.setdefault("accept", True)
    return waivers.sign_waiver(
        repo,
        mailer,
        documents,
        signer
        or guest_caller(
            sail_id, guest_id, str(repo.guests.get((sail_id, guest_id), {}).get("email", "ada@example.com"))
        ),
        sail_id,
        guest_id,
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (Phone)",
        settings=SETTINGS,
        clock=clock,
        **fields,
    )


# --- adding guests -------------------------------------------------------------------------
def test_added_guest_is_on_hold_and_gets_a_waiver_link_valid_until_the_return(world: World) -> None:
    # When the admin adds a guest with a party of 2
    answer = world.add(party_size=2, phone="+1 (619) 555-0100")
    guest = answer["guest"]
    # Then the guest is on hold, counted against the sail, and the change is in the history
    assert guest["status"] == "on_hold" and guest["party_size"] == 2 and answer["waiver_link_sent"] is True
    assert world.repo.sails[world.sail["id"]]["guest_count"] == 2
    history = [h for h in world.repo.history if h["action"] == "guest_added"]
    assert history and history[0]["detail"]["guest_id"] == guest["id"]
    # And one email went to the guest with a magic link whose code is for this waiver only
    [message] = world.mailer.sent
    assert message.to == ("ada@example.com",) and message.kind == "waiver_request"
    assert "Sunset sail" in message.subject and "\n" not in message.subject
    code = message.text.split("#/magic?code=")[1].split()[0].split("&")[0]
    assert f"https://crew.example/#/magic?code={code}&amp;sail={world.sail['id']}" in message.html
    stored_code = world.repo.codes[f"CODE#{hash_code(code)}"]
    assert stored_code["purpose"] == str(Purpose.waiver(world.sail["id"], guest["id"]))
    # valid until the sail's return time, not a fixed number of hours
    assert stored_code["expires_at"] == int(datetime.fromisoformat(world.sail["return"]).timestamp())


def test_capacity_counts_party_sizes_and_is_never_exceeded(world: World) -> None:
    # Given a party of 4 on a sail for 6
    world.add(party_size=4)
    # When a party of 3 is added
    with pytest.raises(ConflictError) as full:
        world.add(name="Bo", email="bo@example.com", party_size=3)
    # Then it is refused, saying how much room is left, and nothing was written
    assert full.value.code == "sail_full" and full.value.field == "party_size"
    assert "room for 2 more" in full.value.message
    assert world.repo.sails[world.sail["id"]]["guest_count"] == 4
    assert not [g for g in world.repo.guests.values() if g["email"] == "bo@example.com"]
    # And a party of 2 still fits, exactly to capacity
    world.add(name="Bo", email="bo@example.com", party_size=2)
    assert world.repo.sails[world.sail["id"]]["guest_count"] == 6
    with pytest.raises(ConflictError):
        world.add(name="Cy", email="cy@example.com")


def test_a_party_bigger_than_the_boat_is_bad_input(world: World) -> None:
    with pytest.raises(InvalidInputError) as refused:
        world.add(party_size=7)
    assert refused.value.field == "party_size"


def test_the_same_email_twice_on_a_sail_is_refused(world: World) -> None:
    world.add()
    with pytest.raises(ConflictError) as twice:
        world.add(name="Ada again", email="ADA@example.com")
    assert twice.value.code == "guest_exists" and twice.value.field == "email"
    assert world.repo.sails[world.sail["id"]]["guest_count"] == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": "two"}, "party_size"),
        ({"phone": "call me maybe"}, "phone"),
    ],
)
def test_bad_guest_input_names_the_field(world: World, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        world.add(**fields)
    assert refused.value.field == field
    assert world.repo.sails[world.sail["id"]]["guest_count"] == 0 and not world.mailer.sent


def test_no_guests_on_a_cancelled_returned_or_missing_sail(world: World) -> None:
    with pytest.raises(SailNotFoundError):
        add(world.repo, world.mailer, world.clock, "nope")
    later = FixedClock(datetime.fromisoformat(world.sail["return"]) + timedelta(minutes=1))
    with pytest.raises(ConflictError) as returned:
        add(world.repo, world.mailer, later, world.sail["id"])
    assert returned.value.code == "sail_returned"
    world.repo.sails[world.sail["id"]]["status"] = "cancelled"
    with pytest.raises(ConflictError) as cancelled:
        world.add()
    assert cancelled.value.code == "sail_cancelled"


def test_guest_stays_added_when_the_link_cannot_be_mailed_and_resend_replaces_the_link(world: World) -> None:
    # Given SES fails while a guest is added
    world.mailer.failures = 1
    answer = world.add()
    # Then the guest is added anyway and the admin is told to resend
    assert answer["waiver_link_sent"] is False and "Resend" in answer["message"]
    guest_id = answer["guest"]["id"]
    assert world.repo.guests[(world.sail["id"], guest_id)]["status"] == "on_hold"
    first_code = next(iter(world.repo.codes.values()))
    # When the admin resends
    resent = guests.resend_waiver_link(
        world.repo, world.mailer, ADMIN, world.sail["id"], guest_id, settings=SETTINGS, clock=world.clock
    )
    # Then a new link goes out and the earlier code no longer works
    assert resent["waiver_link_sent"] is True and len(world.mailer.sent) == 1
    assert world.repo.codes[first_code["pk"]]["revoked"] is True


# --- signing -------------------------------------------------------------------------------
@pytest.fixture
def guest_id(world: World) -> str:
    answer = world.add(party_size=2)
    world.mailer.sent.clear()
    return str(answer["guest"]["id"])


def test_signing_records_who_when_where_version_and_hash_then_confirms(world: World, guest_id: str) -> None:
    current = waiver_text.load_waiver()
    # When the guest signs
    answer = world.sign(guest_id)
    # Then they are confirmed
    assert answer["status"] == "signed" and answer["guest"]["status"] == "confirmed"
    assert world.repo.guests[(world.sail["id"], guest_id)]["signed_at"] == "2026-11-23T18:00:00+00:00"
    # And the signature holds who, when, IP, user agent, version and the text's SHA-256
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    assert record["full_name"] == "Ada Lovelace" and record["signed_at"] == "2026-11-23T18:00:00+00:00"
    assert record["ip"] == "203.0.113.7" and record["user_agent"] == "Mozilla/5.0 (Phone)"
    assert record["version"] == current.version
    assert record["text_sha256"] == hashlib.sha256(current.text.encode()).hexdigest() == current.sha256
    assert record["signer_email"] == "ada@example.com"
    # And the signed copy is in the bucket and in the guest's mail, with the exact text and hash
    [key] = world.documents.objects
    assert key == record["object_key"] and key.startswith(f"waivers/{world.sail['id']}/{guest_id}/{current.version}-")
    copy = world.documents.objects[key].decode()
    assert current.text.strip() in copy and current.sha256 in copy and "Ada Lovelace" in copy
    assert world.documents.metadata[key]["waiver-sha256"] == current.sha256
    [message] = world.mailer.sent
    assert message.kind == "waiver_signed" and message.to == ("ada@example.com",)
    assert current.sha256 in message.text and "Ada Lovelace" in message.text
    # And the stored copy names the message that mailed it: it is the record of the delivery,
    # so the signature needs no flags written after the signing transaction
    assert world.documents.metadata[key]["ses-message-id"] == "message-1"
    assert "copy_stored" not in record and "copy_emailed" not in record
    assert answer["copy_stored"] is True and answer["copy_emailed"] is True
    assert any(h["action"] == "waiver_signed" for h in world.repo.history)


def test_signing_twice_is_a_no_op_that_says_already_signed(world: World, guest_id: str) -> None:
    world.sign(guest_id)
    first = dict(world.repo.signatures[(world.sail["id"], guest_id)])
    world.clock.now += timedelta(minutes=5)
    again = world.sign(guest_id, full_name="Someone Else")
    assert again["status"] == "already signed" and "Already signed" in again["message"]
    # The signature is unchanged; the second look found the copy in the bucket, so it is no
    # longer listed as owed (it was, from the signing until someone saw it delivered)
    now = world.repo.signatures[(world.sail["id"], guest_id)]
    bookkeeping = {"copy_owed", "copy_stored", "copy_emailed"}
    assert {k: v for k, v in now.items() if k not in bookkeeping} == {
        k: v for k, v in first.items() if k not in bookkeeping
    }
    assert first["copy_owed"] is True and now["copy_owed"] is False
    assert len(world.mailer.sent) == 1 and len(world.documents.objects) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"accept": False}, "accept"),
        ({"accept": "true"}, "accept"),  # only a real "yes" counts
        ({"accept": None}, "accept"),
        ({"minor": True}, "guardian_name"),
    ],
)
def test_bad_signatures_are_refused_with_the_reason(
    world: World,
    guest_id: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        world.sign(guest_id, **fields)
    assert refused.value.field == field and refused.value.message
    assert world.repo.guests[(world.sail["id"], guest_id)]["status"] == "on_hold"
    assert (world.sail["id"], guest_id) not in world.repo.signatures and not world.documents.objects


def test_a_minor_is_signed_for_by_a_guardian(world: World, guest_id: str) -> None:
    world.sign(guest_id, minor=True, guardian_name="Grace Parent")
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    assert record["minor"] is True and record["guardian_name"] == "Grace Parent"
    assert "guardian: Grace Parent" in next(iter(world.documents.objects.values())).decode()


def test_only_the_guest_itself_can_sign(world: World, guest_id: str) -> None:
    other = world.add(name="Bo", email="bo@example.com")["guest"]["id"]
    intruders = [
        guest_caller(world.sail["id"], other, "bo@example.com"),  # another guest of the same sail
        guest_caller("another-sail", guest_id),
        Caller(email=ADMIN, role="admin", jti="j", expires=0),  # an admin cannot sign for a guest
    ]
    for intruder in intruders:
        with pytest.raises(ForbiddenError):
            world.sign(guest_id, signer=intruder)
    assert world.repo.guests[(world.sail["id"], guest_id)]["status"] == "on_hold"


def test_a_guest_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(GuestNotFoundError):
        world.sign("ghost")
    with pytest.raises(GuestNotFoundError):
        waivers.get_guest_record(world.repo, world.sail["id"], "ghost")


def test_when_the_mail_fails_the_signature_stands_and_a_retry_finishes_it(world: World, guest_id: str) -> None:
    # Given SES fails right after the signature is written (the email goes first, so nothing is stored)
    world.mailer.failures = 1
    answer = world.sign(guest_id)
    # Then the guest is confirmed, and told the copy is still owed
    assert answer["status"] == "signed" and answer["guest"]["status"] == "confirmed"
    assert answer["copy_stored"] is False and answer["copy_emailed"] is False
    assert "could not be stored or emailed" in answer["message"] and not world.documents.objects
    # And the record says so, and lets go of the lease so a retry may start at once
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    assert record["copy_emailed"] is False and "copy_lease_until" not in record
    view = waivers.get_guest_record(world.repo, world.sail["id"], guest_id)
    assert view["signature"]["copy_emailed"] is False
    # When the guest posts again a moment later
    world.clock.now += timedelta(seconds=5)
    again = world.sign(guest_id)
    # Then the same signature is completed: mailed once, stored once, and the record says so
    assert again["status"] == "already signed" and again["copy_stored"] and again["copy_emailed"]
    assert list(world.documents.objects) == [record["object_key"]] and len(world.mailer.sent) == 1
    assert world.repo.signatures[(world.sail["id"], guest_id)]["signed_at"] == record["signed_at"]
    view = waivers.get_guest_record(world.repo, world.sail["id"], guest_id)
    assert view["signature"]["copy_emailed"] is True and view["signature"]["copy_stored"] is True


def test_when_the_bucket_fails_after_the_email_a_retry_stores_the_copy_without_mailing_it_again(
    world: World,
    guest_id: str,
) -> None:
    # Given S3 fails once the copy has been emailed
    world.documents.failures = 1
    answer = world.sign(guest_id)
    # Then the guest is confirmed and has the copy by email; the answer says storing it is owed
    assert answer["status"] == "signed" and answer["copy_emailed"] is True and answer["copy_stored"] is False
    assert "sign again later" in answer["message"] and len(world.mailer.sent) == 1 and not world.documents.objects
    # And the record names the message that went out, and lets go of the lease
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    assert (record["copy_emailed"], record["copy_stored"], record["copy_message_id"]) == (True, False, "message-1")
    assert "copy_lease_until" not in record
    # When the guest posts again
    world.clock.now += timedelta(seconds=5)
    again = world.sign(guest_id)
    # Then the copy is stored, naming the first message, and nothing is mailed again
    assert again["status"] == "already signed" and again["copy_stored"] and again["copy_emailed"]
    assert list(world.documents.objects) == [record["object_key"]] and len(world.mailer.sent) == 1
    assert world.documents.metadata[record["object_key"]]["ses-message-id"] == "message-1"
    assert world.repo.signatures[(world.sail["id"], guest_id)]["copy_stored"] is True


def test_a_stored_copy_is_never_overwritten_by_a_retry(world: World, guest_id: str) -> None:
    # Given the copy was emailed and stored, but the record still says storing it is owed
    # (the record of a failed put, then a retry whose put landed but whose answer was lost)
    world.sign(guest_id)
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    record.update(copy_stored=False, copy_emailed=True, copy_message_id="message-1")
    record.pop("copy_lease_until")
    key = record["object_key"]
    original = world.documents.objects[key]
    # When a retry runs
    answer = waiver_copies.complete_waiver_copies(
        CopyDelivery(world.repo, world.mailer, world.documents, SETTINGS, world.clock), world.sail["id"], guest_id
    )
    # Then the object is the original, nothing is mailed again, and the copy counts as stored
    assert world.documents.objects[key] == original and len(world.mailer.sent) == 1
    assert answer is not None and answer["copy_stored"] is True and answer["copy_emailed"] is True
    # And S3's refusal to overwrite holds for any later put of the key
    assert world.documents.put_new(key, b"tampered") is False and world.documents.objects[key] == original


def test_a_signature_from_before_the_copy_named_its_message_gets_its_email_once(world: World, guest_id: str) -> None:
    # Given a signature recorded as stored but not emailed, whose copy carries no message id
    # (how the flags were written before the stored copy became the record of the delivery)
    world.sign(guest_id)
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    record.update(copy_stored=True, copy_emailed=False)
    record.pop("copy_lease_until")
    world.documents.metadata[record["object_key"]].pop("ses-message-id")
    original = world.documents.objects[record["object_key"]]
    world.mailer.sent.clear()
    # When the guest signs again
    answer = world.sign(guest_id)
    # Then the copy is emailed once, the stored copy is untouched, and the record says emailed
    assert len(world.mailer.sent) == 1 and answer["copy_emailed"] is True and answer["copy_stored"] is True
    assert world.documents.objects[record["object_key"]] == original
    assert world.repo.signatures[(world.sail["id"], guest_id)]["copy_emailed"] is True
    world.sign(guest_id)
    assert len(world.mailer.sent) == 1


def test_a_double_submit_does_not_mail_the_copy_twice(world: World, guest_id: str) -> None:
    # Given a first request has signed and is mailing and storing the copy (it holds the lease)
    world.sign(guest_id)
    record = world.repo.signatures[(world.sail["id"], guest_id)]
    record.update(copy_lease_until=int(world.clock.now.timestamp()) + 60)
    world.documents.objects.clear()
    world.mailer.sent.clear()
    # When the second click arrives meanwhile
    second = world.sign(guest_id)
    # Then it says already signed, copy on its way, and sends nothing itself
    assert second["status"] == "already signed" and "on its way" in second["message"] and not world.mailer.sent
    # And once the lease has lapsed (the first request died), a retry takes over
    world.clock.now += timedelta(seconds=waiver_copies.COPY_LEASE_SECONDS + 1)
    world.sign(guest_id)
    assert len(world.mailer.sent) == 1


def test_no_signing_on_a_cancelled_sail(world: World, guest_id: str) -> None:
    world.repo.sails[world.sail["id"]]["status"] = "cancelled"
    with pytest.raises(ConflictError):
        world.sign(guest_id)
    assert world.repo.guests[(world.sail["id"], guest_id)]["status"] == "on_hold"


# --- reading ------------------------------------------------------------------------------
def test_the_guest_record_carries_the_sail_times_and_then_the_signature(world: World, guest_id: str) -> None:
    before = waivers.get_guest_record(world.repo, world.sail["id"], guest_id)
    assert before["guest"]["status"] == "on_hold" and before["signature"] is None
    assert before["sail"]["departure"] == world.sail["departure"] and before["sail"]["return"] == world.sail["return"]
    world.sign(guest_id)
    after = waivers.get_guest_record(world.repo, world.sail["id"], guest_id)
    assert after["guest"]["status"] == "confirmed"
    assert after["signature"]["text_sha256"] == waiver_text.load_waiver().sha256
    assert "ip" not in after["signature"]


def test_the_manifest_lists_guests_and_hides_contacts_from_crew(world: World, guest_id: str) -> None:
    # Given a sail whose captain slot is held by cap@example.com and crew-1 by crew@example.com
    world.repo.sails[world.sail["id"]]["holders"] = {"cap@example.com captain", "crew@example.com crew-1"}
    crew = Caller(email="crew@example.com", role="crew", jti="c", expires=0)
    crew_view = guests.list_guests(world.repo, world.sail["id"], caller=crew, settings=SETTINGS)
    # Then crew see names and status, not the address (nor a phone)
    assert crew_view["guest_capacity"] == 6 and crew_view["guest_count"] == 2
    [guest] = crew_view["guests"]
    assert guest["status"] == "on_hold" and "email" not in guest and "phone" not in guest
    # And an admin and the sail's captain see the contact details
    admin = Caller(email="admin@example.com", role="admin", jti="a", expires=0)
    captain = Caller(email="CAP@example.com", role="crew", jti="k", expires=0)
    for who in (admin, captain):
        view = guests.list_guests(world.repo, world.sail["id"], caller=who, settings=SETTINGS)
        assert view["guests"][0]["email"] == "ada@example.com", who
    # And the captain of another sail does not
    elsewhere = Caller(email="crew@example.com", role="crew", jti="x", expires=0)
    world.repo.sails[world.sail["id"]]["holders"] = {"other@example.com captain"}
    assert (
        "email"
        not in guests.list_guests(world.repo, world.sail["id"], caller=elsewhere, settings=SETTINGS)["guests"][0]
    )


# --- versions of the waiver text -------------------------------------------------------------
def test_the_shipped_waiver_matches_its_published_hash() -> None:
    index = json.loads((waiver_text.WAIVER_DIR / "index.json").read_text())
    for version, entry in index["versions"].items():
        raw = (waiver_text.WAIVER_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"], f"{version} was edited in place"
    assert waiver_text.load_waiver().version == index["current"]


def _publish(directory: Path, version: str, text: str, *, current: bool = True) -> None:
    index_path = directory / "index.json"
    index = json.loads(index_path.read_text())
    (directory / f"waiver-{version}.txt").write_text(text, encoding="utf-8")
    index["versions"][version] = {"file": f"waiver-{version}.txt", "sha256": hashlib.sha256(text.encode()).hexdigest()}
    if current:
        index["current"] = version
    index_path.write_text(json.dumps(index))


def test_a_new_waiver_text_is_a_new_version_for_new_signatures_only(
    world: World,
    guest_id: str,
    tmp_path: Path,
) -> None:
    directory = tmp_path / "waiver"
    shutil.copytree(waiver_text.WAIVER_DIR, directory)
    v1 = waiver_text.load_waiver(directory=directory)
    # Given Ada signs the waiver as it is
    world.sign(guest_id, waiver_dir=directory)
    ada_before = dict(world.repo.signatures[(world.sail["id"], guest_id)])
    ada_copy = dict(world.documents.objects)
    # When the owner publishes a changed text
    _publish(directory, "v2", v1.text + "\n9. Pets stay ashore.\n")
    v2 = waiver_text.load_waiver(directory=directory)
    # Then the current version and its hash change
    assert v2.version == "v2" and v2.sha256 != v1.sha256
    # And a new signature records the new version and hash
    bo = world.add(name="Bo", email="bo@example.com")["guest"]["id"]
    sign(
        world.repo,
        world.mailer,
        world.documents,
        world.clock,
        world.sail["id"],
        bo,
        signer=guest_caller(world.sail["id"], bo, "bo@example.com"),
        waiver_dir=directory,
    )
    bo_record = world.repo.signatures[(world.sail["id"], bo)]
    assert (bo_record["version"], bo_record["text_sha256"]) == ("v2", v2.sha256)
    assert "Pets stay ashore" in world.documents.objects[bo_record["object_key"]].decode()
    # While Ada's signature and stored copy are untouched, and her version is still readable
    assert world.repo.signatures[(world.sail["id"], guest_id)] == ada_before
    assert all(world.documents.objects[key] == body for key, body in ada_copy.items())
    assert (ada_before["version"], ada_before["text_sha256"]) == ("v1", v1.sha256)
    assert waiver_text.load_waiver("v1", directory=directory).sha256 == v1.sha256


def test_a_published_text_edited_in_place_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "waiver"
    shutil.copytree(waiver_text.WAIVER_DIR, directory)
    current = json.loads((directory / "index.json").read_text())["current"]
    with (directory / f"waiver-{current}.txt").open("a", encoding="utf-8") as text:
        text.write("\nA sneaky extra clause.\n")
    with pytest.raises(ConfigurationError) as refused:
        waiver_text.load_waiver(directory=directory)
    assert "publish a new version" in refused.value.message


def test_a_request_holding_a_stale_record_does_not_mail_the_copy_again(world: World, guest_id: str) -> None:
    # Given a second click read the signature and looked in the bucket before the first click
    # stored its copy, then stalled past the first click's lease
    world.sign(guest_id)
    stale = {**world.repo.signatures[(world.sail["id"], guest_id)], "copy_stored": False, "copy_emailed": False}
    stale.pop("copy_lease_until", None)
    world.clock.now += timedelta(seconds=waiver_copies.COPY_LEASE_SECONDS + 1)
    looked, looks = world.documents.head, []

    def first_look_missed(key: str) -> dict[str, str] | None:
        looks.append(key)
        return None if len(looks) == 1 else looked(key)

    world.documents.head = first_look_missed  # type: ignore[method-assign]
    # When it goes on with that stale record after the first click is done
    guest = world.repo.guests[(world.sail["id"], guest_id)]
    how = CopyDelivery(world.repo, world.mailer, world.documents, SETTINGS, world.clock)
    answer = waiver_copies.finish(how, stale, guest, world.repo.sails[world.sail["id"]], already=True)
    # Then it takes the lease, looks again, sends nothing more and reports the copy as done
    assert len(world.mailer.sent) == 1 and answer["copy_stored"] and answer["copy_emailed"]
    assert len(looks) == 2 and len(world.documents.objects) == 1


def test_a_second_click_that_cannot_look_in_the_bucket_sends_nothing_and_says_so(world: World, guest_id: str) -> None:
    # Given a signed waiver whose copy went out, and S3 failing when the guest signs again
    world.sign(guest_id)
    world.clock.now += timedelta(seconds=waiver_copies.COPY_LEASE_SECONDS + 1)
    world.documents.head_failures = 1
    # When the guest signs again
    again = world.sign(guest_id)
    # Then they are told it is signed and to check back, and no second copy is mailed
    assert again["status"] == "already signed" and "could not check on your copy" in again["message"]
    assert len(world.mailer.sent) == 1 and len(world.documents.objects) == 1


def test_round_trips_of_adding_and_signing(world: World) -> None:
    # (each repository call is one DynamoDB round trip: tests/integration/test_repository_guests.py)
    # Adding: the sail and the link's pointer in one read, one transaction holding the waiver code
    world.repo.calls.clear()
    guest_id = world.add()["guest"]["id"]
    assert world.repo.calls == ["read", "add_booking"]
    # Resending: sail, guest and pointer in one read, one transaction (new code, old one revoked)
    world.repo.calls.clear()
    guests.resend_waiver_link(
        world.repo, world.mailer, ADMIN, world.sail["id"], guest_id, settings=SETTINGS, clock=world.clock
    )
    assert world.repo.calls == ["read", "reissue_waiver_link"]
    # Signing: one read, one transaction; the copy is mailed and stored with nothing more
    # written (the stored copy is the record of its delivery; its lease simply runs out)
    world.repo.calls.clear()
    answer = world.sign(guest_id)
    assert world.repo.calls == ["read", "record_signature"]
    assert answer["copy_stored"] and answer["copy_emailed"] and world.documents.heads == 0
    # Signing again: one read and one look in the bucket, nothing sent; the first such look
    # unlists the copy (listed as owed since the signing), a later one writes nothing
    world.repo.calls.clear()
    world.sign(guest_id)
    assert world.repo.calls == ["read", "unlist_copy"] and world.documents.heads == 1
    world.repo.calls.clear()
    sent = len(world.mailer.sent)
    world.sign(guest_id)
    assert world.repo.calls == ["read"] and world.documents.heads == 2 and len(world.mailer.sent) == sent


def test_a_signature_whose_answer_was_lost_after_its_commit_is_finished_by_its_request(
    world: World,
    guest_id: str,
) -> None:
    # Given the signing transaction commits but its answer is lost (a timeout after the commit)
    world.repo.lose_answer.add("record_signature")
    # When the guest signs
    answer = world.sign(guest_id)
    # Then the request finds its own signature in place and delivers the copy once
    assert answer["status"] == "signed" and answer["copy_stored"] and answer["copy_emailed"]
    assert len(world.mailer.sent) == 1 and len(world.documents.objects) == 1
    assert world.repo.calls[-2:] == ["record_signature", "signature"]


def test_a_failed_signing_write_asks_to_try_again_and_leaves_nothing_half_done(world: World, guest_id: str) -> None:
    # Given the signing write fails before anything is written
    world.repo.fail_next["record_signature"] = ServiceUnavailableError("The database is busy; please try again.")
    # When the guest signs
    with pytest.raises(ServiceUnavailableError):
        world.sign(guest_id)
    # Then nothing was written and nothing sent: signing again works
    assert (world.sail["id"], guest_id) not in world.repo.signatures and not world.mailer.sent
    assert world.sign(guest_id)["status"] == "signed"
