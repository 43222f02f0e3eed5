"""Each due nudge goes out at most once: claimed, sent, marked sent (or freed when the send
failed), over the in-memory NudgeRepository (tests/unit/memory/nudges.py) and a FakeMailer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.nudge_summary import NudgeSummary
from quarterdeck.nudges import CHECKLIST_OPEN, STALE_CLAIM, UNFILLED_ROLES, Nudge, send_once
from tests.unit.fakes import FakeMailer
from tests.unit.memory.nudges import MemoryNudgeRepository

LA = ZoneInfo("America/Los_Angeles")
DAYTIME = datetime(2026, 6, 14, 10, 0, tzinfo=LA)
NIGHT = datetime(2026, 6, 14, 22, 0, tzinfo=LA)
NUDGE = Nudge(UNFILLED_ROLES, "d7", "late@example.com", "s1", {"open_slots": ["crew-1"]})


def email() -> OutgoingEmail:
    return OutgoingEmail(to=(NUDGE.recipient,), subject="A slot is open", text="Claim it", html="<p>Claim it</p>")


def send(
    repo: MemoryNudgeRepository,
    mailer: FakeMailer,
    at: datetime = DAYTIME,
    *,
    nudge: Nudge = NUDGE,
    opted_out: frozenset[str] = frozenset(),
) -> NudgeSummary:
    summary = NudgeSummary(at=at.isoformat())
    send_once(repo, mailer, nudge, email, summary, opted_out=opted_out, now=at, local_now=at)
    return summary


@pytest.fixture
def repo() -> MemoryNudgeRepository:
    return MemoryNudgeRepository()


def test_a_due_nudge_is_sent_once_and_recorded(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given a due nudge never sent
    # When two runs send it
    first, second = send(repo, mailer), send(repo, mailer, DAYTIME + timedelta(hours=1))
    # Then one email went out, its marker says sent with the MessageId, the second run skipped it
    assert len(mailer.sent) == 1 and first.sent[UNFILLED_ROLES] == 1
    assert repo.markers[NUDGE.marker]["status"] == "sent" and repo.markers[NUDGE.marker]["message_id"] == "message-1"
    assert second.skipped[f"{UNFILLED_ROLES}:already_sent"] == 1


def test_a_failed_send_frees_the_claim_for_the_next_run(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given SES fails once
    mailer.failures = 1
    # When the run sends, and the next run too
    failed = send(repo, mailer)
    assert failed.failed and NUDGE.marker not in repo.markers
    retried = send(repo, mailer, DAYTIME + timedelta(hours=1))
    # Then the next run delivers it
    assert retried.sent[UNFILLED_ROLES] == 1 and len(mailer.sent) == 1


def test_a_claim_left_by_a_dead_run_is_taken_over_once_stale(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given a run claimed the nudge and died before sending
    assert repo.claim(NUDGE.marker, at=DAYTIME, stale_before=DAYTIME, expires=DAYTIME + timedelta(days=30))
    # When a run comes within the stale window, and one after it
    early = send(repo, mailer, DAYTIME + STALE_CLAIM - timedelta(minutes=1))
    late = send(repo, mailer, DAYTIME + STALE_CLAIM + timedelta(minutes=1))
    # Then the first leaves it alone and the second sends it
    assert early.skipped[f"{UNFILLED_ROLES}:already_sent"] == 1 and late.sent[UNFILLED_ROLES] == 1


def test_quiet_hours_hold_back_all_but_the_urgent(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given it is 22:00 local time
    # When an unfilled-roles nudge and a checklist nudge are due
    held = send(repo, mailer, NIGHT)
    urgent = send(repo, mailer, NIGHT, nudge=Nudge(CHECKLIST_OPEN, "t-2h", "cap@example.com", "s1"))
    # Then only the urgent one goes out, and the other is not claimed (the morning run sends it)
    assert held.skipped[f"{UNFILLED_ROLES}:quiet_hours"] == 1 and NUDGE.marker not in repo.markers
    assert urgent.sent[CHECKLIST_OPEN] == 1 and len(mailer.sent) == 1


def test_someone_who_opted_out_gets_nothing(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given late@ turned nudges off
    repo.opt_out("Late@Example.com")
    opted_out = frozenset(repo.opted_out([NUDGE.recipient, "cap@example.com"]))
    # When their nudge is due
    summary = send(repo, mailer, opted_out=opted_out)
    # Then nothing is sent or claimed
    assert opted_out == {NUDGE.recipient} and summary.skipped[f"{UNFILLED_ROLES}:unsubscribed"] == 1
    assert mailer.sent == [] and repo.markers == {}


def test_a_claim_that_fails_is_reported_and_nothing_sent(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given the database refuses the claim
    repo.fail_next["claim"] = ServiceUnavailableError("The database is busy; please try again.")
    # When the nudge is due
    summary = send(repo, mailer)
    # Then it is reported as failed and no email went out
    assert summary.failed and mailer.sent == []


def test_a_sent_nudge_is_recorded_despite_a_passing_fault(repo: MemoryNudgeRepository, mailer: FakeMailer) -> None:
    # Given recording the send fails once
    repo.fail_next["mark_sent"] = ServiceUnavailableError("The database is busy; please try again.")
    # When the nudge goes out
    summary = send(repo, mailer)
    # Then the record is retried and the nudge is marked sent
    assert summary.failed == [] and repo.markers[NUDGE.marker]["status"] == "sent"
