"""Guests and waivers through the API on the local stack (moto server, template resources)."""

from __future__ import annotations

import hashlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from local.environment import DATA_BUCKET
from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.clients import client
from quarterdeck.errors import ConflictError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.store import Store
from tests.conftest import ApiClient, code_of, last_link_to, outbox


class RecordingMailer:
    """Mail sent from the test's own threads (the outbox shows what the API sends)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail) -> str:
        with self._lock:
            self.sent.append(email)
            return f"test-{len(self.sent)}"


def unique_email(name: str = "guest") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def new_sail(admin: ApiClient, days_ahead: int = 10) -> dict[str, Any]:
    day = (date.today() + timedelta(days=days_ahead)).isoformat()
    answer = admin.post("/api/sails", {"date": day, "title": f"Guest sail {uuid.uuid4().hex[:6]}"})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def add_guest(admin: ApiClient, sail_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Ada Guest", "email": unique_email(), **fields}
    answer = admin.post(f"/api/sails/{sail_id}/guests", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["guest"])


def open_waiver_link(stack: LocalStack, email: str) -> ApiClient:
    """The guest opens the emailed link: the page POSTs its code and gets a guest session."""
    guest = ApiClient(stack.url)
    answer = guest.post("/api/auth/magic", {"code": code_of(last_link_to(stack, email))})
    assert answer.status_code == 200, answer.text
    guest.token = answer.cookies["qd_session"]
    return guest


def sign(guest: ApiClient, sail_id: str, guest_id: str, **fields: Any) -> Any:
    body = {"full_name": "Ada Lovelace", "accept": True, **fields}
    return guest.post(f"/api/sails/{sail_id}/guests/{guest_id}/waiver", body)


def bucket_keys(prefix: str) -> list[str]:
    listed = client("s3").list_objects_v2(Bucket=DATA_BUCKET, Prefix=prefix)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def stored_copy_metadata(key: str) -> dict[str, str] | None:
    """The user metadata of the signed copy under `key` in the data bucket, or None if it is not there."""
    try:
        return dict(client("s3").head_object(Bucket=DATA_BUCKET, Key=key)["Metadata"])
    except client("s3").exceptions.ClientError as missing:
        assert missing.response["ResponseMetadata"]["HTTPStatusCode"] == 404, missing
        return None


def mail_to(stack: LocalStack, email: str) -> list[dict[str, Any]]:
    return [message for message in outbox(stack) if email in message["to"]]


# --- adding ---------------------------------------------------------------------------------
def test_added_guest_is_on_hold_and_the_waiver_link_opens_a_guest_session(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    email = unique_email("ada")
    # When the admin adds a guest
    answer = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Ada Guest", "email": email, "party_size": 2})
    # Then the guest is on hold and the waiver link was mailed
    assert answer.status_code == 201, answer.text
    guest = answer.json()["guest"]
    assert guest["status"] == "on_hold" and answer.json()["waiver_link_sent"] is True
    [message] = mail_to(stack, email)
    assert sail["title"] in message["subject"] and "waiver" in message["subject"].lower()
    assert "#/magic?code=" in message["text"] and "#/magic?code=" in message["html"]
    # And the link opens a guest session for exactly this sail and guest
    opened = ApiClient(stack.url).post("/api/auth/magic", {"code": code_of(last_link_to(stack, email))})
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert (body["role"], body["purpose"], body["sail_id"], body["guest_id"]) == (
        "guest",
        "waiver",
        sail["id"],
        guest["id"],
    )
    # And the sail counts the party against its capacity
    assert admin.get(f"/api/sails/{sail['id']}").json()["guest_count"] == 2


@pytest.fixture
def atomic_moto_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's writes atomic with respect to each other, as DynamoDB's are.

    moto's TransactWriteItems snapshots the whole table (deepcopy) and restores the snapshot
    when a condition fails, so under concurrency a failed transaction undoes other requests'
    committed writes, and the deepcopy can crash on a table changing under it. Real
    DynamoDB has neither problem; one lock over moto's write operations removes both, so
    these races test our conditions rather than the emulator. (moto runs in this process.)
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.mark.usefixtures("atomic_moto_writes")
def test_capacity_holds_under_simultaneous_adds(stack: LocalStack, admin: ApiClient) -> None:
    # Given a sail for 6 guests and 10 adds of one guest each at the same moment. The race is
    # run at the domain on the real table: the local web server shares one resolver between
    # its threads (Lambda runs one event per container at a time), so HTTP-level races would
    # test the emulator, not us.
    from quarterdeck.guests import add_guest as add_in_domain
    from quarterdeck.repositories.guests import DynamoGuestRepository

    sail = new_sail(admin)

    def add_one(n: int) -> int:
        try:
            add_in_domain(
                DynamoGuestRepository(Store()),
                RecordingMailer(),
                "admin@example.com",
                sail["id"],
                name=f"R{n}",
                email=unique_email(),
            )
            return 201
        except ConflictError:
            return 409

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(add_one, range(10)))
    # Then exactly six get in, the rest are told the sail is full
    assert statuses == [201] * 6 + [409] * 4
    manifest = admin.get(f"/api/sails/{sail['id']}/guests").json()
    assert manifest["guest_count"] == 6 == len(manifest["guests"]) == manifest["guest_capacity"]
    full = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Late", "email": unique_email()})
    assert full.status_code == 409 and full.json()["error"]["code"] == "sail_full"
    assert "room for 0 more" in full.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.com"}, "name"),
        ({"name": "Ada"}, "email"),
        ({"name": "Ada", "email": "ada@example.com", "party_size": 0}, "party_size"),
        ({"name": "Ada", "email": "ada@example.com", "party_size": 9}, "party_size"),
    ],
)
def test_bad_guest_input_is_422_naming_the_field(admin: ApiClient, body: dict[str, Any], field: str) -> None:
    sail = new_sail(admin)
    answer = admin.post(f"/api/sails/{sail['id']}/guests", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_the_same_guest_twice_is_409_and_crew_cannot_add_guests(admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin)
    guest = add_guest(admin, sail["id"])
    again = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Again", "email": guest["email"].upper()})
    assert again.status_code == 409 and again.json()["error"]["field"] == "email"
    assert crew.post(f"/api/sails/{sail['id']}/guests", {"name": "X", "email": unique_email()}).status_code == 403
    assert admin.post("/api/sails/no-such-sail/guests", {"name": "X", "email": unique_email()}).status_code == 404


# --- on hold until signed; refusals with reasons ----------------------------------------------
def test_on_hold_everywhere_until_signed_and_bad_signatures_are_refused(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    bo = add_guest(admin, sail["id"], name="Bo Guest")
    guest = open_waiver_link(stack, ada["email"])
    # Until signed, the guest is on hold in every view
    assert guest.get(f"/api/sails/{sail['id']}/guests/{ada['id']}").json()["guest"]["status"] == "on_hold"
    assert [g["status"] for g in guest.get(f"/api/sails/{sail['id']}").json()["guests"]] == ["on_hold"]
    assert {g["status"] for g in admin.get(f"/api/sails/{sail['id']}").json()["guests"]} == {"on_hold"}
    assert {g["status"] for g in admin.get(f"/api/sails/{sail['id']}/guests").json()["guests"]} == {"on_hold"}
    # And each bad signature is refused, saying why
    refusals = [
        (sign(guest, sail["id"], ada["id"], full_name=""), 422, "full_name"),
        (sign(guest, sail["id"], ada["id"], full_name="   "), 422, "full_name"),
        (sign(guest, sail["id"], ada["id"], accept=False), 422, "accept"),
        (sign(guest, sail["id"], ada["id"], accept=None), 422, "accept"),
        (sign(guest, sail["id"], ada["id"], minor=True), 422, "guardian_name"),
    ]
    for answer, status, field in refusals:
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field and answer.json()["error"]["message"]
    for_bo = sign(guest, sail["id"], bo["id"])  # for another guest
    assert for_bo.status_code == 403 and "another guest" in for_bo.json()["error"]["message"]
    # An admin cannot sign for a guest either
    by_admin = sign(admin, sail["id"], ada["id"])
    assert by_admin.status_code == 403 and "Only the guest" in by_admin.json()["error"]["message"]
    # And after all that, both are still on hold with no signature
    assert {g["status"] for g in admin.get(f"/api/sails/{sail['id']}/guests").json()["guests"]} == {"on_hold"}
    assert guest.get(f"/api/sails/{sail['id']}/guests/{ada['id']}").json()["signature"] is None


# --- signing --------------------------------------------------------------------------------
def test_signing_confirms_stores_the_hash_and_a_never_overwritten_copy_and_mails_it(
    stack: LocalStack, admin: ApiClient
) -> None:
    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    guest = open_waiver_link(stack, ada["email"])
    waiver = guest.get("/api/waiver").json()
    assert hashlib.sha256(waiver["text"].encode()).hexdigest() == waiver["sha256"]
    # When the guest signs
    answer = sign(guest, sail["id"], ada["id"])
    # Then they are confirmed, for the admin too
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "signed" and answer.json()["guest"]["status"] == "confirmed"
    [listed] = admin.get(f"/api/sails/{sail['id']}/guests").json()["guests"]
    assert listed["status"] == "confirmed" and listed["signed_at"]
    # And the signature carries version, text hash, IP and user agent
    record = Store().get(*keys.waiver(sail["id"], ada["id"]))
    assert record is not None
    assert (record["version"], record["text_sha256"]) == (waiver["version"], waiver["sha256"])
    assert record["ip"] == "127.0.0.1" and record["user_agent"].startswith("python-requests")
    assert answer.json()["copy_stored"] is True and answer.json()["copy_emailed"] is True
    # And the signed copy is in the data bucket, with the text and its hash, naming the email
    # that mailed it (the record of the delivery: the signature needs no flags written after it)
    [key] = bucket_keys(f"waivers/{sail['id']}/{ada['id']}/")
    assert key == record["object_key"]
    metadata = stored_copy_metadata(key)
    assert metadata is not None and metadata["waiver-sha256"] == waiver["sha256"] and metadata["ses-message-id"]
    assert "copy_stored" not in record and "copy_emailed" not in record
    shown = guest.get(f"/api/sails/{sail['id']}/guests/{ada['id']}").json()["signature"]
    assert shown["copy_stored"] is True and shown["copy_emailed"] is True
    body = client("s3").get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read().decode()
    assert waiver["text"].strip() in body and waiver["sha256"] in body and "Ada Lovelace" in body
    # And S3 itself refuses to overwrite it
    with pytest.raises(Exception) as overwrite:
        client("s3").put_object(Bucket=DATA_BUCKET, Key=key, Body=b"tampered", IfNoneMatch="*")
    assert "PreconditionFailed" in str(overwrite.value)
    # And the copy went to the guest by email
    [copy] = [m for m in mail_to(stack, ada["email"]) if "signed waiver" in m["subject"].lower()]
    assert waiver["sha256"] in copy["text"] and "Ada Lovelace" in copy["text"]
    # When the guest signs again
    again = sign(guest, sail["id"], ada["id"], full_name="Somebody Else")
    # Then it is a no-op that says so: the signature stands as it was, and the copy it found in
    # the bucket is no longer listed as owed (it was from the signing on)
    assert again.status_code == 200 and again.json()["status"] == "already signed"
    assert "Already signed" in again.json()["message"]
    now = Store().get(*keys.waiver(sail["id"], ada["id"]))
    assert now is not None and record["gsi1pk"] == keys.OWED_WAIVER_COPIES and "gsi1pk" not in now
    bookkeeping = {"gsi1pk", "gsi1sk", "copy_stored", "copy_emailed"}
    assert {k: v for k, v in now.items() if k not in bookkeeping} == {
        k: v for k, v in record.items() if k not in bookkeeping
    }
    assert len(bucket_keys(f"waivers/{sail['id']}/{ada['id']}/")) == 1
    assert len([m for m in mail_to(stack, ada["email"]) if "signed waiver" in m["subject"].lower()]) == 1


@pytest.mark.usefixtures("atomic_moto_writes")
def test_a_double_click_signs_once_and_mails_one_copy(stack: LocalStack, admin: ApiClient) -> None:
    # (raced at the domain on the real table and bucket, for the reason given above)
    from quarterdeck.auth import Caller
    from quarterdeck.documents import S3DocumentStore
    from quarterdeck.repositories.guests import DynamoGuestRepository
    from quarterdeck.waivers import sign_waiver

    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    who = Caller(email=ada["email"], role="guest", jti="j", expires=0, sail_id=sail["id"], guest_id=ada["id"])
    mailer = RecordingMailer()

    def submit(_: int) -> str:
        answer = sign_waiver(
            DynamoGuestRepository(Store()),
            mailer,
            S3DocumentStore(),
            who,
            sail["id"],
            ada["id"],
            full_name="Ada Lovelace",
            accept=True,
        )
        return str(answer["status"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(submit, range(4)))
    assert statuses == ["already signed"] * 3 + ["signed"]
    assert len(bucket_keys(f"waivers/{sail['id']}/{ada['id']}/")) == 1
    assert [m.kind for m in mailer.sent] == ["waiver_signed"]


def test_when_the_bucket_fails_the_signature_stands_and_signing_again_stores_the_copy(
    stack: LocalStack, admin: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api_routes.guests as routes

    from quarterdeck.config import get_settings
    from quarterdeck.documents import S3DocumentStore

    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    guest = open_waiver_link(stack, ada["email"])
    # Given the data bucket cannot be written (it does not exist)
    broken = S3DocumentStore(settings=get_settings().__class__(data_bucket="no-such-bucket-here"))
    monkeypatch.setattr(routes, "default_document_store", lambda: broken)
    # When the guest signs
    first = sign(guest, sail["id"], ada["id"])
    # Then the signature stands (confirmed), the copy is emailed, and the answer says storing it is owed
    assert first.status_code == 201, first.text
    assert first.json()["guest"]["status"] == "confirmed" and first.json()["copy_stored"] is False
    assert first.json()["copy_emailed"] is True and "could not be stored" in first.json()["message"]
    assert bucket_keys(f"waivers/{sail['id']}/{ada['id']}/") == []
    copies = [m for m in mail_to(stack, ada["email"]) if "signed waiver" in m["subject"].lower()]
    assert len(copies) == 1
    # When the bucket is back and the guest signs again
    monkeypatch.undo()
    again = sign(guest, sail["id"], ada["id"])
    # Then the same signature's copy is stored, once, naming the first email, and none is mailed again
    assert again.status_code == 200 and again.json()["copy_stored"] is True
    record = Store().get(*keys.waiver(sail["id"], ada["id"]))
    assert record is not None and bucket_keys(f"waivers/{sail['id']}/{ada['id']}/") == [record["object_key"]]
    metadata = stored_copy_metadata(record["object_key"])
    assert metadata is not None and metadata["ses-message-id"] == record["copy_message_id"]
    assert len([m for m in mail_to(stack, ada["email"]) if "signed waiver" in m["subject"].lower()]) == 1


def test_resend_replaces_the_link_and_is_refused_once_signed(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    first_link = last_link_to(stack, ada["email"])
    resent = admin.post(f"/api/sails/{sail['id']}/guests/{ada['id']}/resend")
    assert resent.status_code == 200, resent.text
    second_link = last_link_to(stack, ada["email"])
    assert second_link != first_link
    old = ApiClient(stack.url).post("/api/auth/magic", {"code": code_of(first_link)})
    assert old.status_code == 401 and "replaced" in old.json()["error"]["message"]
    guest = open_waiver_link(stack, ada["email"])
    assert sign(guest, sail["id"], ada["id"]).status_code == 201
    refused = admin.post(f"/api/sails/{sail['id']}/guests/{ada['id']}/resend")
    assert refused.status_code == 409 and "already signed" in refused.json()["error"]["message"]


# --- a guest's token reaches only its own sail and record --------------------------------------
def test_a_guest_token_reaches_only_its_own_sail_and_record(stack: LocalStack, admin: ApiClient) -> None:
    mine, other_sail = new_sail(admin), new_sail(admin, days_ahead=11)
    ada = add_guest(admin, mine["id"])
    bo = add_guest(admin, mine["id"], name="Bo Guest")
    cy = add_guest(admin, other_sail["id"], name="Cy Guest")
    guest = open_waiver_link(stack, ada["email"])
    # Its own sail and record are readable, and the sail shows no other guest
    assert guest.get(f"/api/sails/{mine['id']}/guests/{ada['id']}").status_code == 200
    assert [g["id"] for g in guest.get(f"/api/sails/{mine['id']}").json()["guests"]] == [ada["id"]]
    assert guest.get("/api/waiver").status_code == 200
    assert guest.get("/api/me").json()["guest_id"] == ada["id"]
    # Everything else is refused
    attempts = {
        "list sails": guest.get("/api/sails"),
        "another sail": guest.get(f"/api/sails/{other_sail['id']}"),
        "the manifest": guest.get(f"/api/sails/{mine['id']}/guests"),
        "another guest's record": guest.get(f"/api/sails/{mine['id']}/guests/{bo['id']}"),
        "a guest on another sail": guest.get(f"/api/sails/{other_sail['id']}/guests/{cy['id']}"),
        "its own id on another sail": guest.get(f"/api/sails/{other_sail['id']}/guests/{ada['id']}"),
        "an unknown guest id": guest.get(f"/api/sails/{mine['id']}/guests/nobody"),
        "signing for another guest": sign(guest, mine["id"], bo["id"]),
        "signing on another sail": sign(guest, other_sail["id"], cy["id"]),
        "adding a guest": guest.post(f"/api/sails/{mine['id']}/guests", {"name": "X", "email": unique_email()}),
        "resending a link": guest.post(f"/api/sails/{mine['id']}/guests/{ada['id']}/resend"),
        "a sail's checklist": guest.post(f"/api/sails/{mine['id']}/checklists/departure/items/1", {"done": True}),
    }
    statuses = {what: answer.status_code for what, answer in attempts.items()}
    assert all(status in (403, 404) for status in statuses.values()), statuses
    assert statuses["another guest's record"] == 403 and statuses["another sail"] == 403
    # And nothing leaked other guests' names into any refusal
    assert all("Bo Guest" not in a.text and "Cy Guest" not in a.text for a in attempts.values())


def test_a_guest_cannot_get_a_crew_login_link(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    open_waiver_link(stack, ada["email"])  # the guest now exists as a person
    before = len(mail_to(stack, ada["email"]))
    answer = ApiClient(stack.url).post("/api/auth/login-link", {"email": ada["email"]})
    assert answer.status_code == 202
    assert len(mail_to(stack, ada["email"])) == before


def test_admin_reads_any_guest_record_and_unknown_ones_are_404(admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin)
    ada = add_guest(admin, sail["id"])
    assert admin.get(f"/api/sails/{sail['id']}/guests/{ada['id']}").json()["guest"]["email"] == ada["email"]
    assert admin.get(f"/api/sails/{sail['id']}/guests/nobody").status_code == 404
    assert admin.get(f"/api/sails/no-such-sail/guests/{ada['id']}").status_code == 404
    # Crew read the manifest for check-in, without guests' contact details
    [listed] = crew.get(f"/api/sails/{sail['id']}/guests").json()["guests"]
    assert listed["name"] == "Ada Guest" and "email" not in listed
    assert crew.get("/api/waiver").status_code == 403


def test_openapi_lists_the_guest_routes(anonymous: ApiClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/sails/{sail_id}/guests",
        "/api/sails/{sail_id}/guests/{guest_id}",
        "/api/sails/{sail_id}/guests/{guest_id}/waiver",
        "/api/sails/{sail_id}/guests/{guest_id}/resend",
        "/api/waiver",
    ):
        assert path in paths, path
