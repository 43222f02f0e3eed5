"""Races on the local stack: what people and schedules do at the same moment keeps its promises.

Two kinds of race, as in production:

- over HTTP, as browsers and phones send them. The local server gives the handler one event at
  a time, as Lambda gives each execution environment (requests still arrive together and
  queue, so answers and identities must not mix);
- at the database, between Lambda environments: each contender runs the domain code in its own
  thread, and a barrier holds every one of them at its conditional write until all have read
  the old state, so only the write's condition can decide (moto's server applies one request
  at a time, as DynamoDB serialises writes to one item).

Also raced elsewhere, not repeated here: 50 claims of one slot, over HTTP and at the write
(tests/integration/test_roles_race.py); two nudge runs at once
(tests/integration/test_nudges.py::test_two_runs_at_once_send_each_nudge_once); capacity
under simultaneous guest adds (tests/integration/test_guests_api.py).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.store import Item, Store, Write
from tests.conftest import ApiClient, outbox, sign_in
from tests.integration.test_guests_api import add_guest, new_sail, open_waiver_link, sign, stored_copy_metadata

pytestmark = pytest.mark.slow

RACES: Counter[str] = Counter()  # contenders per race, printed at the end


class StoreWithADoor(Store):
    """Holds every contender at its conditional write until all `parties` have arrived there
    (so all of them read the old state first); then the writes go in."""

    def __init__(self, parties: int, *, at: Callable[[str, Any], bool]) -> None:
        super().__init__()
        self.door = threading.Barrier(parties, timeout=60)
        self.at = at
        self.writes = 0
        self._count = threading.Lock()

    def _wait(self, operation: str, detail: Any) -> None:
        if self.at(operation, detail):
            self.door.wait()
            with self._count:
                self.writes += 1

    def transact(self, writes: Sequence[Write]) -> None:
        self._wait("transact", writes)
        super().transact(writes)

    def update(self, pk: str, sk: str, update: str, **kwargs: Any) -> Item:
        self._wait("update", (pk, sk, update))
        return super().update(pk, sk, update, **kwargs)


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(0..count-1)` on `count` threads released together."""
    start = threading.Barrier(count, timeout=60)

    def run(n: int) -> Any:
        start.wait()
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Any:
    yield
    if RACES:
        print(f"\nraces: {len(RACES)} run, {sum(RACES.values())} contenders {dict(RACES)}")


# --- identities ------------------------------------------------------------------------------
def test_simultaneous_requests_each_get_their_own_callers_answer(stack: LocalStack) -> None:
    # Given 30 people, each signed in
    run = uuid.uuid4().hex[:8]
    emails = [f"who{n:02d}-{run}@example.com" for n in range(30)]
    people = [sign_in(stack, email) for email in emails]
    # When they all ask "who am I" at the same moment
    answers = at_once(30, lambda n: people[n].get("/api/me"))
    RACES["30 x GET /api/me"] = 30
    # Then every one of them is told their own email (the handler's per-request state never mixes)
    assert [a.status_code for a in answers] == [200] * 30
    assert [a.json()["email"] for a in answers] == emails


# --- waivers -------------------------------------------------------------------------------
def signed_copies(stack: LocalStack, email: str) -> list[dict[str, Any]]:
    return [m for m in outbox(stack) if email in m["to"] and "signed waiver" in m["subject"].lower()]


def assert_signed_once(stack: LocalStack, sail_id: str, guest_id: str, email: str) -> None:
    """One signature, the guest confirmed, one copy stored and mailed once."""
    partition = Store().query(keys.sail_partition(sail_id), consistent=True)
    waivers = [item for item in partition if item["sk"].startswith("WAIVER#")]
    guest = next(item for item in partition if item["sk"] == keys.guest(sail_id, guest_id)[1])
    signings = [item for item in partition if item.get("type") == "history" and item.get("action") == "waiver_signed"]
    assert len(waivers) == 1 and guest["status"] == "confirmed"
    assert len(signings) == 1
    # (the stored copy names the email that mailed it: the record of the delivery)
    metadata = stored_copy_metadata(waivers[0]["object_key"])
    assert metadata is not None and metadata["ses-message-id"]
    assert len(signed_copies(stack, email)) == 1


