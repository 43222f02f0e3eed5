"""A write carries its caller's standing (issue 20; docs/decisions.md 2026-12-04): a removal, a
"sign out everywhere" or a demotion made in another container holds from the next write on,
although this container still remembers the person record for PERSON_CACHE_SECONDS and checks
the caller without reading it. Here "another container" is a change written to the table
directly, which this process's memory of the record does not hear of; that the memory still
holds the old record is shown by the reads that keep working."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from api_access import write_guard

from local.stack import LocalStack
from quarterdeck.auth import Caller
from quarterdeck.errors import AuthenticationError
from quarterdeck.repositories.people import DynamoPeopleRepository
from quarterdeck.store import Store, guarded
from tests.conftest import ApiClient, sign_in

ADMIN = "admin@example.com"


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def elsewhere() -> DynamoPeopleRepository:
    """The people table as another container writes it (this process's memory is not told)."""
    return DynamoPeopleRepository(Store())


def new_sail(admin: ApiClient, title: str = "") -> dict[str, Any]:
    day = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=16)
    title = title or f"Guard {uuid.uuid4().hex[:8]}"
    answer = admin.post("/api/sails", {"date": day.isoformat(), "title": title, "crew_slots": 2})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def holders(admin: ApiClient, sail_id: str) -> dict[str, str | None]:
    roles = admin.get(f"/api/sails/{sail_id}").json()["roles"]
    return {r["slot"]: r.get("holder") for r in roles}


def refusal(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["message"]


def test_a_crew_member_removed_elsewhere_cannot_claim_within_the_cache(stack: LocalStack, admin: ApiClient) -> None:
    # Given crew signed in, whose record this container has just read (the page they opened)
    ann = unique_email("ann")
    tab = sign_in(stack, ann)
    sail = new_sail(admin)
    assert tab.get("/api/me").status_code == 200
    # When another container removes them
    elsewhere().remove(ann, by=ADMIN, at="2026-12-04T10:00:00Z")
    # Then a read still answers from the remembered record (within PERSON_CACHE_SECONDS) ...
    assert tab.get("/api/me").status_code == 200
    # ... but their claim is refused, and the slot stays open
    answer = tab.post(f"/api/sails/{sail['id']}/roles/crew-1/claim")
    assert refusal(answer) == (401, "This account no longer exists.")
    assert holders(admin, sail["id"])["crew-1"] is None


def test_a_session_signed_out_everywhere_elsewhere_cannot_write(stack: LocalStack, admin: ApiClient) -> None:
    # Given crew signed in, seen lately by this container
    bo = unique_email("bo")
    tab = sign_in(stack, bo)
    sail = new_sail(admin)
    assert tab.get("/api/me").status_code == 200
    # When they sign out everywhere from another container (a moment after this session began)
    time.sleep(0.01)
    elsewhere().end_sessions(bo, before=int(time.time() * 1000))
    # Then this session's write is refused and changes nothing
    answer = tab.post(f"/api/sails/{sail['id']}/roles/crew-2/claim")
    assert refusal(answer) == (401, "You have signed out. Please sign in again.")
    assert holders(admin, sail["id"])["crew-2"] is None
    # And a new session of theirs writes as before
    assert sign_in(stack, bo).post(f"/api/sails/{sail['id']}/roles/crew-2/claim").status_code == 200


def test_an_admin_demoted_elsewhere_cannot_do_an_admin_write(stack: LocalStack, admin: ApiClient) -> None:
    # Given an admin made in the app, signed in and seen lately as an admin
    cy = unique_email("cy")
    assert admin.post("/api/people", {"email": cy, "role": "admin"}).status_code == 201
    tab = sign_in(stack, cy)
    assert tab.get("/api/me").json()["role"] == "admin"
    # When another container takes their admin away
    elsewhere().update_person(cy, admin=False)
    # Then creating a sail is refused and no sail was created
    title = f"Demoted {uuid.uuid4().hex[:8]}"
    day = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=17)
    answer = tab.post("/api/sails", {"date": day.isoformat(), "title": title, "crew_slots": 1})
    assert refusal(answer) == (401, "Your access has changed. Please sign in again.")
    listed = admin.get(f"/api/sails?from={day}&to={day}").json()["sails"]
    assert title not in [s["title"] for s in listed]


def test_a_normal_write_works_and_its_own_conflict_is_still_a_409(stack: LocalStack, admin: ApiClient) -> None:
    # Given two crew members seen lately, and an open slot
    dee, eli = sign_in(stack, unique_email("dee")), sign_in(stack, unique_email("eli"))
    sail = new_sail(admin)
    assert dee.get("/api/me").status_code == eli.get("/api/me").status_code == 200
    # When one claims it, then the other
    first = dee.post(f"/api/sails/{sail['id']}/roles/crew-1/claim")
    second = eli.post(f"/api/sails/{sail['id']}/roles/crew-1/claim")
    # Then the first holds it and the second hears it is taken (the slot's own condition)
    assert first.status_code == 200, first.text
    assert second.status_code == 409, second.text
    assert second.json()["error"]["code"] != "unauthorized"
    # And writes to one's own record (the guarded record itself) work: settings, sign-out
    assert dee.patch("/api/me", {"name": "Dee"}).json()["name"] == "Dee"
    assert dee.post("/api/auth/logout").status_code == 200
    assert dee.get("/api/me").status_code == 401


def test_the_guard_ends_with_its_request(stack: LocalStack, admin: ApiClient) -> None:
    # Given a removed crew member whose write is refused
    fay = unique_email("fay")
    tab = sign_in(stack, fay)
    sail = new_sail(admin)
    assert tab.get("/api/me").status_code == 200
    elsewhere().remove(fay, by=ADMIN, at="2026-12-04T10:00:00Z")
    assert tab.post(f"/api/sails/{sail['id']}/roles/crew-1/claim").status_code == 401
    # When someone else writes next (the same process, the same threads serving)
    gus = sign_in(stack, unique_email("gus"))
    answer = gus.post(f"/api/sails/{sail['id']}/roles/crew-1/claim")
    # Then their write is theirs alone: it succeeds
    assert answer.status_code == 200, answer.text
    assert admin.post(f"/api/sails/{sail['id']}/roles/crew-2/designate", {"email": ADMIN}).status_code == 200


def test_a_guard_holds_inside_its_block_only_and_in_its_own_thread(stack: LocalStack) -> None:
    # Given a guard for someone who has no record (every write it carries is refused)
    store = Store()
    nobody = Caller(email=unique_email("nobody"), role="crew", jti="j", expires=0, issued_ms=1)
    item = {"pk": f"TEST#{uuid.uuid4().hex}", "sk": "X", "type": "test"}
    seen_in_thread: list[str] = []
    # When a write inside the block fails, and another thread writes meanwhile
    with pytest.raises(AuthenticationError, match="no longer exists"), guarded(write_guard(nobody)):
        worker = threading.Thread(target=lambda: seen_in_thread.append(str(store.put({**item, "sk": "T"}))))
        worker.start()
        worker.join()
        store.put(item)
    # Then the other thread's write was not guarded, nothing was written inside the block,
    # and after the block the same write goes through
    assert seen_in_thread == ["None"]
    assert store.get(item["pk"], "X") is None
    store.put(item)
    assert store.get(item["pk"], "X", consistent=True) is not None
