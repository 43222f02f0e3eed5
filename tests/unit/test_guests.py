"""Guests and waivers, the domain alone: in-memory store, mailer and bucket, a fixed clock."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from quarterdeck import guests, keys
from quarterdeck.auth import Caller, Purpose, hash_code
from quarterdeck.config import Settings
from quarterdeck.errors import (
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GuestNotFoundError,
    InvalidInputError,
    SailNotFoundError,
)
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.sails import cancel_sail, create_sail
from tests.unit.fakes import FakeDocuments, FakeMailer, FakeStore, FixedClock

SETTINGS = Settings(app_url="https://crew.example", guest_capacity=6)
ADMIN = "admin@example.com"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sail(store: FakeStore, clock: FixedClock) -> dict[str, Any]:
    return create_sail(
        DynamoSailRepository(store), ADMIN, date="2026-12-05", title="Sunset sail", clock=clock, settings=SETTINGS
    )  # type: ignore[arg-type]


def add(store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail_id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "Ada Guest")
    fields.setdefault("email", "ada@example.com")
    return guests.add_guest(store, mailer, ADMIN, sail_id, settings=SETTINGS, clock=clock, **fields)  # type: ignore[arg-type]


def guest_caller(sail_id: str, guest_id: str, email: str = "ada@example.com") -> Caller:
    return Caller(email=email, role="guest", jti="j", expires=0, sail_id=sail_id, guest_id=guest_id)


def sign(
    store: FakeStore,
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
    return guests.sign_waiver(
        store,  # type: ignore[arg-type]
        mailer,
        documents,
        signer or guest_caller(sail_id, guest_id),
        sail_id,
        guest_id,
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (Phone)",
        settings=SETTINGS,
        clock=clock,
        **fields,
    )


def meta_of(store: FakeStore, sail_id: str) -> dict[str, Any]:
    return store.items[keys.sail(sail_id)]


# --- adding guests -------------------------------------------------------------------------
def test_added_guest_is_on_hold_and_gets_a_waiver_link_valid_until_the_return(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # When the admin adds a guest with a party of 2
    answer = add(store, mailer, clock, sail["id"], party_size=2, phone="+1 (619) 555-0100")
    guest = answer["guest"]
    # Then the guest is on hold, counted against the sail, and the change is in the history
    assert guest["status"] == "on_hold" and guest["party_size"] == 2 and answer["waiver_link_sent"] is True
    assert meta_of(store, sail["id"])["guest_count"] == 2
    history = [i for i in store.items.values() if i.get("type") == "history" and i["action"] == "guest_added"]
    assert history and history[0]["detail"]["guest_id"] == guest["id"]
    # And one email went to the guest with a magic link whose code is for this waiver only
    [message] = mailer.sent
    assert message.to == ("ada@example.com",) and message.kind == "waiver_request"
    assert "Sunset sail" in message.subject and "\n" not in message.subject
    code = message.text.split("#/magic?code=")[1].split()[0]
    assert f"https://crew.example/#/magic?code={code}" in message.html
    stored_code = store.items[(f"CODE#{hash_code(code)}", "META")]
    assert stored_code["purpose"] == str(Purpose.waiver(sail["id"], guest["id"]))
    # valid until the sail's return time, not a fixed number of hours
    assert stored_code["expires_at"] == int(datetime.fromisoformat(sail["return"]).timestamp())


def test_capacity_counts_party_sizes_and_is_never_exceeded(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # Given a party of 4 on a sail for 6
    add(store, mailer, clock, sail["id"], party_size=4)
    # When a party of 3 is added
    with pytest.raises(ConflictError) as full:
        add(store, mailer, clock, sail["id"], name="Bo", email="bo@example.com", party_size=3)
    # Then it is refused, saying how much room is left, and nothing was written
    assert full.value.code == "sail_full" and full.value.field == "party_size"
    assert "room for 2 more" in full.value.message
    assert meta_of(store, sail["id"])["guest_count"] == 4
    assert not [i for i in store.items.values() if i.get("email") == "bo@example.com"]
    # And a party of 2 still fits, exactly to capacity
    add(store, mailer, clock, sail["id"], name="Bo", email="bo@example.com", party_size=2)
    assert meta_of(store, sail["id"])["guest_count"] == 6
    with pytest.raises(ConflictError):
        add(store, mailer, clock, sail["id"], name="Cy", email="cy@example.com")


def test_a_party_bigger_than_the_boat_is_bad_input(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        add(store, mailer, clock, sail["id"], party_size=7)
    assert refused.value.field == "party_size"


def test_the_same_email_twice_on_a_sail_is_refused(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    add(store, mailer, clock, sail["id"])
    with pytest.raises(ConflictError) as twice:
        add(store, mailer, clock, sail["id"], name="Ada again", email="ADA@example.com")
    assert twice.value.code == "guest_exists" and twice.value.field == "email"
    assert meta_of(store, sail["id"])["guest_count"] == 1


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
def test_bad_guest_input_names_the_field(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        add(store, mailer, clock, sail["id"], **fields)
    assert refused.value.field == field
    assert meta_of(store, sail["id"])["guest_count"] == 0 and not mailer.sent


def test_no_guests_on_a_cancelled_returned_or_missing_sail(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    with pytest.raises(SailNotFoundError):
        add(store, mailer, clock, "nope")
    later = FixedClock(datetime.fromisoformat(sail["return"]) + timedelta(minutes=1))
    with pytest.raises(ConflictError) as returned:
        add(store, mailer, later, sail["id"])
    assert returned.value.code == "sail_returned"
    cancel_sail(DynamoSailRepository(store), ADMIN, sail["id"], mailer=mailer, clock=clock, settings=SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(ConflictError) as cancelled:
        add(store, mailer, clock, sail["id"])
    assert cancelled.value.code == "sail_cancelled"


def test_guest_stays_added_when_the_link_cannot_be_mailed_and_resend_replaces_the_link(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # Given SES fails while a guest is added
    mailer.failures = 1
    answer = add(store, mailer, clock, sail["id"])
    # Then the guest is added anyway and the admin is told to resend
    assert answer["waiver_link_sent"] is False and "Resend" in answer["message"]
    guest_id = answer["guest"]["id"]
    assert store.items[keys.guest(sail["id"], guest_id)]["status"] == "on_hold"
    first_code = next(i for i in store.items.values() if i.get("type") == "code")
    # When the admin resends
    resent = guests.resend_waiver_link(store, mailer, ADMIN, sail["id"], guest_id, settings=SETTINGS, clock=clock)  # type: ignore[arg-type]
    # Then a new link goes out and the earlier code no longer works
    assert resent["waiver_link_sent"] is True and len(mailer.sent) == 1
    assert store.items[(first_code["pk"], "META")]["revoked"] is True


# --- signing -------------------------------------------------------------------------------
@pytest.fixture
def guest_id(store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any]) -> str:
    answer = add(store, mailer, clock, sail["id"], party_size=2)
    mailer.sent.clear()
    return str(answer["guest"]["id"])


def test_signing_records_who_when_where_version_and_hash_then_confirms(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    current = guests.load_waiver()
    # When the guest signs
    answer = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then they are confirmed
    assert answer["status"] == "signed" and answer["guest"]["status"] == "confirmed"
    assert store.items[keys.guest(sail["id"], guest_id)]["signed_at"] == "2026-11-23T18:00:00+00:00"
    # And the signature holds who, when, IP, user agent, version and the text's SHA-256
    record = store.items[keys.waiver(sail["id"], guest_id)]
    assert record["full_name"] == "Ada Lovelace" and record["signed_at"] == "2026-11-23T18:00:00+00:00"
    assert record["ip"] == "203.0.113.7" and record["user_agent"] == "Mozilla/5.0 (Phone)"
    assert record["version"] == current.version
    assert record["text_sha256"] == hashlib.sha256(current.text.encode()).hexdigest() == current.sha256
    assert record["signer_email"] == "ada@example.com"
    # And the signed copy is in the bucket and in the guest's mail, with the exact text and hash
    [key] = documents.objects
    assert key == record["object_key"] and key.startswith(f"waivers/{sail['id']}/{guest_id}/{current.version}-")
    copy = documents.objects[key].decode()
    assert current.text.strip() in copy and current.sha256 in copy and "Ada Lovelace" in copy
    assert documents.metadata[key]["waiver-sha256"] == current.sha256
    [message] = mailer.sent
    assert message.kind == "waiver_signed" and message.to == ("ada@example.com",)
    assert current.sha256 in message.text and "Ada Lovelace" in message.text
    # And the stored copy names the message that mailed it: it is the record of the delivery,
    # so the signature needs no flags written after the signing transaction
    assert documents.metadata[key]["ses-message-id"] == "message-1"
    assert "copy_stored" not in record and "copy_emailed" not in record
    assert answer["copy_stored"] is True and answer["copy_emailed"] is True
    assert any(i.get("action") == "waiver_signed" for i in store.items.values())


def test_signing_twice_is_a_no_op_that_says_already_signed(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    first = dict(store.items[keys.waiver(sail["id"], guest_id)])
    clock.now += timedelta(minutes=5)
    again = sign(store, mailer, documents, clock, sail["id"], guest_id, full_name="Someone Else")
    assert again["status"] == "already signed" and "Already signed" in again["message"]
    # The signature is unchanged; the second look found the copy in the bucket, so it is no
    # longer listed as owed (it was, from the signing until someone saw it delivered)
    now = store.items[keys.waiver(sail["id"], guest_id)]
    bookkeeping = {"gsi1pk", "gsi1sk", "copy_stored", "copy_emailed"}
    assert {k: v for k, v in now.items() if k not in bookkeeping} == {
        k: v for k, v in first.items() if k not in bookkeeping
    }
    assert first["gsi1pk"] == keys.OWED_WAIVER_COPIES and "gsi1pk" not in now
    assert len(mailer.sent) == 1 and len(documents.objects) == 1


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
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        sign(store, mailer, documents, clock, sail["id"], guest_id, **fields)
    assert refused.value.field == field and refused.value.message
    assert store.items[keys.guest(sail["id"], guest_id)]["status"] == "on_hold"
    assert keys.waiver(sail["id"], guest_id) not in store.items and not documents.objects


def test_a_minor_is_signed_for_by_a_guardian(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    sign(store, mailer, documents, clock, sail["id"], guest_id, minor=True, guardian_name="Grace Parent")
    record = store.items[keys.waiver(sail["id"], guest_id)]
    assert record["minor"] is True and record["guardian_name"] == "Grace Parent"
    assert "guardian: Grace Parent" in next(iter(documents.objects.values())).decode()


def test_only_the_guest_itself_can_sign(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    other = add(store, mailer, clock, sail["id"], name="Bo", email="bo@example.com")["guest"]["id"]
    intruders = [
        guest_caller(sail["id"], other, "bo@example.com"),  # another guest of the same sail
        guest_caller("another-sail", guest_id),
        Caller(email=ADMIN, role="admin", jti="j", expires=0),  # an admin cannot sign for a guest
    ]
    for intruder in intruders:
        with pytest.raises(ForbiddenError):
            sign(store, mailer, documents, clock, sail["id"], guest_id, signer=intruder)
    assert store.items[keys.guest(sail["id"], guest_id)]["status"] == "on_hold"


def test_a_guest_that_does_not_exist_is_not_found(
    store: FakeStore, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    with pytest.raises(GuestNotFoundError):
        sign(store, mailer, documents, clock, sail["id"], "ghost")
    with pytest.raises(GuestNotFoundError):
        guests.get_guest_record(store, sail["id"], "ghost")  # type: ignore[arg-type]


def test_when_the_mail_fails_the_signature_stands_and_a_retry_finishes_it(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given SES fails right after the signature is written (the email goes first, so nothing is stored)
    mailer.failures = 1
    answer = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then the guest is confirmed, and told the copy is still owed
    assert answer["status"] == "signed" and answer["guest"]["status"] == "confirmed"
    assert answer["copy_stored"] is False and answer["copy_emailed"] is False
    assert "could not be stored or emailed" in answer["message"] and not documents.objects
    # And the record says so, and lets go of the lease so a retry may start at once
    record = store.items[keys.waiver(sail["id"], guest_id)]
    assert record["copy_emailed"] is False and "copy_lease_until" not in record
    view = guests.get_guest_record(store, sail["id"], guest_id)  # type: ignore[arg-type]
    assert view["signature"]["copy_emailed"] is False
    # When the guest posts again a moment later
    clock.now += timedelta(seconds=5)
    again = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then the same signature is completed: mailed once, stored once, and the record says so
    assert again["status"] == "already signed" and again["copy_stored"] and again["copy_emailed"]
    assert list(documents.objects) == [record["object_key"]] and len(mailer.sent) == 1
    assert store.items[keys.waiver(sail["id"], guest_id)]["signed_at"] == record["signed_at"]
    view = guests.get_guest_record(store, sail["id"], guest_id)  # type: ignore[arg-type]
    assert view["signature"]["copy_emailed"] is True and view["signature"]["copy_stored"] is True


def test_when_the_bucket_fails_after_the_email_a_retry_stores_the_copy_without_mailing_it_again(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given S3 fails once the copy has been emailed
    documents.failures = 1
    answer = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then the guest is confirmed and has the copy by email; the answer says storing it is owed
    assert answer["status"] == "signed" and answer["copy_emailed"] is True and answer["copy_stored"] is False
    assert "sign again later" in answer["message"] and len(mailer.sent) == 1 and not documents.objects
    # And the record names the message that went out, and lets go of the lease
    record = store.items[keys.waiver(sail["id"], guest_id)]
    assert (record["copy_emailed"], record["copy_stored"], record["copy_message_id"]) == (True, False, "message-1")
    assert "copy_lease_until" not in record
    # When the guest posts again
    clock.now += timedelta(seconds=5)
    again = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then the copy is stored, naming the first message, and nothing is mailed again
    assert again["status"] == "already signed" and again["copy_stored"] and again["copy_emailed"]
    assert list(documents.objects) == [record["object_key"]] and len(mailer.sent) == 1
    assert documents.metadata[record["object_key"]]["ses-message-id"] == "message-1"
    assert store.items[keys.waiver(sail["id"], guest_id)]["copy_stored"] is True


def test_a_stored_copy_is_never_overwritten_by_a_retry(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given the copy was emailed and stored, but the record still says storing it is owed
    # (the record of a failed put, then a retry whose put landed but whose answer was lost)
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    record = store.items[keys.waiver(sail["id"], guest_id)]
    record.update(copy_stored=False, copy_emailed=True, copy_message_id="message-1")
    record.pop("copy_lease_until")
    key = record["object_key"]
    original = documents.objects[key]
    # When a retry runs
    answer = guests.complete_waiver_copies(
        store,  # type: ignore[arg-type]
        mailer,
        documents,
        sail["id"],
        guest_id,
        settings=SETTINGS,
        clock=clock,
    )
    # Then the object is the original, nothing is mailed again, and the copy counts as stored
    assert documents.objects[key] == original and len(mailer.sent) == 1
    assert answer is not None and answer["copy_stored"] is True and answer["copy_emailed"] is True
    # And S3's refusal to overwrite holds for any later put of the key
    assert documents.put_new(key, b"tampered") is False and documents.objects[key] == original


def test_a_signature_from_before_the_copy_named_its_message_gets_its_email_once(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given a signature recorded as stored but not emailed, whose copy carries no message id
    # (how the flags were written before the stored copy became the record of the delivery)
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    record = store.items[keys.waiver(sail["id"], guest_id)]
    record.update(copy_stored=True, copy_emailed=False)
    record.pop("copy_lease_until")
    documents.metadata[record["object_key"]].pop("ses-message-id")
    original = documents.objects[record["object_key"]]
    mailer.sent.clear()
    # When the guest signs again
    answer = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then the copy is emailed once, the stored copy is untouched, and the record says emailed
    assert len(mailer.sent) == 1 and answer["copy_emailed"] is True and answer["copy_stored"] is True
    assert documents.objects[record["object_key"]] == original
    assert store.items[keys.waiver(sail["id"], guest_id)]["copy_emailed"] is True
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert len(mailer.sent) == 1


def test_a_double_submit_does_not_mail_the_copy_twice(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given a first request has signed and is mailing and storing the copy (it holds the lease)
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    record = store.items[keys.waiver(sail["id"], guest_id)]
    record.update(copy_lease_until=int(clock.now.timestamp()) + 60)
    documents.objects.clear()
    mailer.sent.clear()
    # When the second click arrives meanwhile
    second = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then it says already signed, copy on its way, and sends nothing itself
    assert second["status"] == "already signed" and "on its way" in second["message"] and not mailer.sent
    # And once the lease has lapsed (the first request died), a retry takes over
    clock.now += timedelta(seconds=guests.COPY_LEASE_SECONDS + 1)
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert len(mailer.sent) == 1


def test_no_signing_on_a_cancelled_sail(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    cancel_sail(DynamoSailRepository(store), ADMIN, sail["id"], mailer=mailer, clock=clock, settings=SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert store.items[keys.guest(sail["id"], guest_id)]["status"] == "on_hold"


# --- reading ------------------------------------------------------------------------------
def test_the_guest_record_carries_the_sail_times_and_then_the_signature(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    before = guests.get_guest_record(store, sail["id"], guest_id)  # type: ignore[arg-type]
    assert before["guest"]["status"] == "on_hold" and before["signature"] is None
    assert before["sail"]["departure"] == sail["departure"] and before["sail"]["return"] == sail["return"]
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    after = guests.get_guest_record(store, sail["id"], guest_id)  # type: ignore[arg-type]
    assert after["guest"]["status"] == "confirmed"
    assert after["signature"]["text_sha256"] == guests.load_waiver().sha256
    assert "ip" not in after["signature"]


def test_the_manifest_lists_guests_and_hides_contacts_from_crew(
    store: FakeStore, mailer: FakeMailer, clock: FixedClock, sail: dict[str, Any], guest_id: str
) -> None:
    crew_view = guests.list_guests(store, sail["id"], contact=False, settings=SETTINGS)  # type: ignore[arg-type]
    assert crew_view["guest_capacity"] == 6 and crew_view["guest_count"] == 2
    [guest] = crew_view["guests"]
    assert guest["status"] == "on_hold" and "email" not in guest
    admin_view = guests.list_guests(store, sail["id"], contact=True, settings=SETTINGS)  # type: ignore[arg-type]
    assert admin_view["guests"][0]["email"] == "ada@example.com"


# --- versions of the waiver text -------------------------------------------------------------
def test_the_shipped_waiver_matches_its_published_hash() -> None:
    index = json.loads((guests.WAIVER_DIR / "index.json").read_text())
    for version, entry in index["versions"].items():
        raw = (guests.WAIVER_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"], f"{version} was edited in place"
    assert guests.load_waiver().version == index["current"]


def _publish(directory: Path, version: str, text: str, *, current: bool = True) -> None:
    index_path = directory / "index.json"
    index = json.loads(index_path.read_text())
    (directory / f"waiver-{version}.txt").write_text(text, encoding="utf-8")
    index["versions"][version] = {"file": f"waiver-{version}.txt", "sha256": hashlib.sha256(text.encode()).hexdigest()}
    if current:
        index["current"] = version
    index_path.write_text(json.dumps(index))


def test_a_new_waiver_text_is_a_new_version_for_new_signatures_only(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
    tmp_path: Path,
) -> None:
    directory = tmp_path / "waiver"
    shutil.copytree(guests.WAIVER_DIR, directory)
    v1 = guests.load_waiver(directory=directory)
    # Given Ada signs the waiver as it is
    sign(store, mailer, documents, clock, sail["id"], guest_id, waiver_dir=directory)
    ada_before = dict(store.items[keys.waiver(sail["id"], guest_id)])
    ada_copy = dict(documents.objects)
    # When the owner publishes a changed text
    _publish(directory, "v2", v1.text + "\n9. Pets stay ashore.\n")
    v2 = guests.load_waiver(directory=directory)
    # Then the current version and its hash change
    assert v2.version == "v2" and v2.sha256 != v1.sha256
    # And a new signature records the new version and hash
    bo = add(store, mailer, clock, sail["id"], name="Bo", email="bo@example.com")["guest"]["id"]
    sign(
        store,
        mailer,
        documents,
        clock,
        sail["id"],
        bo,
        signer=guest_caller(sail["id"], bo, "bo@example.com"),
        waiver_dir=directory,
    )
    bo_record = store.items[keys.waiver(sail["id"], bo)]
    assert (bo_record["version"], bo_record["text_sha256"]) == ("v2", v2.sha256)
    assert "Pets stay ashore" in documents.objects[bo_record["object_key"]].decode()
    # While Ada's signature and stored copy are untouched, and her version is still readable
    assert store.items[keys.waiver(sail["id"], guest_id)] == ada_before
    assert all(documents.objects[key] == body for key, body in ada_copy.items())
    assert (ada_before["version"], ada_before["text_sha256"]) == ("v1", v1.sha256)
    assert guests.load_waiver("v1", directory=directory).sha256 == v1.sha256


def test_a_published_text_edited_in_place_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "waiver"
    shutil.copytree(guests.WAIVER_DIR, directory)
    current = json.loads((directory / "index.json").read_text())["current"]
    with (directory / f"waiver-{current}.txt").open("a", encoding="utf-8") as text:
        text.write("\nA sneaky extra clause.\n")
    with pytest.raises(ConfigurationError) as refused:
        guests.load_waiver(directory=directory)
    assert "publish a new version" in refused.value.message


def test_a_request_holding_a_stale_record_does_not_mail_the_copy_again(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given a second click read the signature and looked in the bucket before the first click
    # stored its copy, then stalled past the first click's lease
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    stale = {**store.items[keys.waiver(sail["id"], guest_id)], "copy_stored": False, "copy_emailed": False}
    stale.pop("copy_lease_until", None)
    clock.now += timedelta(seconds=guests.COPY_LEASE_SECONDS + 1)
    looked, looks = documents.head, []

    def first_look_missed(key: str) -> dict[str, str] | None:
        looks.append(key)
        return None if len(looks) == 1 else looked(key)

    documents.head = first_look_missed  # type: ignore[method-assign]
    # When it goes on with that stale record after the first click is done
    guest = store.items[keys.guest(sail["id"], guest_id)]
    answer = guests._finish(
        store,  # type: ignore[arg-type]
        mailer,
        documents,
        stale,
        guest,
        store.items[keys.sail(sail["id"])],
        already=True,
        settings=SETTINGS,
        clock=clock,
    )
    # Then it takes the lease, looks again, sends nothing more and reports the copy as done
    assert len(mailer.sent) == 1 and answer["copy_stored"] and answer["copy_emailed"]
    assert len(looks) == 2 and len(documents.objects) == 1


def test_a_second_click_that_cannot_look_in_the_bucket_sends_nothing_and_says_so(
    store: FakeStore,
    mailer: FakeMailer,
    documents: FakeDocuments,
    clock: FixedClock,
    sail: dict[str, Any],
    guest_id: str,
) -> None:
    # Given a signed waiver whose copy went out, and S3 failing when the guest signs again
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    clock.now += timedelta(seconds=guests.COPY_LEASE_SECONDS + 1)
    documents.head_failures = 1
    # When the guest signs again
    again = sign(store, mailer, documents, clock, sail["id"], guest_id)
    # Then they are told it is signed and to check back, and no second copy is mailed
    assert again["status"] == "already signed" and "could not check on your copy" in again["message"]
    assert len(mailer.sent) == 1 and len(documents.objects) == 1


def test_round_trips_of_adding_and_signing(
    store: FakeStore, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock, sail: dict[str, Any]
) -> None:
    # Adding: the sail and the link's pointer in one read, one transaction holding the waiver code
    store.calls.clear()
    guest_id = add(store, mailer, clock, sail["id"])["guest"]["id"]
    assert store.calls == ["batch_get", "transact"]
    # Resending: sail, guest and pointer in one read, one transaction (new code, old one revoked)
    store.calls.clear()
    guests.resend_waiver_link(store, mailer, ADMIN, sail["id"], guest_id, settings=SETTINGS, clock=clock)  # type: ignore[arg-type]
    assert store.calls == ["batch_get", "transact"]
    # Signing: one batch read, one transaction; the copy is mailed and stored with nothing more
    # written (the stored copy is the record of its delivery; its lease simply runs out)
    store.calls.clear()
    answer = sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert store.calls == ["batch_get", "transact"]
    assert answer["copy_stored"] and answer["copy_emailed"] and documents.heads == 0
    # Signing again: one batch read and one look in the bucket, nothing sent; the first such look
    # unlists the copy (listed as owed since the signing), a later one writes nothing
    store.calls.clear()
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert store.calls == ["batch_get", "update"] and documents.heads == 1
    store.calls.clear()
    sent = len(mailer.sent)
    sign(store, mailer, documents, clock, sail["id"], guest_id)
    assert store.calls == ["batch_get"] and documents.heads == 2 and len(mailer.sent) == sent
