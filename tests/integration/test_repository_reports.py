"""The ReportRunRepository contract: the same scenarios against DynamoDB (moto's server, the
table built from template.yaml) and against the in-memory twin the unit tests use.

Each scenario uses a report kind of its own, so the seeded stack's runs never meet it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.clock import epoch, iso
from quarterdeck.errors import RunHeldError, RunTakenOverError
from quarterdeck.repositories import Item
from quarterdeck.repositories.reports import DynamoReportRunRepository, FailedRun, ReportRunRepository, SentRun
from quarterdeck.repositories.tasks import DynamoTaskRepository, TaskRepository
from tests.unit.memory.reports import MemoryReportRunRepository

NOW = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)
LEASE = epoch(NOW + timedelta(minutes=3))
TO, OTHER = "owner@example.com", "cfo@example.com"


@dataclass
class Given:
    runs: ReportRunRepository
    tasks: TaskRepository
    kind: str


@pytest.fixture(params=["dynamo", "memory"])
def given(request: pytest.FixtureRequest, stack: LocalStack) -> Given:
    kind = "k" + uuid.uuid4().hex[:10]
    if request.param == "dynamo":
        from quarterdeck.store import Store

        store = Store()
        return Given(DynamoReportRunRepository(store), DynamoTaskRepository(store), kind)
    memory = MemoryReportRunRepository()
    return Given(memory, memory.tasks, kind)


def claim(g: Given, attempt: str = "a1", *, now: datetime = NOW, force: bool = False, to: str = TO) -> Item:
    lease = epoch(now + timedelta(minutes=3))
    return g.runs.claim(g.kind, "2031-W10", to, attempt=attempt, now=now, lease_until=lease, force=force)


def sent(g: Given, attempt: str = "a1", *, message_id: str = "m1", cards: list[Item] | None = None) -> None:
    view = {"period": "2031-W10", "recipient": TO, "status": "sent", "message_id": message_id, "updated_at": iso(NOW)}
    g.runs.record_sent(
        SentRun(
            g.kind,
            "2031-W10",
            TO,
            attempt,
            NOW,
            view,
            message_id=message_id,
            recipients=(TO, "archive@example.com"),
            subject="Report",
            tasks=len(cards or []),
            forced=False,
            cards=tuple(cards or ()),
        )
    )


def failed(g: Given, attempt: str = "a1", *, status: str, error: str, message_id: str | None, view: Item) -> None:
    g.runs.record_failed(FailedRun(g.kind, "2031-W10", TO, attempt, NOW, view, status, error, message_id))


def card(title: str = "Do it") -> Item:
    task_id = "r" + uuid.uuid4().hex[:12]
    at = iso(NOW)
    return {
        "type": "task",
        "id": task_id,
        "title": title,
        "status": "pending",
        "created_at": at,
        "created_by": "reports",
        "updated_at": at,
        "version": 1,
        "history": [{"at": at, "by": "reports", "to": "pending"}],
    }


def pick(item: Item | None, *names: str) -> dict[str, Any]:
    assert item is not None
    return {name: item.get(name) for name in names}


def test_a_fresh_run_is_claimed_and_reads_back(given: Given) -> None:
    # When a run nobody has touched is claimed
    item = claim(given)
    # Then it is claimed by that attempt, with its lease, counted once
    expected = {"kind": given.kind, "period": "2031-W10", "recipient": TO, "status": "claimed", "attempt": "a1"}
    assert pick(item, *expected) == expected
    assert (item["lease_until"], item["attempts"], item["claimed_at"]) == (LEASE, 1, iso(NOW))
    assert given.runs.get_run(given.kind, "2031-W10", TO) == item


def test_a_run_another_attempt_holds_is_refused_with_the_run_as_it_is(given: Given) -> None:
    # Given a run claimed a minute ago
    claim(given, "a1", now=NOW - timedelta(minutes=1))
    # When another attempt claims it, even with force
    with pytest.raises(RunHeldError) as held:
        claim(given, "a2", force=True)
    # Then it is refused, showing who holds it
    assert held.value.current is not None and held.value.current["attempt"] == "a1"


def test_an_expired_lease_is_taken_over(given: Given) -> None:
    # Given a run claimed an hour ago by an attempt that crashed
    claim(given, "crashed", now=NOW - timedelta(hours=1))
    # When another attempt claims it now
    item = claim(given, "a2")
    # Then it holds it, and the run counts both attempts
    assert (item["attempt"], item["attempts"]) == ("a2", 2)


def test_a_sent_run_is_recorded_with_its_summary_and_cards_and_is_not_claimed_again(given: Given) -> None:
    # Given a claimed run, and one of the report's cards filed before and since edited
    claim(given)
    old = card("Filed before")
    given.tasks.create(old)
    edited = given.tasks.update(old, changes={"title": "Edited"}, now=iso(NOW))
    new = card("New card")
    # When it is recorded sent, with both cards
    sent(given, cards=[old, new])
    # Then the run is sent and its lease released
    run = given.runs.get_run(given.kind, "2031-W10", TO)
    assert pick(run, "status", "message_id", "sent_at", "sends", "subject", "message_ids") == {
        "status": "sent",
        "message_id": "m1",
        "sent_at": iso(NOW),
        "sends": 1,
        "subject": "Report",
        "message_ids": ["m1"],
    }
    assert run is not None and "lease_until" not in run
    # And the summary holds the delivery
    latest = given.runs.latest(given.kind)
    assert latest is not None and latest.refused is None
    assert [pick(d, "recipient", "message_id") for d in latest.deliveries] == [{"recipient": TO, "message_id": "m1"}]
    assert given.kind in {s.kind for s in given.runs.all_latest()}
    # And the new card exists, the edited one is left as it was
    assert given.tasks.get(new["id"], consistent=True) == new
    assert given.tasks.get(old["id"], consistent=True) == edited
    # And the run is not claimed again, unless forced
    with pytest.raises(RunHeldError) as held:
        claim(given, "a2")
    assert held.value.current is not None and held.value.current["message_id"] == "m1"
    assert claim(given, "a3", force=True)["attempt"] == "a3"


def test_a_record_by_an_attempt_that_lost_the_run_writes_nothing(given: Given) -> None:
    # Given a run taken over by a second attempt after the first one's lease expired
    claim(given, "a1", now=NOW - timedelta(hours=1))
    claim(given, "a2")
    lost = card()
    # When the first attempt records it sent (with a card)
    with pytest.raises(RunTakenOverError):
        sent(given, "a1", cards=[lost])
    # Then nothing was written: the run, the summary and the card
    run = given.runs.get_run(given.kind, "2031-W10", TO)
    assert pick(run, "attempt", "status") == {"attempt": "a2", "status": "claimed"}
    assert given.runs.latest(given.kind) is None
    assert given.tasks.get(lost["id"], consistent=True) is None
    # And a failure recorded by it is refused the same way
    with pytest.raises(RunTakenOverError):
        failed(given, "a1", status="failed", error="x", message_id=None, view={})


def test_a_failed_run_releases_its_lease_and_may_be_claimed_at_once(given: Given) -> None:
    # Given a claimed run
    claim(given)
    view = {"period": "2031-W10", "recipient": TO, "status": "failed", "error": "SES said no", "updated_at": iso(NOW)}
    # When it is recorded failed
    failed(given, status="failed", error="SES said no", message_id=None, view=view)
    # Then it says so, with no lease and no message id, and the summary shows it
    run = given.runs.get_run(given.kind, "2031-W10", TO)
    assert pick(run, "status", "error", "failed_at", "message_id") == {
        "status": "failed",
        "error": "SES said no",
        "failed_at": iso(NOW),
        "message_id": None,
    }
    assert run is not None and "lease_until" not in run
    latest = given.runs.latest(given.kind)
    assert latest is not None and [d["error"] for d in latest.deliveries] == ["SES said no"]
    # And the next attempt claims it at once
    assert claim(given, "a2")["attempt"] == "a2"


def test_a_failure_after_ses_took_the_message_keeps_its_message_id(given: Given) -> None:
    # Given a claimed run whose message SES accepted, but whose record failed
    claim(given)
    # When the failure is recorded with the message id
    failed(given, status="sent", error="record failed", message_id="m9", view={})
    # Then the run is sent with that id, and no later attempt claims it
    run = given.runs.get_run(given.kind, "2031-W10", TO)
    assert pick(run, "status", "message_id", "sent_at") == {"status": "sent", "message_id": "m9", "sent_at": iso(NOW)}
    with pytest.raises(RunHeldError):
        claim(given, "a2")


def test_a_refusal_is_noted_on_the_summary_beside_the_deliveries(given: Given) -> None:
    # Given a delivered run
    claim(given)
    sent(given)
    # When a later run is refused before any claim
    refusal = {"period": "2031-W11", "status": "failed", "error": "No portfolio", "updated_at": iso(NOW)}
    given.runs.record_refusal(given.kind, NOW + timedelta(days=7), refusal)
    # Then the summary holds both: the delivery unchanged, and the refusal
    latest = given.runs.latest(given.kind)
    assert latest is not None and latest.refused is not None
    assert pick(latest.refused, "period", "error") == {"period": "2031-W11", "error": "No portfolio"}
    assert [d["message_id"] for d in latest.deliveries] == ["m1"]
    # And no run was written for the refused period
    assert given.runs.period_runs(given.kind, "2031-W11") == []


def test_a_period_lists_each_recipient_s_run_and_no_other_period(given: Given) -> None:
    # Given runs to two recipients in one period and one in another
    claim(given, to=TO)
    claim(given, to=OTHER)
    given.runs.claim(given.kind, "2031-W11", TO, attempt="w11", now=NOW, lease_until=LEASE, force=False)
    # Then the period lists its two, and a missing run or kind reads as nothing
    assert sorted(r["recipient"] for r in given.runs.period_runs(given.kind, "2031-W10")) == [OTHER, TO]
    assert given.runs.get_run(given.kind, "2031-W12", TO) is None
    assert given.runs.latest(given.kind + "x") is None
