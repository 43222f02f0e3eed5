"""Crew roles through the HTTP API of the local stack: invite links, claim, release, designate,
who may do what, and the mail each change sends."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.stack import LocalStack
from tests.conftest import ApiClient, code_of, last_link_to, outbox, sign_in

ROLE_KINDS_SUBJECTS = ("invited to sail as", "You're on:", " claimed ", "released", "open again", "Confirmed:")


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def new_sail(admin: ApiClient, *, days_ahead: int = 20, crew_slots: int = 2) -> dict[str, Any]:
    """A sail of its own for each test (the stack is shared by the whole session)."""
    day = datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=days_ahead)
    answer = admin.post(
        "/api/sails",
        {"date": day.isoformat(), "title": f"Roles {uuid.uuid4().hex[:8]}", "crew_slots": crew_slots},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def roles_of(client: ApiClient, sail_id: str) -> dict[str, dict[str, Any]]:
    answer = client.get(f"/api/sails/{sail_id}")
    assert answer.status_code == 200, answer.text
    return {role["slot"]: role for role in answer.json()["roles"]}


def role_url(sail_id: str, slot: str, action: str) -> str:
    return f"/api/sails/{sail_id}/roles/{slot}/{action}"


def mail_about(stack: LocalStack, sail: dict[str, Any], since: int = 0) -> list[dict[str, Any]]:
    """Messages sent since `since` whose text names this sail's title."""
    return [m for m in outbox(stack)[since:] if sail["title"] in m["text"]]


# --- invite links -------------------------------------------------------------------------
def test_an_invite_link_signs_a_new_person_in_and_they_claim_the_slot(
    stack: LocalStack, admin: ApiClient, anonymous: ApiClient
) -> None:
    # Given a sail and someone who has never signed in
    sail = new_sail(admin)
    newcomer = unique_email("newcomer")
    before = len(outbox(stack))
    # When the admin invites them to crew-1
    invited = admin.post(role_url(sail["id"], "crew-1", "invite"), {"email": newcomer})
    assert invited.status_code == 200, invited.text
    assert newcomer in invited.json()["invited"]
    # Then one email with the sail's date, times and a claim link reaches them
    (message,) = [m for m in outbox(stack)[before:] if newcomer in m["to"]]
    assert "Crew 1" in message["subject"]
    assert "Departure:" in message["text"] and "Claim this role" in message["html"]
    link = last_link_to(stack, newcomer)
    assert link in message["html"]
    # When the link's code is redeemed, as the magic page does
    redeemed = anonymous.post("/api/auth/magic", {"code": code_of(link)})
    # Then they are signed in as crew, pointed at the slot, and now have a person record
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    assert (body["role"], body["purpose"], body["sail_id"], body["slot"]) == ("crew", "claim", sail["id"], "crew-1")
    person = ApiClient(stack.url)
    person.token = redeemed.cookies["qd_session"]
    assert person.get("/api/me").json() == {"email": newcomer, "role": "crew", "timezone": "America/Los_Angeles"}
    # When they claim it
    claimed = person.post(role_url(sail["id"], "crew-1", "claim"))
    # Then the admin's view shows them as its holder
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["state"] == "claimed"
    assert roles_of(admin, sail["id"])["crew-1"]["holder"] == newcomer
    # And the same link a second time is refused
    again = anonymous.post("/api/auth/magic", {"code": code_of(link)})
    assert again.status_code == 401
    assert "already been used" in again.json()["error"]["message"]


def test_a_resent_invite_makes_the_first_link_fail(stack: LocalStack, admin: ApiClient, anonymous: ApiClient) -> None:
    sail = new_sail(admin)
    email = unique_email("twice")
    assert admin.post(role_url(sail["id"], "captain", "invite"), {"email": email}).status_code == 200
    first = last_link_to(stack, email)
    assert admin.post(role_url(sail["id"], "captain", "invite"), {"email": email}).status_code == 200
    second = last_link_to(stack, email)
    assert first != second
    refused = anonymous.post("/api/auth/magic", {"code": code_of(first)})
    assert refused.status_code == 401
    assert "replaced by a newer one" in refused.json()["error"]["message"]
    assert anonymous.post("/api/auth/magic", {"code": code_of(second)}).json()["slot"] == "captain"


