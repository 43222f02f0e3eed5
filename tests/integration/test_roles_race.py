"""Of many simultaneous claims on one slot exactly one wins (local stack: moto's DynamoDB)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.mail import OutgoingEmail
from quarterdeck.store import Store, Write
from tests.conftest import ApiClient, sign_in
from tests.integration.test_roles import new_sail, role_url, roles_of

CLAIMERS = 50
pytestmark = pytest.mark.slow


def test_fifty_concurrent_claims_over_http_one_wins(stack: LocalStack, admin: ApiClient) -> None:
    # Given an open slot and 50 different crew, each signed in
    sail = new_sail(admin, days_ahead=25)
    run = uuid.uuid4().hex[:8]
    people = [sign_in(stack, f"racer{n:02d}-{run}@example.com") for n in range(CLAIMERS)]
    emails = {id(p): f"racer{n:02d}-{run}@example.com" for n, p in enumerate(people)}
    start = threading.Barrier(CLAIMERS)

    def claim(person: ApiClient) -> tuple[str, int, dict[str, Any]]:
        start.wait()
        answer = person.post(role_url(sail["id"], "crew-1", "claim"))
        return emails[id(person)], answer.status_code, answer.json()

    # When they all claim crew-1 at once
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLAIMERS) as pool:
        results = list(pool.map(claim, people))
    elapsed = time.perf_counter() - began
    # Then exactly one wins, 49 are told it is taken and by whom, and nothing fails
    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: 1, 409: CLAIMERS - 1}, statuses
    (winner,) = [email for email, status, _ in results if status == 200]
    for _email, status, body in results:
        if status == 409:
            assert body["error"]["code"] == "role_state", body
            assert f"crew-1 is claimed, held by {winner}" in body["error"]["message"], body
    # And the slot's holder is the winner
    assert roles_of(admin, sail["id"])["crew-1"]["holder"] == winner
    print(f"\n{CLAIMERS} concurrent HTTP claims answered in {elapsed:.2f}s")


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail) -> str:
        with self._lock:
            self.sent.append(email)
        return "local"


class StoreThatWaitsAtTheWrite(Store):
    """Holds every claimer at the door of its transaction until all 50 have read the slot as
    open (so the read-time check passes for all of them), then lets their transactions in.

    moto's DynamoDB is not safe for concurrent TransactWriteItems (it deep-copies the table
    to roll back, while other requests change it), so the writes reach it one at a time, as
    DynamoDB itself serialises transactions on one item. Only the conditions can now decide.
    """

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.door = threading.Barrier(parties, timeout=60)
        self.table_lock = threading.Lock()
        self.transactions = 0

    def transact(self, writes: Sequence[Write]) -> None:
        self.door.wait()
        with self.table_lock:
            self.transactions += 1
            super().transact(writes)


def test_fifty_claims_racing_at_the_conditional_write_one_commits(stack: LocalStack, admin: ApiClient) -> None:
    from quarterdeck import crew, keys
    from quarterdeck.auth import Caller
    from quarterdeck.errors import RoleStateError
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.repositories.sails import DynamoSailRepository

    # Given an open slot, and 50 claimers who have all read it as open
    sail = new_sail(admin, days_ahead=26)
    store, mailer = StoreThatWaitsAtTheWrite(CLAIMERS), RecordingMailer()
    run = uuid.uuid4().hex[:8]
    callers = [Caller(email=f"db{n:02d}-{run}@example.com", role="crew", jti="x", expires=0) for n in range(CLAIMERS)]

    def claim(who: Caller) -> tuple[str, str]:
        try:
            crew.claim_role(
                DynamoSailRepository(store), mailer, who, sail["id"], "captain", people=DynamoPeopleRepository(store)
            )
            return who.email, "won"
        except RoleStateError as lost:
            return who.email, lost.message

    # When their transactions hit the table together
    with ThreadPoolExecutor(max_workers=CLAIMERS) as pool:
        results = list(pool.map(claim, callers))
    # Then one commits; every other is cancelled and told who holds the slot
    winners = [email for email, outcome in results if outcome == "won"]
    assert len(winners) == 1, results
    (winner,) = winners
    assert all(f"captain is claimed, held by {winner}" in outcome for _, outcome in results if outcome != "won")
    # And the table holds exactly one holder marker for the slot, the winner's
    markers = Store().query(keys.sail_partition(sail["id"]), sk_prefix="HOLDER#", consistent=True)
    assert [(m["email"], m["slot"]) for m in markers] == [(winner, "captain")]
    assert roles_of(admin, sail["id"])["captain"]["holder"] == winner
    # And all 50 got as far as the write: the condition decided, not the earlier read
    assert store.transactions == CLAIMERS
    # And only the winner was mailed (a confirmation, and the admins' notice)
    assert sorted(m.kind for m in mailer.sent) == ["role_claimed", "role_claimed_admin"]
