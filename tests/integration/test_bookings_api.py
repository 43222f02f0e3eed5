"""Bookings through the API on the local stack (issue 21): a party where every adult signs, and
admins editing, moving and removing guests with the history kept."""

from __future__ import annotations

from typing import Any

from local.stack import LocalStack
from tests.conftest import ApiClient
from tests.integration.test_guests_api import mail_to, new_sail, open_waiver_link, sign, unique_email


def book(admin: ApiClient, sail_id: str, lead: str, *adults: str, minors: int = 0) -> dict[str, Any]:
    people = [{"name": f"Adult {n}", "email": email} for n, email in enumerate(adults)]
    people += [{"name": f"Child {n}", "minor": True} for n in range(minors)]
    answer = admin.post(f"/api/sails/{sail_id}/guests", {"name": "Lead Guest", "email": lead, "people": people})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def manifest(admin: ApiClient, sail_id: str) -> dict[str, Any]:
    answer = admin.get(f"/api/sails/{sail_id}/guests")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def history(admin: ApiClient, sail_id: str) -> list[dict[str, Any]]:
    return list(admin.get(f"/api/sails/{sail_id}").json()["history"])


def test_a_party_is_confirmed_when_every_adult_has_signed(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    lead, bo = unique_email("lead"), unique_email("bo")
    booked = book(admin, sail["id"], lead, bo, minors=1)
    ids = {p["name"]: p["id"] for p in booked["people"]}
    # Each adult has their own mail; the child none
    assert len(mail_to(stack, lead)) == 1 and len(mail_to(stack, bo)) == 1
    assert admin.get(f"/api/sails/{sail['id']}").json()["guest_count"] == 3
    # Bo opens his link: his record lists the child he may sign for
    bo_session = open_waiver_link(stack, bo)
    record = bo_session.get(f"/api/sails/{sail['id']}/guests/{ids['Adult 0']}").json()
    assert [p["name"] for p in record["booking"] if p["minor"]] == ["Child 0"]
    # Bo cannot sign the lead's waiver with his session
    assert sign(bo_session, sail["id"], ids["Lead Guest"]).status_code == 403
    answer = sign(bo_session, sail["id"], ids["Adult 0"], full_name="Bo Adult", covers=[ids["Child 0"]])
    assert answer.status_code == 201, answer.text
    listed = manifest(admin, sail["id"])
    assert listed["bookings"][0]["status"] == "on_hold"
    assert {p["name"]: p["status"] for p in listed["guests"]}["Child 0"] == "confirmed"
    # The lead signs last: the booking is confirmed
    assert sign(open_waiver_link(stack, lead), sail["id"], ids["Lead Guest"]).status_code == 201
    listed = manifest(admin, sail["id"])
    assert listed["bookings"][0]["status"] == "confirmed" and len(listed["guests"]) == 3


def test_edit_move_and_remove_keep_the_history(stack: LocalStack, admin: ApiClient, crew: ApiClient) -> None:
    sail, later = new_sail(admin), new_sail(admin, days_ahead=12)
    lead, cy = unique_email("lead"), unique_email("cy")
    booked = book(admin, sail["id"], lead, cy, minors=1)
    ids = {p["name"]: p["id"] for p in booked["people"]}
    base = f"/api/sails/{sail['id']}/guests"
    # Crew may not edit or remove guests
    assert crew.patch(f"{base}/{ids['Adult 0']}", {"name": "X"}).status_code == 403
    assert crew.request("DELETE", f"{base}/{ids['Adult 0']}").status_code == 403
    # The admin corrects Cy's address: the new address gets a link, the old link no longer opens
    old_session = open_waiver_link(stack, cy)
    new_cy = unique_email("cy-new")
    edited = admin.patch(f"{base}/{ids['Adult 0']}", {"email": new_cy})
    assert edited.status_code == 200, edited.text
    assert edited.json()["guest"]["email"] == new_cy and len(mail_to(stack, new_cy)) == 1
    assert sign(old_session, sail["id"], ids["Adult 0"]).status_code == 403
    # Bad input names its field
    refused = admin.patch(f"{base}/{ids['Adult 0']}", {"email": "nope"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "email"
    # The admin removes the child: 204, still listed as removed by the admin
    removed = admin.request("DELETE", f"{base}/{ids['Child 0']}")
    assert removed.status_code == 204, removed.text
    child = next(p for p in manifest(admin, sail["id"])["guests"] if p["id"] == ids["Child 0"])
    assert child["status"] == "removed" and child["removed_by"] == "admin@example.com"
    # The admin moves the booking to the later sail
    moved = admin.patch(f"{base}/{ids['Lead Guest']}", {"sail_id": later["id"]})
    assert moved.status_code == 200, moved.text
    assert len(manifest(admin, later["id"])["guests"]) == 2
    assert admin.get(f"/api/sails/{sail['id']}").json()["guest_count"] == 0
    # And each sail's history says who did what to whom
    actions = [(h["action"], h["actor"]) for h in history(admin, sail["id"])]
    for action in ("guest_added", "guest_edited", "guest_removed", "booking_moved"):
        assert (action, "admin@example.com") in actions, actions
    removal = next(h for h in history(admin, sail["id"]) if h["action"] == "guest_removed")
    assert removal["detail"]["people"] == [{"guest_id": ids["Child 0"], "name": "Child 0"}]
    assert ("booking_moved_in", "admin@example.com") in [(h["action"], h["actor"]) for h in history(admin, later["id"])]
    # Removing a whole booking: everyone on it is removed
    new_lead = manifest(admin, later["id"])["guests"][0]["id"]
    gone = admin.request("DELETE", f"/api/sails/{later['id']}/guests/{new_lead}?booking=true")
    assert gone.status_code == 204, gone.text
    assert {p["status"] for p in manifest(admin, later["id"])["guests"]} == {"removed"}
