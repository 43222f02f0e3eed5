"""Issue 21 (3, 4, 5, 7) through the API on the local stack: capacity and meeting point per sail,
capacity under concurrent adds, the guest's page (.ics, signed copy, fresh link) and the CSV."""

from __future__ import annotations

import csv
import io
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from local.stack import LocalStack
from quarterdeck.errors import ConflictError
from quarterdeck.store import Store
from tests.conftest import ApiClient, code_of, last_link_to, outbox
from tests.integration.test_guests_api import RecordingMailer, add_guest, open_waiver_link, sign, unique_email


def new_sail(admin: ApiClient, **fields: Any) -> dict[str, Any]:
    day = (date.today() + timedelta(days=12)).isoformat()
    answer = admin.post("/api/sails", {"date": day, "title": "Capacity sail", **fields})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_capacity_and_meeting_point_are_set_shown_and_edited(admin: ApiClient) -> None:
    # When a sail is created with its own capacity and meeting point
    sail = new_sail(admin, guest_capacity=12, meeting_point="Dock C, slip 14")
    assert (sail["guest_capacity"], sail["seats_taken"], sail["seats_left"]) == (12, 0, 12)
    assert sail["meeting_point"] == "Dock C, slip 14"
    # Then the list shows them, and a guest added takes a seat
    add_guest(admin, sail["id"], party_size=3)
    listed = admin.get("/api/sails", params={"from": sail["date"], "to": sail["date"]}).json()["sails"]
    [mine] = [s for s in listed if s["id"] == sail["id"]]
    assert (mine["seats_taken"], mine["seats_left"]) == (3, 9)
    # And an edit changes both; below the seats taken is refused naming them
    edited = admin.patch(f"/api/sails/{sail['id']}", {"guest_capacity": 4, "meeting_point": "Dock B"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["seats_left"], edited.json()["meeting_point"]) == (1, "Dock B")
    low = admin.patch(f"/api/sails/{sail['id']}", {"guest_capacity": 2})
    assert low.status_code == 409 and low.json()["error"]["field"] == "guest_capacity"
    assert "3 guest seats are taken" in low.json()["error"]["message"]
    # And a party beyond the seats left is refused naming them
    full = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Big", "email": unique_email(), "party_size": 2})
    assert full.status_code == 409 and "room for 1 more" in full.json()["error"]["message"]


def test_a_new_sail_defaults_to_the_settings(admin: ApiClient) -> None:
    sail = new_sail(admin)
    assert sail["guest_capacity"] == 6 and sail["meeting_point"]


def test_bad_capacity_or_meeting_point_is_4xx_naming_the_field(admin: ApiClient) -> None:
    for body, field in (
        ({"guest_capacity": 0}, "guest_capacity"),
        ({"guest_capacity": 50}, "guest_capacity"),
        ({"guest_capacity": "six"}, "guest_capacity"),
        ({"meeting_point": "x" * 201}, "meeting_point"),
        ({"meeting_point": "Dock\nC"}, "meeting_point"),
    ):
        answer = admin.post(
            "/api/sails", {"date": (date.today() + timedelta(days=3)).isoformat(), "title": "T", **body}
        )
        assert 400 <= answer.status_code < 500 and answer.json()["error"]["field"] == field, (body, answer.text)


def test_capacity_holds_under_20_concurrent_adds(admin: ApiClient) -> None:
    # Given a sail of 9 seats, When 20 parties of 1 to 3 are added at once (at the domain on the
    # real table: the local web server shares one resolver between its threads)
    from quarterdeck.guests import add_guest as add_in_domain
    from quarterdeck.repositories.guests import DynamoGuestRepository

    sail = new_sail(admin, guest_capacity=9)
    sizes = [random.randint(1, 3) for _ in range(20)]

    def add_one(n: int) -> int:
        try:
            add_in_domain(
                DynamoGuestRepository(Store()), RecordingMailer(), "admin@example.com", sail["id"],
                name=f"P{n}", email=unique_email(), party_size=sizes[n],
            )  # fmt: skip
            return sizes[n]
        except ConflictError:
            return 0

    with ThreadPoolExecutor(max_workers=20) as pool:
        seated = list(pool.map(add_one, range(20)))
    # Then never over: the seats taken are the parties that got in, at most 9
    manifest = admin.get(f"/api/sails/{sail['id']}/guests").json()
    assert manifest["guest_count"] == sum(seated) <= 9
    assert sum(g["party_size"] for g in manifest["guests"]) == sum(seated)
    assert sum(seated) >= 7  # (the last refused party was bigger than the seats left)


def test_the_guests_page_meeting_point_ics_and_signed_copy(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin, meeting_point="Dock C, slip 14")
    guest = add_guest(admin, sail["id"])
    # The waiver email shows the meeting point, and its link names the sail
    [request] = [m for m in outbox(stack) if guest["email"] in m["to"]]
    assert "Where to meet: Dock C, slip 14" in request["text"] and f"&sail={sail['id']}" in request["text"]
    me = open_waiver_link(stack, guest["email"])
    assert me.get(f"/api/sails/{sail['id']}").json()["meeting_point"] == "Dock C, slip 14"
    record = me.get(f"/api/sails/{sail['id']}/guests/{guest['id']}").json()
    assert record["sail"]["meeting_point"] == "Dock C, slip 14"
    ics = me.get(f"/api/sails/{sail['id']}/guests/{guest['id']}/sail.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == 1 and "LOCATION:Dock C\\, slip 14" in ics.text
    copy_path = f"/api/sails/{sail['id']}/guests/{guest['id']}/waiver.txt"
    assert me.get(copy_path).status_code == 404
    assert sign(me, sail["id"], guest["id"]).status_code == 201
    copy = me.get(copy_path)
    assert copy.status_code == 200 and copy.headers["content-type"].startswith("text/plain")
    [signed] = [m for m in outbox(stack) if guest["email"] in m["to"] and m["subject"].startswith("Your signed")]
    assert copy.text.strip() in signed["text"] and "Where to meet: Dock C, slip 14" in signed["text"]
    # Another guest's token reaches neither
    other = open_waiver_link(stack, add_guest(admin, sail["id"])["email"])
    assert other.get(copy_path).status_code == 403


def test_a_fresh_link_for_a_spent_one_answered_alike(stack: LocalStack, admin: ApiClient) -> None:
    from tests.security.conftest import client_from, fresh_loopback

    anonymous = client_from(stack, fresh_loopback())  # a network of its own: no earlier test's count
    sail = new_sail(admin)
    guest = add_guest(admin, sail["id"])
    first = last_link_to(stack, guest["email"])
    open_waiver_link(stack, guest["email"])  # the link is spent
    path = f"/api/sails/{sail['id']}/guest-link"
    known = anonymous.post(path, {"email": guest["email"]})
    unknown = anonymous.post(path, {"email": unique_email("stranger")})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    fresh = last_link_to(stack, guest["email"])
    assert fresh != first
    again = ApiClient(stack.url).post("/api/auth/magic", {"code": code_of(fresh)})
    assert again.status_code == 200 and again.json()["guest_id"] == guest["id"]
    assert anonymous.post(path, {"email": "not an address"}).json()["error"]["field"] == "email"


def test_fresh_links_are_limited_alike(stack: LocalStack, admin: ApiClient) -> None:
    from tests.security.conftest import client_from, fresh_loopback

    sail = new_sail(admin)
    guest = add_guest(admin, sail["id"])
    path = f"/api/sails/{sail['id']}/guest-link"
    # (each address asks from a network of its own: the per-source limit is not what is tested)
    for email in (guest["email"], unique_email("stranger")):
        asker = client_from(stack, fresh_loopback())
        answers = [asker.post(path, {"email": email}).status_code for _ in range(6)]
        assert answers == [202] * 5 + [429], (email, answers)


def _csv(answer: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_manifest_csv_one_row_a_person(admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin, meeting_point="Dock C")
    add_guest(admin, sail["id"], name="=cmd|' /C calc'!A0", party_size=1)
    add_guest(admin, sail["id"], name="Ada Lovelace", party_size=2)
    answer = admin.get(f"/api/sails/{sail['id']}/manifest.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _csv(answer)
    assert len(rows) == 3 and rows[0]["Name"].startswith("'=") and rows[0]["Meeting point"] == "Dock C"
    assert rows[0]["Email"]
    # Crew who are not the sail's captain may not; the captain may, without contacts
    assert crew.get(f"/api/sails/{sail['id']}/manifest.csv").status_code == 403
    designated = admin.post(f"/api/sails/{sail['id']}/roles/captain/designate", {"email": "crew@example.com"})
    assert designated.status_code == 200, designated.text
    as_captain = crew.get(f"/api/sails/{sail['id']}/manifest.csv")
    assert as_captain.status_code == 200 and "Email" not in as_captain.text.splitlines()[0]
    assert admin.get("/api/sails/no-such-sail/manifest.csv").status_code == 404