def test_ten_simultaneous_signatures_over_http_sign_once_and_mail_one_copy(stack: LocalStack, admin: ApiClient) -> None:
    # Given a guest on hold, with the waiver page open in ten tabs
    sail = new_sail(admin, days_ahead=31)
    guest = add_guest(admin, sail["id"])
    session = open_waiver_link(stack, guest["email"])
    # When all ten submit at once
    answers = at_once(10, lambda _n: sign(session, sail["id"], guest["id"]))
    RACES["10 x sign one waiver (HTTP)"] = 10
    # Then one signs (201) and nine are told it is already signed (200), none fails
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    assert {a.json()["guest"]["status"] for a in answers} == {"confirmed"}
    # And the table holds one signature, the guest is confirmed, one copy went out
    assert_signed_once(stack, sail["id"], guest["id"], guest["email"])


def test_signatures_racing_at_the_write_commit_once_and_mail_one_copy(stack: LocalStack, admin: ApiClient) -> None:
    from quarterdeck.auth import Caller
    from quarterdeck.documents import S3DocumentStore
    from quarterdeck.mail import default_mail_sender
    from quarterdeck.repositories.guests import DynamoGuestRepository
    from quarterdeck.waivers import sign_waiver

    # Given a guest on hold, and 8 requests that have all read the waiver as unsigned
    contenders = 8
    sail = new_sail(admin, days_ahead=32)
    guest = add_guest(admin, sail["id"])
    who = Caller(email=guest["email"], role="guest", jti="j", expires=0, sail_id=sail["id"], guest_id=guest["id"])
    store = StoreWithADoor(contenders, at=lambda operation, _: operation == "transact")

    def submit(_n: int) -> str:
        answer = sign_waiver(
            DynamoGuestRepository(store),
            default_mail_sender(),
            S3DocumentStore(),
            who,
            sail["id"],
            guest["id"],
            full_name="Ada L",
            accept=True,
        )
        return str(answer["status"])

    # When their transactions reach the table together
    statuses = at_once(contenders, submit)
    RACES["8 x sign one waiver (at the write)"] = contenders
    # Then one commits and seven find it signed; all 8 got as far as the write
    assert sorted(statuses) == ["already signed"] * (contenders - 1) + ["signed"]
    assert store.writes == contenders
    # And there is one signature, a confirmed guest, one copy stored and mailed
    assert_signed_once(stack, sail["id"], guest["id"], guest["email"])


# --- tasks -----------------------------------------------------------------------------------
def test_a_task_edited_from_two_tabs_keeps_one_edit_and_refuses_the_stale_one(admin: ApiClient) -> None:
    # Given a task open in two tabs, both at version 1
    task = admin.post("/api/tasks", {"title": f"Two tabs {uuid.uuid4().hex[:6]}"}).json()
    assert task["version"] == 1
    edits = [
        {"version": 1, "title": "Edited in tab A"},
        {"version": 1, "title": "Edited in tab B", "status": "in_review"},
    ]
    # When both tabs save at the same moment
    answers = at_once(2, lambda n: admin.patch(f"/api/tasks/{task['id']}", edits[n]))
    RACES["2 x edit one task (HTTP)"] = 2
    # Then one is saved (200) and the other is told it is stale (409, naming the version)
    assert sorted(a.status_code for a in answers) == [200, 409]
    (won,) = [n for n, a in enumerate(answers) if a.status_code == 200]
    (lost,) = [a for a in answers if a.status_code == 409]
    assert lost.json()["error"]["code"] == "stale_version" and lost.json()["error"]["field"] == "version"
    assert "version 2" in lost.json()["error"]["message"]
    # And the task holds exactly the winner's edit, at version 2
    now = admin.get(f"/api/tasks/{task['id']}").json()
    assert (now["title"], now["version"]) == (edits[won]["title"], 2)


