"""Private calendar feeds through the API: issue, read back as RFC 5545, revoke."""

from __future__ import annotations

import uuid
from datetime import datetime

import icalendar

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in
from tests.integration.test_sails import make_sail, put_holder


def _feed(stack: LocalStack, url: str) -> tuple[int, str, str]:
    assert url.startswith(stack.url + "/api/calendar/") and url.endswith(".ics")
    answer = ApiClient(stack.url).get(url.removeprefix(stack.url))  # no session: the URL is the secret
    return answer.status_code, answer.headers.get("Content-Type", ""), answer.text


def test_a_crew_feed_holds_the_sails_with_their_role_and_parses(stack: LocalStack, admin: ApiClient) -> None:
    # Given a crew member holding the captain's slot on one sail, and another sail they are not on
    deckhand = sign_in(stack, "deckhand@example.com")
    mine = make_sail(admin, date="2027-03-14", title="Daylight saving sail")
    cancelled = make_sail(admin, title="Called off")
    not_mine = make_sail(admin, title="Someone else's")
    put_holder(mine["id"], "captain", "deckhand@example.com")
    put_holder(cancelled["id"], "crew-1", "deckhand@example.com")
    assert admin.post(f"/api/sails/{cancelled['id']}/cancel", {}).status_code == 200
    # When they ask for their calendar URL and a calendar app fetches it
    issued = deckhand.post("/api/calendar/token")
    assert issued.status_code == 200, issued.text
    status, content_type, text = _feed(stack, issued.json()["url"])
    # Then it is an RFC 5545 calendar a parser reads back
    assert status == 200 and content_type.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(text)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    # with their sails only, timed from departure to return
    assert f"sail-{not_mine['id']}@quarterdeck" not in events
    event = events[f"sail-{mine['id']}@quarterdeck"]
    assert event.decoded("DTSTART") == datetime.fromisoformat(mine["departure"])
    assert event.decoded("DTEND") == datetime.fromisoformat(mine["return"])
    # (claimed, not designated: TENTATIVE)
    assert "(captain)" in str(event["SUMMARY"]) and str(event["STATUS"]) == "TENTATIVE"
    # and the cancelled sail shown as cancelled
    assert str(events[f"sail-{cancelled['id']}@quarterdeck"]["STATUS"]) == "CANCELLED"
    assert deckhand.get("/api/calendar/token").json()["active"] is True
    # When the admin designates them captain, the event is CONFIRMED
    designated = admin.post(f"/api/sails/{mine['id']}/roles/captain/designate", {"email": "deckhand@example.com"})
    assert designated.status_code == 200, designated.text
    _, _, text = _feed(stack, issued.json()["url"])
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    assert str(events[f"sail-{mine['id']}@quarterdeck"]["STATUS"]) == "CONFIRMED"


def test_a_crew_feed_follows_claims_and_releases_in_two_reads(stack: LocalStack, admin: ApiClient) -> None:
    from quarterdeck.clients import client

    # Given a crew member who claims crew-1 on one sail and the captain's slot on another
    email = f"feed-{uuid.uuid4().hex[:8]}@example.com"
    sailor = sign_in(stack, email)
    kept, dropped = make_sail(admin, title="Kept sail"), make_sail(admin, title="Dropped sail")
    assert sailor.post(f"/api/sails/{kept['id']}/roles/crew-1/claim").status_code == 200
    assert sailor.post(f"/api/sails/{dropped['id']}/roles/captain/claim").status_code == 200
    # And then releases the captain's slot
    assert sailor.post(f"/api/sails/{dropped['id']}/roles/captain/release").status_code == 200
    url = sailor.post("/api/calendar/token").json()["url"]
    # When a calendar app fetches the feed
    operations: list[str] = []
    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb", lambda model, **_: operations.append(model.name), unique_id="feed-count")
    try:
        status, _, text = _feed(stack, url)
    finally:
        events.unregister("before-call.dynamodb", unique_id="feed-count")
    # Then it holds the sail they still hold, with their role, and not the one they left
    assert status == 200
    summaries = {str(e["UID"]): str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    assert summaries[f"sail-{kept['id']}@quarterdeck"] == "Kept sail (crew-1)"
    assert f"sail-{dropped['id']}@quarterdeck" not in summaries
    # And it cost the token's GetItem and one Query of the index, whatever the window holds
    assert sorted(operations) == ["GetItem", "Query"], operations


def test_an_admin_feed_holds_every_sail(stack: LocalStack, admin: ApiClient) -> None:
    sail = make_sail(admin, title="Everyone's sail")
    status, _, text = _feed(stack, admin.post("/api/calendar/token").json()["url"])
    assert status == 200
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    assert f"sail-{sail['id']}@quarterdeck" in uids


def test_a_revoked_or_replaced_token_gets_404(stack: LocalStack, crew: ApiClient) -> None:
    first = crew.post("/api/calendar/token").json()["url"]
    assert _feed(stack, first)[0] == 200
    # When a new URL is issued, the old one stops working
    second = crew.post("/api/calendar/token").json()["url"]
    assert second != first
    assert _feed(stack, first)[0] == 404
    assert _feed(stack, second)[0] == 200
    # And when the person revokes it, the feed is gone
    assert crew.request("DELETE", "/api/calendar/token").status_code == 200
    assert _feed(stack, second)[0] == 404
    assert crew.get("/api/calendar/token").json() == {"active": False}


def test_made_up_feed_urls_get_404(stack: LocalStack, anonymous: ApiClient) -> None:
    for name in ("nothing.ics", "Y3Jld0BleGFtcGxlLmNvbQ.guess.ics", "%%%.x.ics", "a.b"):
        assert anonymous.get(f"/api/calendar/{name}").status_code == 404, name
    assert anonymous.post("/api/calendar/token").status_code == 401
