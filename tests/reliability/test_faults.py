"""Faults: DynamoDB, SES and S3 fail (throttling, 5xx, timeouts) at each step of claiming a role,
signing a waiver, a nudge run and a report dispatch.

What must hold every time: the caller gets a clear 503 (the JSON error envelope, saying to try
again) or a retry succeeds; no half-written state remains (the sail's partition is read back);
and nothing is sent twice or lost (a nudge or report whose send failed goes out with the next
run, once). Faults are injected into the app's real boto3 clients through botocore's events
(see tests/reliability/conftest.py); nothing of ours is mocked.
"""

from __future__ import annotations

import base64
import email
import email.policy
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.store import Item, Store
from tests.conftest import ApiClient, outbox, sign_in
from tests.integration.test_guests_api import add_guest, open_waiver_link, sign, stored_copy_metadata
from tests.integration.test_roles import role_url
from tests.reliability.conftest import (
    DYNAMODB_FAULTS,
    SES_FAULTS,
    Injector,
    Kind,
    injecting,
    mentions,
)

pytestmark = pytest.mark.slow

LA = ZoneInfo("America/Los_Angeles")
S3_FAULTS = (Kind("throttling", "SlowDown", 503), Kind("5xx", "InternalError", 500), Kind("timeout", timeout=True))
TIMEOUT = Kind("timeout", timeout=True)
INJECTED: Counter[str] = Counter()  # faults raised, per area


def ids(kinds: tuple[Kind, ...]) -> list[str]:
    return [kind.name for kind in kinds]


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Iterator[Injector]:
    with injecting() as injector:
        yield injector
    area = next(a for a in ("claim", "signing", "nudge", "report", "transaction") if a in request.node.originalname)
    INJECTED[area] += injector.raised


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Iterator[None]:
    yield
    if INJECTED:
        print(f"\nfaults: {sum(INJECTED.values())} injected {dict(INJECTED)}")


@pytest.fixture(autouse=True)
def _quick_mail_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our SES sender retries throttling, 5xx and timeouts 5 times with jittered backoff; keep
    the backoff short so a test that fails every attempt does not wait for seconds."""
    from quarterdeck.mail import default_mail_sender

    monkeypatch.setattr(default_mail_sender(), "base_delay", 0.01)


def assert_try_again(answer: requests.Response) -> None:
    """A clear 503: the JSON error envelope, saying to try again."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == "service_unavailable", body
    assert "try again" in body["error"]["message"].lower(), body


def partition(sail_id: str) -> list[Item]:
    return Store().query(keys.sail_partition(sail_id), consistent=True)


def of(items: list[Item], prefix: str) -> list[Item]:
    return [item for item in items if item["sk"].startswith(prefix)]


def history(items: list[Item], action: str) -> list[Item]:
    return [item for item in items if item.get("type") == "history" and item.get("action") == action]


def ses_subject(request: dict[str, Any]) -> str:
    """The Subject of an SES v2 SendEmail request (raw MIME)."""
    raw = ((request.get("Content") or {}).get("Raw") or {}).get("Data")
    if not raw:
        return ""
    message = email.message_from_bytes(base64.b64decode(raw), policy=email.policy.default)
    return str(message["subject"] or "")


