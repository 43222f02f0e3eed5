"""The delivery log (issue 22): SES events kept per MessageId and recipient; a hard bounce or a
complaint suppresses the address with a reason; the sender skips suppressed addresses."""

from __future__ import annotations

from typing import Any

from local.mail_events import ses_event
from quarterdeck.deliveries import deliveries_of, record_ses_event
from quarterdeck.mail import SUPPRESSED_PREFIX, OutgoingEmail, SesMailSender, without_suppressed
from tests.unit.memory.deliveries import MemoryDeliveryRepository


def _detail(kind: str, message_id: str, *recipients: str) -> dict[str, Any]:
    detail: dict[str, Any] = ses_event(kind, message_id, list(recipients))["detail"]
    return detail


def test_a_hard_bounce_is_recorded_and_suppresses_the_address_once() -> None:
    deliveries = MemoryDeliveryRepository()
    # When SES reports a hard bounce of m-1 to Crew@X
    recorded = record_ses_event(_detail("bounce", "m-1", "Crew@X"), deliveries)
    # Then the event is kept for that message and address, and the address is suppressed with its reason
    assert (recorded.event, recorded.recorded, recorded.suppressed) == ("bounce", ["crew@x"], ["crew@x"])
    (event,) = deliveries.events_of("m-1")
    assert event["event"] == "bounce" and "550 5.1.1" in event["detail"]
    reason = deliveries.suppressions_of(["crew@x"])["crew@x"]["reason"]
    assert reason.startswith("Hard bounce: Permanent bounce (General)")
    # When EventBridge delivers the same event again, nothing changes
    again = record_ses_event(_detail("bounce", "m-1", "crew@x"), deliveries)
    assert again.recorded == [] and again.suppressed == [] and len(deliveries.events_of("m-1")) == 1


def test_a_complaint_suppresses_and_a_soft_bounce_or_a_delivery_does_not() -> None:
    deliveries = MemoryDeliveryRepository()
    record_ses_event(_detail("delivery", "m-1", "a@x", "b@x"), deliveries)
    soft = _detail("bounce", "m-2", "c@x")
    soft["bounce"]["bounceType"] = "Transient"
    record_ses_event(soft, deliveries)
    assert deliveries.suppressed_addresses() == []
    record_ses_event(_detail("complaint", "m-1", "b@x"), deliveries)
    (complained,) = deliveries.suppressed_addresses()
    assert complained["email"] == "b@x" and complained["reason"] == "Complaint (abuse): marked as spam"
    # Each recipient's delivery: a complaint outranks the delivery that came before it
    statuses = {
        d["recipient"]: d["status"]
        for d in deliveries_of(
            [{"recipient": "a@x", "message_id": "m-1"}, {"recipient": "b@x", "message_id": "m-1"}], deliveries
        )
    }
    assert statuses == {"a@x": "delivery", "b@x": "complaint"}


def test_other_events_are_ignored() -> None:
    deliveries = MemoryDeliveryRepository()
    assert record_ses_event({"eventType": "Open", "mail": {"messageId": "m"}}, deliveries).recorded == []
    assert record_ses_event({"eventType": "Bounce", "bounce": {}}, deliveries).recorded == []
    assert deliveries.events == {}


def _email(*to: str, bcc: tuple[str, ...] = ()) -> OutgoingEmail:
    return OutgoingEmail(to=to, bcc=bcc, subject="Hello", text="t", html="<p>h</p>", kind="nudge")


def test_the_sender_drops_suppressed_recipients_and_skips_a_message_left_without_any() -> None:
    deliveries = MemoryDeliveryRepository()
    deliveries.suppress("gone@x", "Hard bounce", "bounce", "m-0", "2026-12-04T00:00:00Z")
    kept = without_suppressed(_email("ok@x", "Gone@X", bcc=("gone@x", "archive@x")), deliveries)
    assert kept is not None and kept.to == ("ok@x",) and kept.bcc == ("archive@x",)
    assert without_suppressed(_email("gone@x", bcc=("archive@x",)), deliveries) is None
    assert without_suppressed(_email("ok@x"), None) == _email("ok@x")

    class Broken:
        def suppressions_of(self, emails: Any) -> Any:
            raise RuntimeError("table down")

    assert without_suppressed(_email("gone@x"), Broken()) == _email("gone@x")  # fails open, logged


def test_the_ses_sender_never_calls_ses_for_a_suppressed_recipient() -> None:
    deliveries = MemoryDeliveryRepository()
    deliveries.suppress("gone@x", "Complaint", "complaint", "m-0", "2026-12-04T00:00:00Z")
    sender = SesMailSender(suppressions=deliveries, _verified=True)  # no SES client is made: none is reachable
    message_id = sender.send(_email("gone@x"))
    assert message_id.startswith(SUPPRESSED_PREFIX) and sender.suppressed == 1


def test_the_cached_list_is_read_once_per_period_and_then_again() -> None:
    from quarterdeck.repositories.deliveries import CachedSuppressions

    class Counted(MemoryDeliveryRepository):
        reads = 0

        def suppressed_addresses(self) -> list[dict[str, Any]]:
            self.reads += 1
            return super().suppressed_addresses()

    deliveries = Counted()
    deliveries.suppress("gone@x", "Hard bounce", "bounce", "m-0", "2026-12-04T00:00:00Z")
    now = {"t": 0.0}
    cached = CachedSuppressions(deliveries, seconds=300, monotonic=lambda: now["t"])
    assert set(cached.suppressions_of(["Gone@X", "ok@x"])) == {"gone@x"}
    deliveries.suppress("new@x", "Complaint", "complaint", "m-1", "2026-12-04T00:01:00Z")
    now["t"] = 299.0
    assert cached.suppressions_of(["new@x"]) == {} and deliveries.reads == 1  # still the copy
    now["t"] = 300.0
    assert set(cached.suppressions_of(["new@x"])) == {"new@x"} and deliveries.reads == 2