# --- who may do what ----------------------------------------------------------------------
def test_crew_cannot_invite_designate_or_release_a_slot_they_do_not_hold(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin)
    holder = sign_in(stack, unique_email("holder"))
    other = sign_in(stack, unique_email("other"))
    assert holder.post(role_url(sail["id"], "crew-1", "claim")).status_code == 200
    before = len(outbox(stack))
    attempts = {
        "invite": other.post(role_url(sail["id"], "crew-2", "invite"), {"email": "x@example.com"}),
        "designate": other.post(role_url(sail["id"], "crew-2", "designate"), {"email": "x@example.com"}),
        "designate self": holder.post(role_url(sail["id"], "crew-1", "designate"), {"email": "x@example.com"}),
        "release another's": other.post(role_url(sail["id"], "crew-1", "release")),
    }
    for what, answer in attempts.items():
        assert answer.status_code == 403, (what, answer.text)
        assert answer.json()["error"]["code"] == "forbidden", what
    # And nothing changed, nobody was mailed
    roles = roles_of(admin, sail["id"])
    assert roles["crew-1"]["state"] == "claimed" and roles["crew-2"]["state"] == "open"
    assert mail_about(stack, sail, before) == []


def test_a_guest_or_anonymous_caller_cannot_claim(stack: LocalStack, admin: ApiClient, anonymous: ApiClient) -> None:
    sail = new_sail(admin)
    assert anonymous.post(role_url(sail["id"], "crew-1", "claim")).status_code == 401
    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    code = issue_code(Store(), unique_email("guest"), Purpose.waiver(sail["id"], "g1"), timedelta(minutes=5))
    guest = ApiClient(stack.url)
    guest.token = anonymous.post("/api/auth/magic", {"code": code}).cookies["qd_session"]
    answer = guest.post(role_url(sail["id"], "crew-1", "claim"))
    assert answer.status_code == 403
    assert roles_of(admin, sail["id"])["crew-1"]["state"] == "open"


# --- the state machine --------------------------------------------------------------------
def test_every_illegal_transition_answers_409_naming_the_current_state(stack: LocalStack, admin: ApiClient) -> None:
    sail = new_sail(admin, crew_slots=3)
    ann_email, bob_email = unique_email("ann"), unique_email("bob")
    ann, bob = sign_in(stack, ann_email), sign_in(stack, bob_email)
    assert ann.post(role_url(sail["id"], "crew-1", "claim")).status_code == 200
    assert admin.post(role_url(sail["id"], "captain", "designate"), {"email": bob_email}).status_code == 200

    refused = {
        "claim a claimed slot": (bob.post(role_url(sail["id"], "crew-1", "claim")), "crew-1 is claimed"),
        "claim a designated slot": (ann.post(role_url(sail["id"], "captain", "claim")), "captain is designated"),
        "claim a second slot": (ann.post(role_url(sail["id"], "crew-2", "claim")), "already holds crew-1"),
        "release an open slot": (admin.post(role_url(sail["id"], "crew-3", "release")), "crew-3 is open"),
        "designate over a holder": (
            admin.post(role_url(sail["id"], "crew-1", "designate"), {"email": bob_email}),
            "crew-1 is claimed",
        ),
        "designate twice": (
            admin.post(role_url(sail["id"], "captain", "designate"), {"email": bob_email}),
            "captain is designated",
        ),
        "invite to a held slot": (
            admin.post(role_url(sail["id"], "crew-1", "invite"), {"email": bob_email}),
            "crew-1 is claimed",
        ),
    }
    for what, (answer, state) in refused.items():
        assert answer.status_code == 409, (what, answer.text)
        assert state in answer.json()["error"]["message"], (what, answer.json())
    # And the holders are as they were
    roles = roles_of(admin, sail["id"])
    assert (roles["crew-1"]["holder"], roles["captain"]["holder"]) == (ann_email, bob_email)
    assert "holder" not in roles["crew-2"]


def test_roles_of_a_cancelled_sail_do_not_change(stack: LocalStack, admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin)
    assert admin.post(f"/api/sails/{sail['id']}/cancel", {}).status_code == 200
    answer = crew.post(role_url(sail["id"], "crew-1", "claim"))
    assert answer.status_code == 409
    assert "cancelled" in answer.json()["error"]["message"]