def subject_has(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda request: text in ses_subject(request)


def message_mentions(text: str) -> Callable[[dict[str, Any]], bool]:
    """An SES v2 SendEmail request whose subject or text part mentions `text`."""

    def match(request: dict[str, Any]) -> bool:
        raw = ((request.get("Content") or {}).get("Raw") or {}).get("Data")
        if not raw:
            return False
        message = email.message_from_bytes(base64.b64decode(raw), policy=email.policy.default)
        parts = [str(message["subject"] or "")]
        parts += [str(part.get_content()) for part in message.walk() if part.get_content_type() == "text/plain"]
        return any(text in part for part in parts)

    return match


def to(address: str) -> Callable[[dict[str, Any]], bool]:
    return lambda request: address in ((request.get("Destination") or {}).get("ToAddresses") or [])


# --- claiming a role ---------------------------------------------------------------------------
def new_sail(admin: ApiClient, days_ahead: int) -> dict[str, Any]:
    day = datetime.now(LA).date() + timedelta(days=days_ahead)
    answer = admin.post("/api/sails", {"date": day.isoformat(), "title": f"Faults {uuid.uuid4().hex[:8]}"})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def crew_member(stack: LocalStack) -> tuple[ApiClient, str]:
    address = f"crew-{uuid.uuid4().hex[:8]}@example.com"
    return sign_in(stack, address), address


def assert_slot_open(sail_id: str, slot: str) -> None:
    """Nothing half-written: the slot open with no holder, no holder marker, no claim in history."""
    items = partition(sail_id)
    role = next(item for item in items if item["sk"] == f"ROLE#{slot}")
    assert role["state"] == "open" and "holder" not in role, role
    assert of(items, "HOLDER#") == [] and history(items, "role_claimed") == []


def assert_slot_held_by(sail_id: str, slot: str, holder: str) -> None:
    """One holder, one marker naming the slot, one claim in history."""
    items = partition(sail_id)
    role = next(item for item in items if item["sk"] == f"ROLE#{slot}")
    assert (role["state"], role.get("holder")) == ("claimed", holder), role
    assert [(m["sk"], m["slot"]) for m in of(items, "HOLDER#")] == [(f"HOLDER#{holder}", slot)]
    assert len(history(items, "role_claimed")) == 1


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_claim_when_reading_the_slot_fails_is_503_and_a_retry_claims(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail = new_sail(admin, 50)
    person, address = crew_member(stack)
    # Given reading the sail and slot fails
    faults.fail("dynamodb", "BatchGetItem", kind, where=mentions(sail["id"]))
    # When the crew member claims
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    # Then a clear 503, and nothing was written
    assert_try_again(answer)
    faults.clear()
    assert_slot_open(sail["id"], "crew-1")
    # And trying again claims it
    assert person.post(role_url(sail["id"], "crew-1", "claim")).status_code == 200
    assert_slot_held_by(sail["id"], "crew-1", address)


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_claim_when_the_transaction_keeps_failing_is_503_with_nothing_half_written(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail = new_sail(admin, 51)
    person, address = crew_member(stack)
    # Given every transaction on this sail fails (the claim retries its transaction itself)
    fault = faults.fail("dynamodb", "TransactWriteItems", kind, where=mentions(f"SAIL#{sail['id']}"))
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    assert_try_again(answer)
    assert fault.raised == 3  # crew._commit tried three times
    faults.clear()
    # Then the slot, the marker and the history are as before
    assert_slot_open(sail["id"], "crew-1")
    # And the claim goes through once the database is back
    assert person.post(role_url(sail["id"], "crew-1", "claim")).status_code == 200
    assert_slot_held_by(sail["id"], "crew-1", address)


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_claim_survives_one_failed_transaction(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail = new_sail(admin, 52)
    person, address = crew_member(stack)
    # Given the first transaction fails once
    faults.fail("dynamodb", "TransactWriteItems", kind, first=1, where=mentions(f"SAIL#{sail['id']}"))
    # When the crew member claims, the claim's own retry succeeds: 200 on the first request
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    assert answer.status_code == 200, answer.text
    assert_slot_held_by(sail["id"], "crew-1", address)


def test_claim_whose_committed_answer_was_lost_is_200_once(
    stack: LocalStack, admin: ApiClient, faults: Injector
) -> None:
    sail = new_sail(admin, 53)
    person, address = crew_member(stack)
    # Given the transaction commits but its answer times out on the way back
    faults.fail("dynamodb", "TransactWriteItems", TIMEOUT, stage="after", first=1, where=mentions(f"SAIL#{sail['id']}"))
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    # Then the claim finds its own change in place: 200, one holder, one marker
    assert answer.status_code == 200, answer.text
    assert_slot_held_by(sail["id"], "crew-1", address)


def test_claim_rides_out_three_failed_attempts_in_botocores_retries(
    stack: LocalStack, admin: ApiClient, faults: Injector
) -> None:
    sail = new_sail(admin, 54)
    person, address = crew_member(stack)
    # Given the first three HTTP attempts of the transaction are throttled (botocore retries them)
    fault = faults.fail(
        "dynamodb", "TransactWriteItems", DYNAMODB_FAULTS[0], stage="attempt", first=3, where=mentions(sail["id"])
    )
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    # Then the call succeeds on the fourth attempt: 200, once
    assert answer.status_code == 200, answer.text
    assert fault.raised == 3 and fault.seen == 4
    assert_slot_held_by(sail["id"], "crew-1", address)


@pytest.mark.parametrize("kind", SES_FAULTS, ids=ids(SES_FAULTS))
def test_claim_stands_when_its_notifications_cannot_be_sent(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail = new_sail(admin, 55)
    person, address = crew_member(stack)
    before = len(outbox(stack))
    # Given SES fails every send (after our sender's own retries)
    faults.fail("sesv2", "SendEmail", kind, where=message_mentions(sail["title"]))
    answer = person.post(role_url(sail["id"], "crew-1", "claim"))
    # Then the committed claim is not undone or misreported: 200, held, nothing mailed
    assert answer.status_code == 200, answer.text
    assert_slot_held_by(sail["id"], "crew-1", address)
    assert [m for m in outbox(stack)[before:] if sail["title"] in m["text"]] == []


def test_a_transaction_whose_answer_is_lost_is_retried_by_botocore_and_applied_once(
    admin: ApiClient, faults: Injector
) -> None:
    # Given the first attempt of the next transaction reaches the table, but its answer is lost
    title = f"Lost answer {uuid.uuid4().hex[:8]}"
    fault = faults.fail("dynamodb", "TransactWriteItems", TIMEOUT, stage="lost-attempt", first=1, where=mentions(title))
    # When the admin creates a sail (one transaction; botocore retries it with the same token)
    day = (datetime.now(LA).date() + timedelta(days=61)).isoformat()
    answer = admin.post("/api/sails", {"date": day, "title": title})
    # Then the retry is a no-op success, not a failed condition on our own write: 201, one sail
    assert answer.status_code == 201, answer.text
    assert fault.raised == 1 and fault.seen == 2
    items = partition(answer.json()["id"])
    assert len(of(items, "META")) == 1 and len(history(items, "sail_created")) == 1


# --- signing a waiver --------------------------------------------------------------------------
def guest_on_hold(
    stack: LocalStack, admin: ApiClient, days_ahead: int
) -> tuple[dict[str, Any], dict[str, Any], ApiClient]:
    sail = new_sail(admin, days_ahead)
    guest = add_guest(admin, sail["id"])
    return sail, guest, open_waiver_link(stack, guest["email"])


def copies_mailed(stack: LocalStack, address: str) -> int:
    return len([m for m in outbox(stack) if address in m["to"] and "signed waiver" in m["subject"].lower()])


def assert_unsigned(sail_id: str, guest_id: str) -> None:
    """Nothing half-written: the guest on hold, no signature, nothing in history."""
    items = partition(sail_id)
    guest = next(item for item in items if item["sk"] == f"GUEST#{guest_id}")
    assert guest["status"] == "on_hold" and "signed_at" not in guest, guest
    assert of(items, "WAIVER#") == [] and history(items, "waiver_signed") == []


def assert_copy_delivered(waiver: Item) -> None:
    """The signed copy is in the bucket, naming the email that mailed it (the record of the delivery)."""
    metadata = stored_copy_metadata(waiver["object_key"])
    assert metadata is not None and metadata["ses-message-id"], waiver


def assert_signed(sail_id: str, guest_id: str) -> Item:
    """One signature and the guest confirmed, never one without the other."""
    items = partition(sail_id)
    guest = next(item for item in items if item["sk"] == f"GUEST#{guest_id}")
    (waiver,) = of(items, "WAIVER#")
    assert guest["status"] == "confirmed" and guest["signed_at"] == waiver["signed_at"]
    assert len(history(items, "waiver_signed")) == 1
    return waiver


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_signing_when_reading_fails_is_503_and_a_retry_signs(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 56)
    faults.fail("dynamodb", "BatchGetItem", kind, where=mentions(f"GUEST#{guest['id']}"))
    assert_try_again(sign(session, sail["id"], guest["id"]))
    faults.clear()
    assert_unsigned(sail["id"], guest["id"])
    assert sign(session, sail["id"], guest["id"]).status_code == 201
    assert_signed(sail["id"], guest["id"])
    assert copies_mailed(stack, guest["email"]) == 1


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_signing_when_the_transaction_fails_is_503_with_nothing_half_written(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 57)
    # Given the signing transaction fails
    faults.fail("dynamodb", "TransactWriteItems", kind, where=mentions(f"WAIVER#{guest['id']}"))
    assert_try_again(sign(session, sail["id"], guest["id"]))
    faults.clear()
    # Then no signature without a confirmed guest, or the reverse: nothing at all
    assert_unsigned(sail["id"], guest["id"])
    assert copies_mailed(stack, guest["email"]) == 0
    # And signing again works, with one copy
    assert sign(session, sail["id"], guest["id"]).status_code == 201
    assert_copy_delivered(assert_signed(sail["id"], guest["id"]))
    assert copies_mailed(stack, guest["email"]) == 1


def test_signing_whose_committed_answer_was_lost_still_sends_the_copy_once(
    stack: LocalStack, admin: ApiClient, faults: Injector
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 58)
    # Given the signing transaction commits, but its answer times out on the way back
    faults.fail(
        "dynamodb", "TransactWriteItems", TIMEOUT, stage="after", first=1, where=mentions(f"WAIVER#{guest['id']}")
    )
    first = sign(session, sail["id"], guest["id"])
    faults.clear()
    # Then the request finds its own signature in place and finishes it: 201, signed, confirmed
    assert first.status_code == 201, first.text
    assert first.json()["copy_stored"] is True and first.json()["copy_emailed"] is True
    waiver = assert_signed(sail["id"], guest["id"])
    # And the copy went out, once (before the fix: 503, and a retry was told the copy was
    # "on its way" while nobody was sending it, until the 90-second lease ran out)
    assert_copy_delivered(waiver)
    assert copies_mailed(stack, guest["email"]) == 1
    assert sign(session, sail["id"], guest["id"]).status_code == 200
    assert copies_mailed(stack, guest["email"]) == 1


@pytest.mark.parametrize("kind", S3_FAULTS, ids=ids(S3_FAULTS))
def test_signing_when_the_copy_cannot_be_stored_signs_and_a_retry_stores_it_once(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 59)
    faults.fail("s3", "PutObject", kind)
    first = sign(session, sail["id"], guest["id"])
    # Then the signature stands, the copy was emailed (it goes first), and the answer says storing it is owed
    assert first.status_code == 201, first.text
    assert first.json()["copy_stored"] is False and "sign again later" in first.json()["message"]
    assert first.json()["copy_emailed"] is True and copies_mailed(stack, guest["email"]) == 1
    # And the signature records the email that went out, so no retry mails it again
    waiver = assert_signed(sail["id"], guest["id"])
    assert waiver["copy_stored"] is False and waiver["copy_emailed"] is True and waiver["copy_message_id"]
    faults.clear()
    # And signing again stores it, naming that email (and mails no second copy)
    again = sign(session, sail["id"], guest["id"])
    assert again.status_code == 200 and again.json()["copy_stored"] is True
    assert stored_copy_metadata(waiver["object_key"]) == {
        "waiver-version": waiver["version"],
        "waiver-sha256": waiver["text_sha256"],
        "ses-message-id": waiver["copy_message_id"],
    }
    assert copies_mailed(stack, guest["email"]) == 1


@pytest.mark.parametrize("kind", SES_FAULTS, ids=ids(SES_FAULTS))
def test_signing_when_the_copy_cannot_be_mailed_signs_and_a_retry_mails_it_once(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 60)
    faults.fail("sesv2", "SendEmail", kind, where=to(guest["email"]))
    first = sign(session, sail["id"], guest["id"])
    assert first.status_code == 201, first.text
    assert first.json()["copy_emailed"] is False and "could not be stored or emailed" in first.json()["message"]
    waiver = assert_signed(sail["id"], guest["id"])
    assert waiver["copy_emailed"] is False and "copy_lease_until" not in waiver  # a retry may start at once
    assert copies_mailed(stack, guest["email"]) == 0 and stored_copy_metadata(waiver["object_key"]) is None
    faults.clear()
    again = sign(session, sail["id"], guest["id"])
    assert again.status_code == 200 and again.json()["copy_emailed"] is True
    assert copies_mailed(stack, guest["email"]) == 1
    assert_copy_delivered(waiver)
    # And a third visit sends nothing more
    assert sign(session, sail["id"], guest["id"]).status_code == 200
    assert copies_mailed(stack, guest["email"]) == 1


@pytest.mark.parametrize("kind", S3_FAULTS, ids=ids(S3_FAULTS))
def test_signing_again_when_the_bucket_cannot_be_asked_mails_nothing_twice(
    stack: LocalStack, admin: ApiClient, faults: Injector, kind: Kind
) -> None:
    sail, guest, session = guest_on_hold(stack, admin, 61)
    assert sign(session, sail["id"], guest["id"]).status_code == 201
    # Given the copy went out, and the bucket cannot be asked about it when the guest signs again
    faults.fail("s3", "HeadObject", kind)
    again = sign(session, sail["id"], guest["id"])
    faults.clear()
    # Then it is still "already signed", the guest is told to check back, and nothing is mailed again
    assert again.status_code == 200 and again.json()["status"] == "already signed", again.text
    assert "could not check on your copy" in again.json()["message"]
    assert copies_mailed(stack, guest["email"]) == 1
    assert sign(session, sail["id"], guest["id"]).status_code == 200
    assert copies_mailed(stack, guest["email"]) == 1


# --- nudges ------------------------------------------------------------------------------------
def nudge_sail(day: str) -> dict[str, Any]:
    """A sail on `day` (created a month before) with its roles open: the admin is nudged 7 days out."""
    from quarterdeck.repositories.sails import DynamoSailRepository
    from quarterdeck.sails import create_sail

    created_on = datetime.fromisoformat(day).replace(tzinfo=LA) - timedelta(days=30)
    title = f"Nudge faults {uuid.uuid4().hex[:6]}"
    return create_sail(
        DynamoSailRepository(Store()),
        "admin@example.com",
        date=day,
        title=title,
        crew_slots=1,
        clock=lambda: created_on,
    )


def nudge_run(day: str, hour: int = 10, minute: int = 0) -> Any:
    from quarterdeck.mail import default_mail_sender
    from quarterdeck.nudges import run_nudges
    from quarterdeck.unsubscribe import load_unsubscribe_keys

    moment = (datetime.fromisoformat(day) - timedelta(days=7)).replace(hour=hour, minute=minute, tzinfo=LA)
    return run_nudges(Store(), default_mail_sender(), load_unsubscribe_keys, clock=lambda: moment)


def nudges_about(stack: LocalStack, title: str) -> list[dict[str, Any]]:
    """The configured admin's nudges about `title` (admins other tests made in the app get their own)."""
    return [
        m for m in outbox(stack) if m["to"] == ["admin@example.com"] and (title in m["subject"] or title in m["text"])
    ]


def nudge_records(sail_id: str) -> list[Item]:
    """The configured admin's nudge markers of the sail (one per recipient: see nudges_about)."""
    return [r for r in Store().query(f"NUDGE#{sail_id}", consistent=True) if "#admin@example.com#" in r["sk"]]


@pytest.mark.parametrize("kind", SES_FAULTS, ids=ids(SES_FAULTS))
def test_nudge_whose_send_failed_goes_out_with_the_next_run_once(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    day = f"2034-0{3 + SES_FAULTS.index(kind)}-17"
    sail = nudge_sail(day)
    # Given SES fails every send of this sail's nudge
    faults.fail("sesv2", "SendEmail", kind, where=subject_has(sail["title"]))
    failed = nudge_run(day)
    # Then the run says so, sent nothing, and left no claim behind
    assert any(sail["id"] in line and "try again" in line for line in failed.failed), failed.failed
    assert nudges_about(stack, sail["title"]) == []
    assert nudge_records(sail["id"]) == []
    faults.clear()
    # When the next run comes (an hour later), it sends the nudge, once
    nudge_run(day, hour=11)
    assert len(nudges_about(stack, sail["title"])) == 1
    assert [r["status"] for r in nudge_records(sail["id"])] == ["sent"]
    # And the run after that sends nothing more
    nudge_run(day, hour=12)
    assert len(nudges_about(stack, sail["title"])) == 1


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_nudge_run_that_cannot_read_the_sails_fails_and_the_next_sends(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    from quarterdeck.errors import ServiceUnavailableError

    day = f"2034-0{6 + DYNAMODB_FAULTS.index(kind)}-17"
    sail = nudge_sail(day)
    # Given the upcoming sails cannot be read: the run fails as a whole (the schedule retries it)
    faults.fail("dynamodb", "Query", kind, where=mentions("SAILS#"))
    with pytest.raises(ServiceUnavailableError):
        nudge_run(day)
    faults.clear()
    assert nudges_about(stack, sail["title"]) == [] and nudge_records(sail["id"]) == []
    # When the next run comes, the nudge goes out once
    nudge_run(day, hour=11)
    assert len(nudges_about(stack, sail["title"])) == 1


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_nudge_whose_claim_fails_does_not_stop_the_run_and_goes_out_next_time(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    day = f"2034-1{DYNAMODB_FAULTS.index(kind)}-17"
    failing, fine = nudge_sail(day), nudge_sail(day)
    # Given the once-only claim of one sail's nudge cannot be written
    faults.fail("dynamodb", "PutItem", kind, where=mentions(f"NUDGE#{failing['id']}"))
    summary = nudge_run(day)
    # Then the other sail's nudge still goes out, and the run reports the one that failed
    assert len(nudges_about(stack, fine["title"])) == 1
    assert nudges_about(stack, failing["title"]) == []
    assert any(failing["id"] in line for line in summary.failed), summary.failed
    faults.clear()
    # When the next run comes, the failed one goes out, once; nothing is sent twice
    nudge_run(day, hour=11)
    assert len(nudges_about(stack, failing["title"])) == 1
    assert len(nudges_about(stack, fine["title"])) == 1


def test_nudge_sent_but_not_yet_recorded_is_recorded_and_never_sent_again(stack: LocalStack, faults: Injector) -> None:
    day = "2035-01-17"
    sail = nudge_sail(day)
    # Given recording "sent" fails once right after the send
    faults.fail("dynamodb", "UpdateItem", DYNAMODB_FAULTS[1], first=1, where=mentions(f"NUDGE#{sail['id']}"))
    nudge_run(day)
    faults.clear()
    # Then the nudge went out once and is recorded as sent
    assert len(nudges_about(stack, sail["title"])) == 1
    assert [r["status"] for r in nudge_records(sail["id"])] == ["sent"]
    # And no later run (even past the stale-claim takeover) sends it again
    nudge_run(day, hour=11)
    nudge_run(day, hour=14)
    assert len(nudges_about(stack, sail["title"])) == 1


# --- report dispatch ---------------------------------------------------------------------------
def dispatch(period: str, kinds: list[str], *, later: timedelta = timedelta(0)) -> Any:
    from quarterdeck.reports.dispatch import Collaborators, run_reports
    from quarterdeck.reports.sending import report_sender

    sender = report_sender(rate=50)
    sender.base_delay = 0.01
    return run_reports(kinds, period=period, using=Collaborators(mailer=sender, clock=lambda: datetime.now(LA) + later))


def report_mail(stack: LocalStack, period: str) -> Counter[str]:
    return Counter(m["subject"] for m in outbox(stack) if m["subject"].endswith(f"· {period}"))


def run_record(kind: str, period: str) -> Item | None:
    from quarterdeck.reports.runs import get_run
    from quarterdeck.reports.wiring import report_runs

    return get_run(report_runs(), kind, period)


def statuses(summary: Any) -> dict[str, str]:
    return {o.kind: o.status for o in summary.outcomes}


@pytest.mark.parametrize("kind", SES_FAULTS, ids=ids(SES_FAULTS))
def test_report_whose_send_failed_is_retried_by_the_next_run_and_shows_in_its_summary(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    period = f"2033-W3{SES_FAULTS.index(kind)}"
    # Given SES fails every send of the CFO report
    faults.fail("sesv2", "SendEmail", kind, where=subject_has(f"CFO report · {period}"))
    first = dispatch(period, ["ceo", "cfo"])
    # Then the run's summary names the failure and why; the other report went out
    assert statuses(first) == {"ceo": "sent", "cfo": "failed"}
    assert "try again" in first.failed[0].reason and "cfo" in first.table()
    record = run_record("cfo", period)
    assert record is not None and record["status"] == "failed" and "message_id" not in record
    assert "lease_until" not in record  # released: the next run may retry at once
    faults.clear()
    # When the next run comes, it sends the failed one (and skips the one already sent)
    second = dispatch(period, ["ceo", "cfo"])
    assert statuses(second) == {"ceo": "skipped", "cfo": "sent"}
    assert "cfo" in second.table() and "sent" in second.table()
    # And each report went out exactly once
    assert report_mail(stack, period) == Counter({f"CEO report · {period}": 1, f"CFO report · {period}": 1})
    record = run_record("cfo", period)
    assert record is not None and record["status"] == "sent" and record["sends"] == 1 and record["attempts"] == 2


@pytest.mark.parametrize("kind", DYNAMODB_FAULTS, ids=ids(DYNAMODB_FAULTS))
def test_report_whose_claim_fails_is_not_sent_and_goes_out_next_run(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    period = f"2033-W4{DYNAMODB_FAULTS.index(kind)}"
    faults.fail("dynamodb", "UpdateItem", kind, where=mentions("REPORT#cfo", "#attempts"))
    first = dispatch(period, ["cfo"])
    assert statuses(first) == {"cfo": "failed"} and "try again" in first.failed[0].reason
    assert report_mail(stack, period) == Counter()
    faults.clear()
    second = dispatch(period, ["cfo"])
    assert statuses(second) == {"cfo": "sent"}
    assert report_mail(stack, period) == Counter({f"CFO report · {period}": 1})


def test_report_sent_but_not_yet_recorded_is_never_sent_again(stack: LocalStack, faults: Injector) -> None:
    period = "2033-W50"
    # Given recording "sent" fails (every attempt) right after SES accepted the message
    faults.fail("dynamodb", "TransactWriteItems", DYNAMODB_FAULTS[1], where=mentions("REPORT#cfo", "#sends"))
    first = dispatch(period, ["cfo"])
    faults.clear()
    assert report_mail(stack, period) == Counter({f"CFO report · {period}": 1})
    # Then the first run's summary says it was sent, and that recording it went wrong
    (outcome,) = first.outcomes
    assert outcome.message_id and "sent (MessageId" in first.table(), first.table()
    record = run_record("cfo", period)
    assert record is not None and record["status"] == "sent" and record["message_id"] == outcome.message_id
    # When the next runs come (the schedule's retry now, a later firing past any lease)
    assert statuses(dispatch(period, ["cfo"])) == {"cfo": "skipped"}
    assert statuses(dispatch(period, ["cfo"], later=timedelta(hours=2))) == {"cfo": "skipped"}
    # Then nothing is sent a second time
    assert report_mail(stack, period) == Counter({f"CFO report · {period}": 1})


def test_report_whose_cards_cannot_be_filed_is_sent_once_and_its_cards_are_filed_by_the_next_run(
    stack: LocalStack, faults: Injector
) -> None:
    from quarterdeck.repositories.tasks import DynamoTaskRepository

    # (the latest periods of the session: a card's evidence is updated only by a run of a period
    # at least as late as the last one that found it, and other tests run the CFO report too)
    period = "2199-W51"
    # Given the cards cannot be read or written while the report is sent (one card per action:
    # they are filed after the run's record, never in it)
    faults.fail("dynamodb", "BatchGetItem", DYNAMODB_FAULTS[0], where=mentions("TASK#"))
    first = dispatch(period, ["cfo"])
    faults.clear()
    # Then the report went out once and is recorded sent
    assert report_mail(stack, period) == Counter({f"CFO report · {period}": 1})
    (outcome,) = first.outcomes
    assert outcome.status == "sent", first.table()
    record = run_record("cfo", period)
    assert record is not None and record["status"] == "sent" and record["message_id"] == outcome.message_id
    # And the next run sends nothing again
    assert statuses(dispatch(period, ["cfo"], later=timedelta(hours=2))) == {"cfo": "skipped"}
    assert report_mail(stack, period) == Counter({f"CFO report · {period}": 1})
    # And the next week's run files the cards (one per action, the latest evidence)
    following = "2199-W52"
    assert statuses(dispatch(following, ["cfo"])) == {"cfo": "sent"}
    seen = [t for t in DynamoTaskRepository(Store()).open_tasks() if (t.get("source") or {}).get("kind") == "cfo"]
    assert any(t.get("last_seen") == following for t in seen)
    assert len({t["source_key"] for t in seen}) == len(seen)


@pytest.mark.parametrize("kind", S3_FAULTS, ids=ids(S3_FAULTS))
def test_reports_whose_data_cannot_be_read_fail_clearly_and_go_out_next_run(
    stack: LocalStack, faults: Injector, kind: Kind
) -> None:
    period = f"2033-W4{5 + S3_FAULTS.index(kind)}"
    faults.fail("s3", "GetObject", kind)
    first = dispatch(period, ["ceo", "cfo"])
    assert statuses(first) == {"ceo": "failed", "cfo": "failed"}, first.table()
    assert report_mail(stack, period) == Counter()
    faults.clear()
    assert statuses(dispatch(period, ["ceo", "cfo"])) == {"ceo": "sent", "cfo": "sent"}
    assert report_mail(stack, period) == Counter({f"CEO report · {period}": 1, f"CFO report · {period}": 1})
