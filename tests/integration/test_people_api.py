"""The roster and my settings over the local stack (issue 20): the routes, the welcome mail, a
removal's effect on the removed person's open session and upcoming slot, the last admin."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from local.stack import LocalStack
from tests.conftest import ApiClient, code_of, last_link_to, outbox, sign_in

ADMIN = "admin@example.com"


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def new_sail(admin: ApiClient) -> dict[str, Any]:
    day = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=15)
    answer = admin.post(
        "/api/sails", {"date": day.isoformat(), "title": f"People {uuid.uuid4().hex[:8]}", "crew_slots": 2}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def listed(admin: ApiClient) -> dict[str, dict[str, Any]]:
    answer = admin.get("/api/people")
    assert answer.status_code == 200, answer.text
    return {p["email"]: p for p in answer.json()["people"]}


def test_an_admin_adds_people_who_sign_in_from_the_welcome_mail(stack: LocalStack, admin: ApiClient) -> None:
    # Given an admin adds a crew member and an admin
    ann, bo = unique_email("ann"), unique_email("bo")
    assert admin.post("/api/people", {"email": ann, "role": "crew", "name": "Ann"}).status_code == 201
    added = admin.post("/api/people", {"email": bo, "role": "admin"})
    assert added.status_code == 201, added.text
    assert (added.json()["role"], added.json()["status"]) == ("admin", "invited")
    # Then each got a welcome with a sign-in link; adding again is a 409
    assert any(m["to"] == [ann] and m["subject"] == "Welcome to Quarterdeck" for m in outbox(stack))
    assert admin.post("/api/people", {"email": ann, "role": "crew"}).status_code == 409
    # When the new admin opens the link, they are an admin and see the roster
    client = ApiClient(stack.url)
    signed = client.post("/api/auth/magic", {"code": code_of(last_link_to(stack, bo))})
    assert signed.status_code == 200, signed.text
    client.token = signed.cookies["qd_session"]
    assert client.get("/api/me").json()["role"] == "admin"
    people = listed(client)
    assert people[ann]["name"] == "Ann" and people[ann]["role"] == "crew" and people[bo]["status"] == "active"


def test_crew_get_403_from_every_people_route(crew: ApiClient) -> None:
    target = quote(ADMIN)
    assert crew.get("/api/people").status_code == 403
    assert crew.post("/api/people", {"email": unique_email("x"), "role": "crew"}).status_code == 403
    assert crew.patch(f"/api/people/{target}", {"role": "crew"}).status_code == 403
    assert crew.request("DELETE", f"/api/people/{target}").status_code == 403


def test_removal_ends_the_session_and_opens_the_upcoming_slot(stack: LocalStack, admin: ApiClient) -> None:
    # Given crew on the roster, signed in, holding a slot on an upcoming sail
    ann = unique_email("ann")
    assert admin.post("/api/people", {"email": ann, "role": "crew"}).status_code == 201
    tab = sign_in(stack, ann)
    sail = new_sail(admin)
    assert tab.post(f"/api/sails/{sail['id']}/roles/crew-1/claim").status_code == 200
    assert [c["slot"] for c in listed(admin)[ann]["upcoming"]] == ["crew-1"]
    # When an admin removes them
    removed = admin.request("DELETE", f"/api/people/{quote(ann)}")
    assert removed.status_code == 200, removed.text
    # Then their open session is refused at its next action and read
    assert tab.post(f"/api/sails/{sail['id']}/roles/crew-2/claim").status_code == 401
    assert tab.get("/api/me").status_code == 401
    # Their slot is open again, and the history keeps their name
    roles = {r["slot"]: r for r in admin.get(f"/api/sails/{sail['id']}").json()["roles"]}
    assert roles["crew-1"]["state"] == "open"
    assert ann in admin.get(f"/api/sails/{sail['id']}").text
    # A sign-in request sends them nothing
    before = len(outbox(stack))
    assert ApiClient(stack.url).post("/api/auth/login-link", {"email": ann}).status_code == 202
    assert [m for m in outbox(stack)[before:] if ann in m["to"]] == []
    assert listed(admin)[ann]["status"] == "removed"


def test_configured_admins_cannot_be_demoted_or_removed(admin: ApiClient) -> None:
    demoted = admin.patch(f"/api/people/{quote(ADMIN)}", {"role": "crew"})
    assert demoted.status_code == 409 and "ADMIN_EMAILS" in demoted.json()["error"]["message"]
    assert admin.request("DELETE", f"/api/people/{quote(ADMIN)}").status_code == 409
    assert admin.patch("/api/people/nobody-here%40example.com", {"name": "X"}).status_code == 404
    assert admin.post("/api/people", {"email": "not an address", "role": "crew"}).status_code == 422
    assert admin.post("/api/people", {"email": unique_email("x"), "role": "captain"}).status_code == 422


def test_my_settings_and_sign_out_everywhere(stack: LocalStack) -> None:
    # Given a crew member signed in twice
    email = unique_email("me")
    first, second = sign_in(stack, email), sign_in(stack, email)
    # When they rename themselves and turn one kind of nudge off
    changed = first.patch("/api/me", {"name": "Me Myself", "nudges": {"day_of": False}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["nudges"]["day_of"] is False and changed.json()["nudges"]["unfilled_roles"] is True
    assert second.get("/api/me/settings").json()["name"] == "Me Myself"
    assert first.patch("/api/me", {"nudges": {"weekly_spam": False}}).status_code == 422
    # When they sign out everywhere, both sessions end
    assert second.post("/api/me/sign-out-everywhere").status_code == 200
    assert second.get("/api/me").status_code == 401
    assert first.post("/api/calendar/token").status_code == 401