def test_unknown_slots_and_sails_are_404_and_a_bad_email_is_422(admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin)
    assert crew.post(role_url(sail["id"], "crew-7", "claim")).json()["error"]["code"] == "role_not_found"
    assert crew.post(role_url(sail["id"], "crew-7", "claim")).status_code == 404
    assert crew.post(role_url("nosuchsail", "crew-1", "claim")).status_code == 404
    for body in ({"email": "not an email"}, {}, {"email": "a@example.com\r\nBcc: b@example.com"}):
        for action in ("invite", "designate"):
            answer = admin.post(role_url(sail["id"], "crew-1", action), body)
            assert answer.status_code == 422, (action, body, answer.text)
            assert answer.json()["error"]["field"] == "email"


# --- mail -----------------------------------------------------------------------------
def test_each_change_sends_its_emails_with_text_and_html_parts(stack: LocalStack, admin: ApiClient) -> None:
    # Given a sail and two crew
    sail = new_sail(admin)
    ann_email, bob_email = unique_email("ann"), unique_email("bob")
    ann = sign_in(stack, ann_email)
    before = len(outbox(stack))
    # When: invite, claim, designate (confirm), admin release, self-service claim and release
    steps = [
        admin.post(role_url(sail["id"], "crew-1", "invite"), {"email": ann_email}),
        ann.post(role_url(sail["id"], "crew-1", "claim")),
        admin.post(role_url(sail["id"], "crew-1", "designate"), {"email": ann_email}),
        admin.post(role_url(sail["id"], "crew-1", "release")),
        admin.post(role_url(sail["id"], "captain", "designate"), {"email": bob_email}),
        ann.post(role_url(sail["id"], "crew-2", "claim")),
        ann.post(role_url(sail["id"], "crew-2", "release")),
    ]
    assert [s.status_code for s in steps] == [200] * len(steps), [s.text for s in steps]
    # Then exactly these messages went out, each with both parts
    # (admins other tests made in the app hear of changes too; the configured one stands for them)
    ours = {ann_email, bob_email, "admin@example.com"}
    sent = [m for m in mail_about(stack, sail, before) if ours & set(m["to"])]
    expected = [
        ([ann_email], "invited to sail as Crew 1"),
        ([ann_email], "You're on: Crew 1"),
        (["admin@example.com"], f"{ann_email} claimed Crew 1"),
        ([ann_email], "Confirmed: Crew 1"),
        ([ann_email], "You have been released from Crew 1"),
        ([bob_email], "Confirmed: Captain"),
        ([ann_email], "You're on: Crew 2"),
        (["admin@example.com"], f"{ann_email} claimed Crew 2"),
        (["admin@example.com"], "Crew 2 is open again"),
    ]
    assert len(sent) == len(expected), [(m["to"], m["subject"]) for m in sent]
    for (to, subject), message in zip(expected, sent, strict=True):
        # mail to the admins goes to every admin: admins made in the app by other tests too
        addressed = message["to"] == to or (to == ["admin@example.com"] and "admin@example.com" in message["to"])
        assert addressed and subject in message["subject"], (to, subject, message["to"], message["subject"])
        assert message["text"].strip() and message["html"].strip(), message["subject"]
        assert "<html" in message["html"] and "<html" not in message["text"]
    # And the role board reflects the end state
    roles = roles_of(admin, sail["id"])
    assert roles["crew-1"]["state"] == roles["crew-2"]["state"] == "open"
    assert roles["captain"] == {**roles["captain"], "state": "designated", "holder": bob_email}


def test_every_role_email_in_the_outbox_has_text_and_html(stack: LocalStack, admin: ApiClient) -> None:
    # Whatever the earlier tests sent: no role email may lack a part
    role_mail = [m for m in outbox(stack) if any(s in m["subject"] for s in ROLE_KINDS_SUBJECTS)]
    assert role_mail, "the role tests sent no mail"
    for message in role_mail:
        assert message["text"].strip() and message["html"].strip(), message["subject"]


def test_the_openapi_document_lists_the_role_routes(anonymous: ApiClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    for action in ("invite", "claim", "release", "designate"):
        assert f"/api/sails/{{sail_id}}/roles/{{slot}}/{action}" in paths


def test_a_crew_member_sees_holders_but_not_invites(stack: LocalStack, admin: ApiClient, crew: ApiClient) -> None:
    sail = new_sail(admin)
    email = unique_email("invitee")
    admin.post(role_url(sail["id"], "crew-2", "invite"), {"email": email})
    assert email in roles_of(admin, sail["id"])["crew-2"]["invited"]
    assert "invited" not in roles_of(crew, sail["id"])["crew-2"]