def test_two_edits_racing_at_the_write_one_wins(admin: ApiClient) -> None:
    from quarterdeck.errors import StaleVersionError
    from quarterdeck.repositories.tasks import DynamoTaskRepository
    from quarterdeck.tasks import get_task, update_task

    # Given a task, and two edits that have both read it at version 1
    task = admin.post("/api/tasks", {"title": f"Race at the write {uuid.uuid4().hex[:6]}"}).json()
    store = StoreWithADoor(2, at=lambda operation, detail: operation == "update" and detail[0].startswith("TASK#"))
    moves = ["completed", "in_review"]

    def move(n: int) -> str:
        try:
            update_task(
                DynamoTaskRepository(store), "admin@example.com", task["id"], version=1, changes={"status": moves[n]}
            )
            return "saved"
        except StaleVersionError:
            return "stale"

    # When both conditional writes reach the table together
    outcomes = at_once(2, move)
    RACES["2 x edit one task (at the write)"] = 2
    # Then one is saved and the other refused as stale; the board holds the saved move, once
    assert sorted(outcomes) == ["saved", "stale"] and store.writes == 2
    now = get_task(DynamoTaskRepository(Store()), task["id"])
    assert now["version"] == 2 and now["status"] == moves[outcomes.index("saved")]
    assert [entry["to"] for entry in now["history"]] == ["pending", moves[outcomes.index("saved")]]


# --- reports ---------------------------------------------------------------------------------
def report_mail(stack: LocalStack, period: str) -> list[dict[str, Any]]:
    return [m for m in outbox(stack) if m["subject"].endswith(f"· {period}")]


def assert_each_report_sent_once(stack: LocalStack, period: str) -> None:
    from quarterdeck.reports import KINDS
    from quarterdeck.reports.runs import get_run
    from quarterdeck.reports.wiring import report_runs

    subjects = Counter(m["subject"] for m in report_mail(stack, period))
    assert subjects == Counter({f"{info.title} · {period}": 1 for info in KINDS.values()}), subjects
    for kind in KINDS:
        run = get_run(report_runs(), kind, period)
        assert run is not None and run["status"] == "sent", (kind, run)
        assert run["sends"] == 1 and len(run["message_ids"]) == 1, (kind, run)


def test_two_report_dispatches_at_once_send_each_report_once(stack: LocalStack) -> None:
    from quarterdeck.reports.dispatch import Collaborators, run_reports
    from quarterdeck.reports.sending import report_sender

    period = "2033-W20"
    # When two dispatches of every report start at the same moment (a retry and the schedule)
    summaries = at_once(2, lambda _n: run_reports(period=period, using=Collaborators(mailer=report_sender(rate=50))))
    RACES["2 x dispatch all reports"] = 2
    # Then between them each report was sent once and skipped once, and nothing failed
    outcomes = Counter(o.status for s in summaries for o in s.outcomes)
    assert outcomes == Counter({"sent": 8, "skipped": 8}), [s.table() for s in summaries]
    # And the outbox and the run records agree: one message per report
    assert_each_report_sent_once(stack, period)


def test_two_dispatches_claiming_each_report_together_send_it_once(stack: LocalStack) -> None:
    from quarterdeck.reports.dispatch import Collaborators, run_reports
    from quarterdeck.reports.sending import report_sender
    from quarterdeck.reports.wiring import report_runs, task_board

    period = "2033-W21"
    # Given two dispatches held at every claim until both are there (lock-step, report by report)
    store = StoreWithADoor(2, at=lambda operation, detail: operation == "update" and "#attempts" in detail[2])
    # When they claim each report at the same moment
    summaries = at_once(
        2,
        lambda _n: run_reports(
            period=period,
            using=Collaborators(runs=report_runs(store), tasks=task_board(store), mailer=report_sender(rate=50)),
        ),
    )
    RACES["2 x dispatch all reports (claims in lock-step)"] = 2
    # Then every claim was contested, each report was sent by exactly one of them
    assert store.writes == 16
    for kind_outcomes in zip(*(s.outcomes for s in summaries), strict=True):
        assert sorted(o.status for o in kind_outcomes) == ["sent", "skipped"], [o.as_dict() for o in kind_outcomes]
    assert_each_report_sent_once(stack, period)
