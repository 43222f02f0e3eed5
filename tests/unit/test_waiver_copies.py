"""Owed waiver copies: a copy whose email or storing failed when the guest signed is listed as
owed, and the hourly nudge run delivers it once. The domain alone: an in-memory guest
repository, mailer and bucket, a fixed clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from quarterdeck import waiver_copies, waivers
from quarterdeck.nudge_summary import NudgeSummary
from quarterdeck.waiver_copies import finish_owed_copies
from tests.unit.fakes import FakeDocuments, FakeMailer, FixedClock
from tests.unit.memory.guests import MemoryGuestRepository
from tests.unit.test_guests import NOW, SETTINGS, a_sail, add, sign

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def repo() -> MemoryGuestRepository:
    return MemoryGuestRepository()


def new_guest(
    repo: MemoryGuestRepository, mailer: FakeMailer, clock: FixedClock, title: str, email: str
) -> tuple[str, str]:
    """A sail two weeks out with one guest on hold; the invitation mail is forgotten."""
    sail = a_sail(repo, f"sail-{len(repo.sails) + 1}", "2026-12-07", title=title)
    guest = add(repo, mailer, clock, sail["id"], name="Ada Guest", email=email)["guest"]
    mailer.sent.clear()
    return sail["id"], guest["id"]


def nudge_run(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> NudgeSummary:
    """The owed-copies part of the hourly nudge run (`nudges.run_nudges` ends with it)."""
    summary = NudgeSummary(at=clock().isoformat())
    finish_owed_copies(repo, mailer, summary, settings=SETTINGS, clock=clock, documents=documents)
    return summary


def copies_to(mailer: FakeMailer, address: str) -> int:
    return len([m for m in mailer.sent if address in m.to and "signed waiver" in m.subject.lower()])


def listed(repo: MemoryGuestRepository) -> list[tuple[str, str]]:
    return [(str(item["sail_id"]), str(item["guest_id"])) for item in repo.owed_copies(limit=100)]


def test_a_copy_whose_email_failed_is_delivered_once_by_the_next_nudge_run(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "Owed email", "ada@example.com")
    # Given SES fails when Ada signs
    mailer.failures = 1
    answer = sign(repo, mailer, documents, clock, sail_id, guest_id)
    # Then she is confirmed, told the copy will follow, and the copy is listed as owed
    assert answer["guest"]["status"] == "confirmed" and answer["copy_emailed"] is False
    assert "we will retry within the hour" in answer["message"]
    assert listed(repo) == [(sail_id, guest_id)] and copies_to(mailer, "ada@example.com") == 0
    # When the hourly run comes, at 11 PM in San Diego (quiet hours do not hold back her copy)
    clock.now = NOW.replace(hour=7) + timedelta(days=1)  # 23:00 the evening before, local time
    first = nudge_run(repo, mailer, documents, clock)
    # Then Ada gets her copy once, it is stored naming that email, and nothing is owed any more
    assert first.sent["waiver_copy"] == 1 and first.failed == []
    assert copies_to(mailer, "ada@example.com") == 1
    record = repo.signatures[(sail_id, guest_id)]
    assert documents.metadata[record["object_key"]]["ses-message-id"] == "message-1"
    assert listed(repo) == [] and record["copy_owed"] is False
    assert waivers.get_guest_record(repo, sail_id, guest_id)["signature"]["copy_emailed"] is True
    # When the run comes again
    clock.now += timedelta(hours=1)
    second = nudge_run(repo, mailer, documents, clock)
    # Then it sends nothing more
    assert "waiver_copy" not in second.sent and second.failed == []
    assert copies_to(mailer, "ada@example.com") == 1 and len(documents.objects) == 1


def test_a_copy_whose_storing_failed_is_stored_by_the_run_without_a_second_email(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "Owed put", "ada@example.com")
    # Given the copy was emailed when Ada signed, but S3 failed to store it
    documents.failures = 1
    answer = sign(repo, mailer, documents, clock, sail_id, guest_id)
    assert answer["copy_emailed"] is True and answer["copy_stored"] is False
    assert listed(repo) == [(sail_id, guest_id)] and not documents.objects
    # When the next run comes
    clock.now += timedelta(hours=1)
    summary = nudge_run(repo, mailer, documents, clock)
    # Then the copy is stored naming the email she already has, and she is not mailed again
    record = repo.signatures[(sail_id, guest_id)]
    assert summary.sent["waiver_copy"] == 1
    assert documents.metadata[record["object_key"]]["ses-message-id"] == record["copy_message_id"] == "message-1"
    assert copies_to(mailer, "ada@example.com") == 1
    assert record["copy_stored"] is True and listed(repo) == []


def test_a_normal_signature_is_listed_until_the_next_run_finds_its_copy_delivered(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "All well", "ada@example.com")
    # Given Ada signed and her copy went out (two round trips; listed from the signing on)
    repo.calls.clear()
    sign(repo, mailer, documents, clock, sail_id, guest_id)
    assert repo.calls == ["read", "record_signature"] and listed(repo) == [(sail_id, guest_id)]
    # When the run comes
    clock.now += timedelta(hours=1)
    summary = nudge_run(repo, mailer, documents, clock)
    # Then it finds the copy in the bucket, sends nothing, says so and unlists it
    assert summary.as_dict()["sent"] == {} and summary.skipped["waiver_copy:found_delivered"] == 1
    assert copies_to(mailer, "ada@example.com") == 1 and listed(repo) == []
    # And the run after that reads one Query for copies and nothing more
    repo.calls.clear()
    clock.now += timedelta(hours=1)
    summary = nudge_run(repo, mailer, documents, clock)
    assert repo.calls == ["owed_copies"] and summary.as_dict()["sent"] == {} and not summary.skipped


def test_a_copy_whose_signing_request_died_after_its_transaction_is_delivered_by_the_run(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "Died half-way", "ada@example.com")
    # Given the signing request dies right after its transaction (the function timed out while
    # SES hung, say): nothing it would have written on a failure is written
    mailer.crash = RuntimeError("Task timed out")
    with pytest.raises(RuntimeError):
        sign(repo, mailer, documents, clock, sail_id, guest_id)
    mailer.crash = None
    assert repo.guests[(sail_id, guest_id)]["status"] == "confirmed" and not documents.objects
    # When the hourly run comes, its lease long run out
    clock.now += timedelta(hours=1)
    summary = nudge_run(repo, mailer, documents, clock)
    # Then Ada gets her copy once, it is stored, and nothing is owed any more
    assert summary.sent["waiver_copy"] == 1 and summary.failed == []
    assert copies_to(mailer, "ada@example.com") == 1 and len(documents.objects) == 1 and listed(repo) == []


def test_one_copy_failing_again_does_not_stop_the_others(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    # Given two guests whose copies could not be emailed, Ada first
    ada = new_guest(repo, mailer, clock, "Two owed", "ada@example.com")
    mailer.failures = 1
    sign(repo, mailer, documents, clock, *ada)
    clock.now += timedelta(minutes=1)
    bo = new_guest(repo, mailer, clock, "Two owed, too", "bo@example.com")
    mailer.failures = 1
    sign(repo, mailer, documents, clock, *bo)
    assert listed(repo) == [ada, bo]
    # When the run comes and SES fails once more (on Ada's copy, the oldest)
    clock.now += timedelta(hours=1)
    mailer.failures = 1
    summary = nudge_run(repo, mailer, documents, clock)
    # Then Bo gets his copy, Ada's failure is in the summary, and hers is still owed
    assert summary.sent["waiver_copy"] == 1 and copies_to(mailer, "bo@example.com") == 1
    assert len(summary.failed) == 1 and ada[1] in summary.failed[0] and "still owed" in summary.failed[0]
    assert listed(repo) == [ada] and copies_to(mailer, "ada@example.com") == 0
    # And the run after that delivers hers
    clock.now += timedelta(hours=1)
    assert nudge_run(repo, mailer, documents, clock).sent["waiver_copy"] == 1
    assert copies_to(mailer, "ada@example.com") == 1 and listed(repo) == []


def test_a_copy_someone_is_delivering_right_now_is_left_to_them(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "In flight", "ada@example.com")
    mailer.failures = 1
    sign(repo, mailer, documents, clock, sail_id, guest_id)
    # Given Ada's second click holds the copy's lease at the moment the run comes
    record = repo.signatures[(sail_id, guest_id)]
    record["copy_lease_until"] = int(clock.now.timestamp()) + waiver_copies.COPY_LEASE_SECONDS
    summary = nudge_run(repo, mailer, documents, clock)
    # Then the run sends nothing, says so, and the copy stays listed until it is done
    assert summary.skipped["waiver_copy:in_flight"] == 1 and summary.failed == []
    assert copies_to(mailer, "ada@example.com") == 0 and listed(repo) == [(sail_id, guest_id)]


def test_a_copy_delivered_whose_record_was_not_written_is_unlisted_without_mail(
    repo: MemoryGuestRepository, mailer: FakeMailer, documents: FakeDocuments, clock: FixedClock
) -> None:
    sail_id, guest_id = new_guest(repo, mailer, clock, "Lost record", "ada@example.com")
    documents.failures = 1
    sign(repo, mailer, documents, clock, sail_id, guest_id)
    # Given a retry stored the copy but could not record it (the record still lists it as owed)
    record = repo.signatures[(sail_id, guest_id)]
    documents.put_new(record["object_key"], b"copy", metadata={"ses-message-id": "message-1"})
    # When the run comes
    summary = nudge_run(repo, mailer, documents, clock)
    # Then it mails nothing, says it found the copy delivered and no longer lists it
    assert summary.skipped["waiver_copy:found_delivered"] == 1 and "waiver_copy" not in summary.sent
    assert copies_to(mailer, "ada@example.com") == 1
    assert listed(repo) == [] and repo.signatures[(sail_id, guest_id)]["copy_stored"] is True


def test_a_run_with_nothing_owed_loads_neither_jinja2_nor_the_bucket_client() -> None:
    # Given a fresh process with the nudge module and an empty owed-copies index
    script = (
        "import sys, json\n"
        "from quarterdeck.config import Settings\n"
        "from quarterdeck.nudges import NudgeSummary\n"
        "from quarterdeck.waiver_copies import finish_owed_copies\n"
        "class Empty:\n"
        "    def owed_copies(self, *, limit): return []\n"
        "summary = NudgeSummary(at='now')\n"
        "finish_owed_copies(Empty(), None, summary, settings=Settings(), clock=None)\n"
        "heavy = ('jinja2', 'quarterdeck.documents')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "shared")}
    # When it looks for owed copies
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    # Then none of the heavy modules was imported
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
