"""Sails through the API on the local stack: create, list, read, edit, cancel, checklists."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck import keys
from quarterdeck.clients import client
from quarterdeck.magic_codes import Purpose
from quarterdeck.repositories.sign_in import issue_code
from quarterdeck.store import Store
from tests.conftest import ApiClient, outbox

_days = itertools.count(3)


def future_date(month: int = 7) -> str:
    """A distinct future date for each sail a test makes (the stack is shared)."""
    return f"2027-{month:02d}-{next(_days) % 28 + 1:02d}"


def make_sail(admin: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"date": future_date(), "title": f"Test sail {secrets.token_hex(3)}", **fields}
    answer = admin.post("/api/sails", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def put_holder(sail_id: str, slot: str, email: str) -> None:
    """A role taken the way the crew area takes it: the slot and the holder marker."""
    store = Store()
    store.update(
        *keys.role(sail_id, slot),
        "SET #s = :s, holder = :h",
        names={"#s": "state"},
        values={":s": "claimed", ":h": email},
    )
    store.put(
        {
            "pk": keys.sail_partition(sail_id),
            "sk": keys.role_holder(sail_id, email)[1],
            "type": "holder",
            "slot": slot,
            "email": email,
        }
    )
    store.update(*keys.sail(sail_id), "ADD holders :h", values={":h": {keys.holder_tag(email, slot)}})


def put_guest(sail_id: str, guest_id: str, name: str, email: str) -> None:
    pk, sk = keys.guest(sail_id, guest_id)
    Store().put(
        {
            "pk": pk,
            "sk": sk,
            "type": "guest",
            "id": guest_id,
            "name": name,
            "email": email,
            "party_size": 1,
            "status": "on_hold",
            "added_at": "2026-11-01T00:00:00+00:00",
        }
    )


def guest_session(stack: LocalStack, sail_id: str, guest_id: str, email: str) -> ApiClient:
    code = issue_code(Store(), email, Purpose.waiver(sail_id, guest_id), timedelta(minutes=15))
    session = ApiClient(stack.url)
    answer = session.post("/api/auth/magic", {"code": code})
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "guest"
    session.token = answer.cookies["qd_session"]
    return session


class DynamoCalls:
    """Every DynamoDB operation the process makes while it is recording (botocore's event system)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)


@pytest.fixture
def dynamo_calls(stack: LocalStack) -> Iterator[DynamoCalls]:
    calls = DynamoCalls()
    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb", calls, unique_id="sails-test-counter")
    yield calls
    events.unregister("before-call.dynamodb", unique_id="sails-test-counter")


@pytest.fixture(autouse=True)
def _never_scan(stack: LocalStack) -> Iterator[None]:
    """Whatever these tests do, nothing in the process issues a Scan."""
    calls = DynamoCalls()
    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb", calls, unique_id="sails-no-scan")
    yield
    events.unregister("before-call.dynamodb", unique_id="sails-no-scan")
    assert "Scan" not in calls.operations


# --- create and read ----------------------------------------------------------------
def test_an_admin_creates_a_sail_with_its_times_roles_and_checklists(admin: ApiClient) -> None:
    # When an admin creates a sail for the summer solstice
    answer = admin.post("/api/sails", {"date": "2027-06-21", "title": "Solstice sail", "crew_slots": 3})
    # Then it is created with its times, computed for that date in San Diego
    assert answer.status_code == 201, answer.text
    sail = answer.json()
    assert sail["status"] == "scheduled" and sail["title"] == "Solstice sail" and sail["date"] == "2027-06-21"
    sunset = datetime.fromisoformat(sail["sunset"])
    assert sunset.utcoffset() == timedelta(hours=-7) and sunset.strftime("%H:%M") in ("19:59", "20:00")
    assert datetime.fromisoformat(sail["departure"]) == sunset - timedelta(minutes=30)
    assert datetime.fromisoformat(sail["return"]) == sunset + timedelta(hours=2)
    # And reading it shows the open role slots, both checklists and the history
    page = admin.get(f"/api/sails/{sail['id']}").json()
    assert [(r["slot"], r["state"]) for r in page["roles"]] == [
        ("captain", "open"),
        ("crew-1", "open"),
        ("crew-2", "open"),
        ("crew-3", "open"),
    ]
    assert page["checklists"]["departure"]["total"] >= 5 and page["checklists"]["departure"]["done"] == 0
    assert page["checklists"]["return"]["total"] >= 5
    assert page["guests"] == [] and page["guest_count"] == 0
    assert [(h["action"], h["actor"]) for h in page["history"]] == [("sail_created", "admin@example.com")]
    # And the stored record carries its GSI1 keys and version
    meta = Store().get(*keys.sail(sail["id"]))
    assert meta is not None
    assert meta["gsi1pk"] == "SAILS#ALL" and meta["gsi1sk"] == f"{sail['departure']}#{sail['id']}"
    assert meta["version"] == 1


def test_the_sail_page_costs_one_query(admin: ApiClient, dynamo_calls: DynamoCalls) -> None:
    # Given a sail with people on it
    sail = make_sail(admin, crew_slots=2)
    put_holder(sail["id"], "captain", "captain@example.com")
    put_guest(sail["id"], "g1", "Gale", "gale@example.com")
    admin.get("/api/me")  # warm the signing key cache
    dynamo_calls.operations.clear()
    # When the sail page is read through the API
    page = admin.get(f"/api/sails/{sail['id']}")
    assert page.status_code == 200
    assert page.json()["roles"][0]["holder"] == "captain@example.com"
    # Then the database was asked once for the sail (plus the session's own person lookup,
    # unless the warm container has it cached)
    assert [o for o in dynamo_calls.operations if o != "GetItem"] == ["Query"], dynamo_calls.operations
    assert dynamo_calls.operations.count("GetItem") <= 1, dynamo_calls.operations

    # And the domain read alone is exactly one Query
    from quarterdeck.repositories.sails import DynamoSailRepository
    from quarterdeck.sails import get_sail

    dynamo_calls.operations.clear()
    get_sail(DynamoSailRepository(Store()), sail["id"], None)
    assert dynamo_calls.operations == ["Query"]


def test_listing_by_date_range_is_one_query_on_the_index(
    admin: ApiClient, crew: ApiClient, dynamo_calls: DynamoCalls
) -> None:
    # Given sails at the end of one month and the start of the next
    late = make_sail(admin, date="2027-09-30", title="Late September")
    early = make_sail(admin, date="2027-10-01", title="Early October")
    outside = make_sail(admin, date="2027-10-20", title="Later October")
    dynamo_calls.operations.clear()
    # When crew lists the range across the month boundary
    answer = crew.get("/api/sails?from=2027-09-29&to=2027-10-02")
    # Then both are there, by departure, and the later one is not
    assert answer.status_code == 200, answer.text
    ids = [s["id"] for s in answer.json()["sails"]]
    assert late["id"] in ids and early["id"] in ids and outside["id"] not in ids
    assert ids.index(late["id"]) < ids.index(early["id"])
    # And it was one Query on the index (the session lookup is no Query)
    assert dynamo_calls.operations.count("Query") == 1 and "Scan" not in dynamo_calls.operations
    # And so is the longest range a person can ask for (400 days, across a new year)
    dynamo_calls.operations.clear()
    longest = crew.get("/api/sails?from=2027-09-29&to=2028-11-02")
    assert longest.status_code == 200, longest.text
    assert {late["id"], early["id"], outside["id"]} <= {s["id"] for s in longest.json()["sails"]}
    assert dynamo_calls.operations.count("Query") == 1, dynamo_calls.operations


def test_list_range_errors_name_the_field(crew: ApiClient) -> None:
    for query, field in (("from=soon", "from"), ("from=2027-05-01&to=2027-04-01", "to"), ("to=2027-02-30", "to")):
        answer = crew.get(f"/api/sails?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["error"]["field"] == field, query


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No date"}, "date"),
        ({"date": "2027-02-30", "title": "Not a day"}, "date"),
        ({"date": "30/01/2027", "title": "Wrong format"}, "date"),
        ({"date": "2020-01-01", "title": "Past"}, "date"),
        ({"date": "2027-05-05"}, "title"),
        ({"date": "2027-05-05", "title": "   "}, "title"),
        ({"date": "2027-05-05", "title": "x" * 121}, "title"),
        ({"date": "2027-05-05", "title": "Slots", "crew_slots": 9}, "crew_slots"),
        ({"date": "2027-05-05", "title": "Slots", "crew_slots": -1}, "crew_slots"),
        ({"date": "2027-05-05", "title": "Slots", "crew_slots": "many"}, "crew_slots"),
        ({"date": "2027-05-05", "title": "Slots", "crew_slots": 1.5}, "crew_slots"),
        ({"date": "2027-05-05", "title": "Notes", "notes": "n" * 2001}, "notes"),
    ],
)
def test_every_invalid_create_is_refused_naming_its_field(admin: ApiClient, body: dict[str, Any], field: str) -> None:
    answer = admin.post("/api/sails", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert answer.json()["error"]["message"]


def test_only_admins_create_edit_and_cancel(admin: ApiClient, crew: ApiClient, anonymous: ApiClient) -> None:
    sail = make_sail(admin)
    assert crew.post("/api/sails", {"date": future_date(), "title": "Mine"}).status_code == 403
    assert crew.patch(f"/api/sails/{sail['id']}", {"title": "Mine"}).status_code == 403
    assert crew.post(f"/api/sails/{sail['id']}/cancel", {}).status_code == 403
    assert anonymous.get(f"/api/sails/{sail['id']}").status_code == 401
    assert anonymous.get("/api/sails").status_code == 401
    assert admin.get("/api/sails/nosuchsail").status_code == 404


# --- edit -----------------------------------------------------------------------------
def test_a_new_date_recomputes_the_times_and_moves_the_sail_in_the_list(stack: LocalStack, admin: ApiClient) -> None:
    # Given a sail in winter with a captain and a guest
    sail = make_sail(admin, date="2027-01-15", title="Winter sail")
    put_holder(sail["id"], "captain", "captain@example.com")
    put_guest(sail["id"], "g7", "Gwen", "gwen@example.com")
    before = len(outbox(stack))
    # When an admin moves it to midsummer
    answer = admin.patch(f"/api/sails/{sail['id']}", {"date": "2027-07-15", "version": 1})
    # Then its times follow the new date's sunset, in daylight time
    assert answer.status_code == 200, answer.text
    moved = answer.json()
    assert moved["date"] == "2027-07-15" and moved["version"] == 2
    assert moved["sunset"].startswith("2027-07-15T19:5") and moved["sunset"].endswith("-07:00")
    assert datetime.fromisoformat(moved["departure"]) == datetime.fromisoformat(moved["sunset"]) - timedelta(minutes=30)
    # And the list finds it in July, not in January
    july = [s["id"] for s in admin.get("/api/sails?from=2027-07-15&to=2027-07-15").json()["sails"]]
    january = [s["id"] for s in admin.get("/api/sails?from=2027-01-15&to=2027-01-15").json()["sails"]]
    assert sail["id"] in july and sail["id"] not in january
    # And the people on it are told the new date, each in their own message
    told = [m for m in outbox(stack)[before:] if "New date" in m["subject"]]
    assert sorted(m["to"][0] for m in told) == ["captain@example.com", "gwen@example.com"]
    assert all(len(m["to"]) == 1 for m in told)
    # And the history says who changed what
    history = admin.get(f"/api/sails/{sail['id']}").json()["history"]
    moves = [h for h in history if h["action"] == "sail_rescheduled"]
    assert moves[0]["actor"] == "admin@example.com"
    assert moves[0]["detail"]["date"] == {"from": "2027-01-15", "to": "2027-07-15"}


def test_edits_change_named_fields_only_and_check_the_version(admin: ApiClient) -> None:
    sail = make_sail(admin, crew_slots=1)
    # Another area keeps its own field on the sail record
    Store().update(*keys.sail(sail["id"]), "SET guest_count = :n", values={":n": 3})
    # When the title, notes and crew slots change
    answer = admin.patch(f"/api/sails/{sail['id']}", {"title": "Renamed", "notes": "Bring a jacket", "crew_slots": 3})
    assert answer.status_code == 200, answer.text
    edited = answer.json()
    assert (edited["title"], edited["notes"], edited["crew_slots"]) == ("Renamed", "Bring a jacket", 3)
    # Then the other area's field is untouched and new slots are open
    assert edited["guest_count"] == 3
    page = admin.get(f"/api/sails/{sail['id']}").json()
    assert [r["slot"] for r in page["roles"]] == ["captain", "crew-1", "crew-2", "crew-3"]
    # And an edit made from an old version is refused
    stale = admin.patch(f"/api/sails/{sail['id']}", {"title": "Late", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "version"
    # And a held slot is not removed by shrinking
    put_holder(sail["id"], "crew-3", "deckhand@example.com")
    shrink = admin.patch(f"/api/sails/{sail['id']}", {"crew_slots": 1})
    assert shrink.status_code == 409 and shrink.json()["error"]["field"] == "crew_slots"
    ok = admin.patch(f"/api/sails/{sail['id']}", {"crew_slots": 3})
    assert ok.status_code == 200


def test_an_edit_and_a_cancel_answer_what_they_wrote_in_two_calls(admin: ApiClient, dynamo_calls: DynamoCalls) -> None:
    # Given a sail
    sail = make_sail(admin, title="Before")
    # When an admin renames it
    dynamo_calls.operations.clear()
    edited = admin.patch(f"/api/sails/{sail['id']}", {"title": "After", "version": 1})
    assert edited.status_code == 200, edited.text
    # Then the answer is the sail as stored now, read once and written once
    # (a GetItem at most: the caller's session, unless cached)
    assert [o for o in dynamo_calls.operations if o != "GetItem"] == ["Query", "TransactWriteItems"]
    assert dynamo_calls.operations.count("GetItem") <= 1, dynamo_calls.operations
    stored = admin.get(f"/api/sails/{sail['id']}").json()
    assert {k: edited.json()[k] for k in ("title", "version", "updated_at")} == {
        "title": "After",
        "version": 2,
        "updated_at": stored["updated_at"],
    }
    assert stored["title"] == "After" and stored["version"] == 2
    # And when it is cancelled, the answer is the cancelled sail, again without a re-read
    dynamo_calls.operations.clear()
    cancelled = admin.post(f"/api/sails/{sail['id']}/cancel", {"reason": "Fog"})
    assert cancelled.status_code == 200, cancelled.text
    assert [o for o in dynamo_calls.operations if o != "GetItem"] == ["Query", "TransactWriteItems"]
    assert dynamo_calls.operations.count("GetItem") <= 1, dynamo_calls.operations
    stored = admin.get(f"/api/sails/{sail['id']}").json()
    answer = cancelled.json()
    assert (answer["status"], answer["cancel_reason"], answer["version"]) == ("cancelled", "Fog", 3)
    assert {k: stored[k] for k in ("status", "version", "cancelled_at", "updated_at")} == {
        k: answer[k] for k in ("status", "version", "cancelled_at", "updated_at")
    }


def test_a_cancel_racing_an_edit_cancels_the_edited_sail_and_says_so(admin: ApiClient) -> None:
    from quarterdeck import sails
    from quarterdeck.repositories.sails import DynamoSailRepository

    # Given an admin's cancel that has read the sail, and another admin's rename that lands
    # between that read and the cancel's write
    sail = make_sail(admin, title="Original")

    class RenamedMeanwhile(Store):
        raced = False

        def transact(self, writes: Any) -> None:
            if not self.raced:
                self.raced = True
                sails.update_sail(
                    DynamoSailRepository(Store()), "admin@example.com", sail["id"], {"title": "Renamed meanwhile"}
                )
            super().transact(writes)

    # When the cancel goes on
    answer = sails.cancel_sail(DynamoSailRepository(RenamedMeanwhile()), "admin@example.com", sail["id"], reason="Fog")
    # Then the sail is cancelled, and the answer shows it as it now is: renamed, at version 3
    assert (answer["status"], answer["title"], answer["version"]) == ("cancelled", "Renamed meanwhile", 3)
    stored = admin.get(f"/api/sails/{sail['id']}").json()
    assert (stored["status"], stored["title"], stored["version"]) == ("cancelled", "Renamed meanwhile", 3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2020-01-01"}, "date"),
        ({"date": "2027-04-31"}, "date"),
        ({"title": ""}, "title"),
        ({"title": "y" * 121}, "title"),
        ({"crew_slots": 12}, "crew_slots"),
        ({"crew_slots": "two"}, "crew_slots"),
    ],
)
def test_every_invalid_edit_is_refused_naming_its_field(admin: ApiClient, body: dict[str, Any], field: str) -> None:
    sail = make_sail(admin)
    answer = admin.patch(f"/api/sails/{sail['id']}", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert admin.get(f"/api/sails/{sail['id']}").json()["version"] == 1  # nothing half-written


def test_sails_indexed_by_month_before_are_moved_onto_the_one_partition(admin: ApiClient, crew: ApiClient) -> None:
    from local.reindex_sails import reindex

    # Given a sail stored the old way: in its month's GSI1 partition, without a holders set
    sail = make_sail(admin, date="2029-05-12", title=f"Old-style {secrets.token_hex(3)}")
    put_holder(sail["id"], "captain", "old-timer@example.com")
    store = Store()
    store.update(*keys.sail(sail["id"]), "SET gsi1pk = :month REMOVE holders", values={":month": "SAILS#2029-05"})
    assert sail["id"] not in [s["id"] for s in crew.get("/api/sails?from=2029-05-12&to=2029-05-12").json()["sails"]]
    # When the one-off reindex runs over that month (twice: it is safe to run again)
    assert reindex(store, "2029-04", "2029-06") >= 1
    assert reindex(store, "2029-04", "2029-06") == 0
    # Then the sail is listed again and its record names its holder
    listed = crew.get("/api/sails?from=2029-05-12&to=2029-05-12").json()["sails"]
    assert sail["id"] in [s["id"] for s in listed]
    meta = store.get(*keys.sail(sail["id"]))
    assert meta is not None and meta["gsi1pk"] == "SAILS#ALL"
    assert set(meta["holders"]) == {"old-timer@example.com captain"}


# --- cancel -----------------------------------------------------------------------------
def test_cancelling_tells_the_people_and_keeps_the_sail_listed(
    stack: LocalStack, admin: ApiClient, crew: ApiClient
) -> None:
    # Given a sail with a crew member on it and a guest
    day = future_date(8)
    sail = make_sail(admin, date=day, title="Doomed sail")
    put_holder(sail["id"], "crew-1", "crew@example.com")
    put_guest(sail["id"], "g1", "Gil", "gil@example.com")
    before = len(outbox(stack))
    # When an admin cancels it
    answer = admin.post(f"/api/sails/{sail['id']}/cancel", {"reason": "Small-craft advisory"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled" and answer.json()["notified"] == 2
    # Then each of them gets an email saying so
    sent = [m for m in outbox(stack)[before:] if "Doomed sail" in m["subject"]]
    assert sorted(m["to"][0] for m in sent) == ["crew@example.com", "gil@example.com"]
    assert all(m["subject"].startswith("Cancelled") and "Small-craft advisory" in m["text"] for m in sent)
    # And the sail is still listed, marked cancelled
    listed = {s["id"]: s for s in crew.get(f"/api/sails?from={day}&to={day}").json()["sails"]}
    assert listed[sail["id"]]["status"] == "cancelled"
    # And it can no longer be edited, cancelled again or ticked
    assert admin.patch(f"/api/sails/{sail['id']}", {"title": "Revived"}).status_code == 409
    assert admin.post(f"/api/sails/{sail['id']}/cancel", {}).status_code == 409
    assert crew.post(f"/api/sails/{sail['id']}/checklists/departure/items/1", {"done": True}).status_code == 409
    # (history keys are to the second: entries of the same second are not ordered among themselves)
    history = admin.get(f"/api/sails/{sail['id']}").json()["history"]
    assert "sail_cancelled" in [h["action"] for h in history]


# --- checklists -----------------------------------------------------------------------
def test_ticking_records_who_and_when_and_shows_progress(admin: ApiClient, crew: ApiClient) -> None:
    sail = make_sail(admin)
    # When a crew member ticks the second departure item
    answer = crew.post(f"/api/sails/{sail['id']}/checklists/departure/items/2", {"done": True})
    # Then the item records who and when
    assert answer.status_code == 200, answer.text
    assert answer.json()["done"] is True and answer.json()["done_by"] == "crew@example.com"
    assert answer.json()["done_at"]
    page = crew.get(f"/api/sails/{sail['id']}").json()
    departure = page["checklists"]["departure"]
    assert departure["done"] == 1
    assert departure["items"][1]["done_by"] == "crew@example.com"
    # And ticking again is harmless (a queued offline tick sent twice)
    assert crew.post(f"/api/sails/{sail['id']}/checklists/departure/items/2", {"done": True}).status_code == 200
    # And unticking clears who and when
    cleared = crew.post(f"/api/sails/{sail['id']}/checklists/departure/items/2", {"done": False}).json()
    assert cleared == {"n": 2, "label": departure["items"][1]["label"], "done": False}
    actions = [h["action"] for h in admin.get(f"/api/sails/{sail['id']}").json()["history"]]
    assert actions.count("checklist_ticked") == 2 and actions.count("checklist_unticked") == 1


def test_tick_errors(admin: ApiClient, crew: ApiClient) -> None:
    sail = make_sail(admin)
    base = f"/api/sails/{sail['id']}/checklists"
    assert crew.post(f"{base}/lunch/items/1", {"done": True}).json()["error"]["field"] == "list"
    assert crew.post(f"{base}/departure/items/x", {"done": True}).json()["error"]["field"] == "n"
    assert crew.post(f"{base}/departure/items/77", {"done": True}).status_code == 404
    assert crew.post(f"{base}/departure/items/1", {}).json()["error"]["field"] == "done"
    assert crew.post("/api/sails/nosuch/checklists/departure/items/1", {"done": True}).status_code == 404


def test_an_admin_edits_a_sails_checklist(admin: ApiClient, crew: ApiClient) -> None:
    sail = make_sail(admin)
    base = f"/api/sails/{sail['id']}/checklists/return/items"
    total = admin.get(f"/api/sails/{sail['id']}").json()["checklists"]["return"]["total"]
    # When an admin adds, renames and removes items
    added = admin.post(base, {"label": "Cockpit hosed down"})
    assert added.status_code == 201 and added.json()["n"] == total + 1
    assert admin.patch(f"{base}/1", {"label": "Lines doubled up"}).status_code == 200
    assert admin.request("DELETE", f"{base}/2").status_code == 200
    # Then the sail's list shows it (the template is untouched for other sails)
    items = admin.get(f"/api/sails/{sail['id']}").json()["checklists"]["return"]["items"]
    assert items[0]["label"] == "Lines doubled up"
    assert items[-1]["label"] == "Cockpit hosed down" and 2 not in [i["n"] for i in items]
    other = make_sail(admin)
    assert admin.get(f"/api/sails/{other['id']}").json()["checklists"]["return"]["total"] == total
    # And crew cannot edit lists; a blank label names its field; a removed item is gone
    assert crew.post(base, {"label": "Sneaky"}).status_code == 403
    assert admin.post(base, {"label": " "}).json()["error"]["field"] == "label"
    assert admin.request("DELETE", f"{base}/2").status_code == 404


# --- guests ---------------------------------------------------------------------------
def test_a_guest_sees_its_own_sail_and_record_only(stack: LocalStack, admin: ApiClient) -> None:
    sail = make_sail(admin)
    other = make_sail(admin)
    put_holder(sail["id"], "captain", "captain@example.com")
    put_guest(sail["id"], "ga", "Ann", "ann@example.com")
    put_guest(sail["id"], "gb", "Bob", "bob@example.com")
    guest = guest_session(stack, sail["id"], "ga", "ann@example.com")
    page = guest.get(f"/api/sails/{sail['id']}")
    assert page.status_code == 200, page.text
    view = page.json()
    assert [g["id"] for g in view["guests"]] == ["ga"]
    assert "history" not in view and "captain@example.com" not in page.text and "bob@example.com" not in page.text
    assert view["roles"][0]["state"] == "claimed"
    # A guest reaches no other sail, lists nothing, and cannot tick
    assert guest.get(f"/api/sails/{other['id']}").status_code == 403
    assert guest.get("/api/sails").status_code == 403
    assert guest.post(f"/api/sails/{sail['id']}/checklists/departure/items/1", {"done": True}).status_code == 403


def test_sun_preview_for_the_new_sail_form(crew: ApiClient, anonymous: ApiClient) -> None:
    answer = crew.get("/api/sun?date=2026-12-21")
    assert answer.status_code == 200
    assert answer.json()["sunset"].startswith("2026-12-21T16:4") and answer.json()["departure"]
    assert crew.get("/api/sun?date=2026-12-32").json()["error"]["field"] == "date"
    assert anonymous.get("/api/sun?date=2026-12-21").status_code == 401


def test_the_local_stack_seeds_demo_sails(crew: ApiClient) -> None:
    # The demo data a developer sees on `make dev`: upcoming sails, one of them cancelled
    listed = {s["title"]: s for s in crew.get("/api/sails").json()["sails"]}
    assert listed["Sunset sail"]["status"] == "scheduled"
    assert listed["Anniversary charter"]["status"] == "cancelled"
    page = crew.get(f"/api/sails/{listed['Sunset sail']['id']}").json()
    assert page["roles"][0] == {**page["roles"][0], "slot": "captain", "holder": "captain@example.com"}
    assert page["checklists"]["departure"]["done"] == 2
