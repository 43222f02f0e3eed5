"""Contract: the delivery log's repository, DynamoDB (moto, the table from template.yaml) and in
memory (tests/unit/memory/deliveries.py) run the same scenarios, so the fake cannot drift.

Each test uses its own MessageIds and addresses, so what another test recorded never shows."""

from __future__ import annotations

import pytest

from local.stack import LocalStack
from quarterdeck.clock import new_id
from quarterdeck.repositories.deliveries import DeliveryRepository, DynamoDeliveryRepository
from quarterdeck.store import Store
from tests.unit.memory.deliveries import MemoryDeliveryRepository


@pytest.fixture(params=["dynamo", "memory"])
def deliveries(request: pytest.FixtureRequest, stack: LocalStack) -> DeliveryRepository:
    # The stack is asked for statically, before the per-test fixtures: it points Store() at its table.
    if request.param == "dynamo":
        return DynamoDeliveryRepository(Store())
    return MemoryDeliveryRepository()


def test_events_are_kept_once_per_message_recipient_and_event(deliveries: DeliveryRepository) -> None:
    # Given a message to two recipients
    message_id = f"m-{new_id()}"
    # When SES reports a delivery to each and a complaint by one (and repeats an event)
    assert deliveries.record_event(message_id, "A@X.example", "delivery", "2026-12-04T15:00:00Z", "250 OK")
    assert deliveries.record_event(message_id, "b@x.example", "delivery", "2026-12-04T15:00:01Z", "250 OK")
    assert deliveries.record_event(message_id, "b@x.example", "complaint", "2026-12-04T16:00:00Z")
    assert not deliveries.record_event(message_id, "a@x.example", "delivery", "2026-12-04T15:09:00Z", "again")
    # Then each is kept once, by recipient then event, addresses lower-cased, the first word kept
    assert deliveries.events_of(message_id) == [
        {
            "message_id": message_id,
            "recipient": "a@x.example",
            "event": "delivery",
            "at": "2026-12-04T15:00:00Z",
            "detail": "250 OK",
        },
        {"message_id": message_id, "recipient": "b@x.example", "event": "complaint", "at": "2026-12-04T16:00:00Z"},
        {
            "message_id": message_id,
            "recipient": "b@x.example",
            "event": "delivery",
            "at": "2026-12-04T15:00:01Z",
            "detail": "250 OK",
        },
    ]
    assert deliveries.events_of(f"m-{new_id()}") == []


def test_an_address_is_suppressed_once_with_its_first_reason(deliveries: DeliveryRepository) -> None:
    address = f"gone-{new_id()}@x.example".lower()
    assert deliveries.suppress(address.upper(), "Hard bounce: 550", "bounce", "m-1", "2026-12-04T15:00:00Z")
    assert not deliveries.suppress(address, "Complaint", "complaint", "m-2", "2026-12-05T15:00:00Z")
    expected = {
        "email": address,
        "reason": "Hard bounce: 550",
        "event": "bounce",
        "message_id": "m-1",
        "at": "2026-12-04T15:00:00Z",
    }
    # Then a send's check finds it (in any case), and the others are not suppressed
    assert deliveries.suppressions_of([address.upper(), "ok@x.example", " "]) == {address: expected}
    assert deliveries.suppressions_of([]) == {}
    # And the whole list shows it
    assert expected in deliveries.suppressed_addresses()


def test_a_reports_log_is_its_messages_events_and_its_recipients_suppressions(deliveries: DeliveryRepository) -> None:
    # Given two messages of a report, one bounced (and suppressed), one delivered, and another message's event
    first, second, other = (f"m-{new_id()}" for _ in range(3))
    bounced, delivered = f"b-{new_id()}@x.example".lower(), f"d-{new_id()}@x.example".lower()
    deliveries.record_event(first, bounced, "bounce", "2026-12-04T15:00:00Z", "Permanent bounce")
    deliveries.suppress(bounced, "Hard bounce", "bounce", first, "2026-12-04T15:00:00Z")
    deliveries.record_event(second, delivered, "delivery", "2026-12-04T15:00:01Z")
    deliveries.record_event(other, delivered, "complaint", "2026-12-04T16:00:00Z")
    # When the report's log is read (a message never sent has no MessageId to read)
    events, suppressions = deliveries.log_of([(first, bounced.upper()), (second, delivered), ("", "never@x.example")])
    # Then it holds those two messages' events only, and the bounced address's suppression
    assert [(e["message_id"], e["recipient"], e["event"]) for e in events] == sorted(
        [(first, bounced, "bounce"), (second, delivered, "delivery")]
    )
    assert set(suppressions) == {bounced} and suppressions[bounced]["reason"] == "Hard bounce"
    assert deliveries.log_of([]) == ([], {})
