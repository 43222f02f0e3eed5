"""Magic-code attacks: reuse, expiry, replacement, a code used for another purpose, brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.magic_codes import Purpose
from quarterdeck.repositories.sign_in import issue_code
from quarterdeck.store import Store
from tests.conftest import ApiClient, sign_in
from tests.security.conftest import (
    ADMIN_EMAIL,
    World,
    client_from,
    fresh_loopback,
    redeem,
    unique_email,
)


def _purpose(kind: str, world: World) -> Purpose:
    if kind == "claim":
        return Purpose.claim(world.sail_id, "crew-1")
    if kind == "waiver":
        return Purpose.waiver(world.sail_id, world.guest_id)
    return Purpose.login()


@pytest.mark.parametrize("kind", ["login", "claim", "waiver"])
def test_a_code_works_once_whatever_its_purpose(world: World, kind: str) -> None:
    # Given a fresh code of this purpose
    email = world.guest_email if kind == "waiver" else unique_email(kind)
    code = issue_code(Store(), email, _purpose(kind, world), timedelta(minutes=15))
    # When it is redeemed twice
    first, second = redeem(world.stack, code), redeem(world.stack, code)
    # Then only the first opens a session; the second says why it is refused
    assert first.status_code == 200, first.text
    assert second.status_code == 401
    assert second.json()["error"]["code"] == "code_rejected"
    assert "already been used" in second.json()["error"]["message"]
    assert "token" not in second.json()


def test_an_expired_code_is_refused(stack: LocalStack) -> None:
    # Given a login code issued two hours ago for fifteen minutes
    issued = datetime.now(UTC) - timedelta(hours=2)
    code = issue_code(Store(), unique_email("late"), Purpose.login(), timedelta(minutes=15), clock=lambda: issued)
    # When it is redeemed now
    answer = redeem(stack, code)
    # Then it is refused as expired, and opens nothing
    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]
    assert "qd_session=" not in answer.headers.get("Set-Cookie", "")


def test_a_replaced_code_is_refused(world: World) -> None:
    # Given a waiver link sent twice (the second replaces the first)
    link = f"waiver:{world.sail_id}:{world.guest_id}:security"
    purpose = Purpose.waiver(world.sail_id, world.guest_id)
    old = issue_code(Store(), world.guest_email, purpose, timedelta(hours=1), replaces=link)
    new = issue_code(Store(), world.guest_email, purpose, timedelta(hours=1), replaces=link)
    # Then the old one is refused and the new one works
    refused = redeem(world.stack, old)
    assert refused.status_code == 401
    assert "replaced" in refused.json()["error"]["message"]
    assert redeem(world.stack, new).status_code == 200


def test_a_waiver_code_opens_only_a_guest_session_even_for_an_admin_email(world: World) -> None:
    # Given a waiver code whose email is the admin's own
    code = issue_code(Store(), ADMIN_EMAIL, Purpose.waiver(world.sail_id, world.guest_id), timedelta(hours=1))
    # When it is redeemed
    answer = redeem(world.stack, code)
    # Then the session is a guest's, confined to that sail and guest record
    assert answer.status_code == 200, answer.text
    assert (answer.json()["role"], answer.json()["purpose"]) == ("guest", "waiver")
    session = ApiClient(world.stack.url)
    session.token = answer.cookies["qd_session"]
    assert session.get("/api/me").json() == {
        "email": ADMIN_EMAIL,
        "role": "guest",
        "sail_id": world.sail_id,
        "guest_id": world.guest_id,
        "timezone": "America/Los_Angeles",
    }
    refused = {
        "list sails": session.get("/api/sails"),
        "create a sail": session.post("/api/sails", {"date": "2030-01-01", "title": "Not mine"}),
        "read the board": session.get("/api/tasks"),
        "claim a slot": session.post(f"/api/sails/{world.sail_id}/roles/crew-1/claim"),
        "read the other sail": session.get(f"/api/sails/{world.other_sail_id}"),
    }
    assert {name: a.status_code for name, a in refused.items()} == dict.fromkeys(refused, 403)


def test_a_login_code_never_opens_a_guest_or_admin_session_for_a_crew_email(stack: LocalStack) -> None:
    answer = redeem(stack, issue_code(Store(), unique_email("crewish"), Purpose.login(), timedelta(minutes=5)))
    assert answer.status_code == 200
    assert answer.json()["role"] == "crew"


def test_a_claim_code_cannot_be_steered_to_another_sail_or_role(world: World) -> None:
    # Given a claim code for crew-1 on the first sail
    email = unique_email("invited")
    code = issue_code(Store(), email, Purpose.claim(world.sail_id, "crew-1"), timedelta(hours=1))
    # When it is posted with fields naming another sail, slot and role
    forged: dict[str, Any] = {
        "code": code,
        "purpose": f"claim {world.other_sail_id}/captain",
        "sail_id": world.other_sail_id,
        "slot": "captain",
        "role": "admin",
    }
    answer = ApiClient(world.stack.url).post("/api/auth/magic", forged)
    # Then the purpose stored with the code decides: that sail and slot, a crew session
    if answer.status_code == 422:  # refusing unknown fields is as good as ignoring them
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["role"], body["purpose"], body["sail_id"], body["slot"]) == ("crew", "claim", world.sail_id, "crew-1")
    # And redeeming it claimed nothing by itself, on either sail
    admin = sign_in(world.stack, ADMIN_EMAIL)
    for sail_id in (world.sail_id, world.other_sail_id):
        roles = admin.get(f"/api/sails/{sail_id}").json()["roles"]
        assert all(role.get("holder") != email for role in roles), roles


# --- brute force -------------------------------------------------------------------------
def _limit() -> int:
    from quarterdeck.config import get_settings

    return get_settings().magic_code_failures_per_window


def test_wrong_codes_are_answered_alike_then_limited(stack: LocalStack) -> None:
    # Given an attacker guessing codes from one address (not the rest of the suite's)
    attacker = client_from(stack, fresh_loopback())
    guesses = ["x" * 43, "A" * 43, "short", "0" * 200, "-_" * 21 + "a"]
    guesses += [f"guess-{n:04d}-" + "z" * 32 for n in range(_limit() - len(guesses))]
    # When it posts as many wrong codes as the limit allows
    answers = [attacker.post("/api/auth/magic", {"code": guess}) for guess in guesses]
    # Then each is answered exactly alike, whatever its shape
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1
    # And the next attempt is limited, with a clear message
    limited = attacker.post("/api/auth/magic", {"code": "y" * 43})
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"]["code"] == "too_many_attempts"
    assert "minutes" in limited.json()["error"]["message"]
    # And a real code from that address gets the very same answer (nothing tells it apart)
    real_code = issue_code(Store(), unique_email("victim"), Purpose.login(), timedelta(minutes=15))
    blocked = attacker.post("/api/auth/magic", {"code": real_code})
    assert (blocked.status_code, blocked.text) == (limited.status_code, limited.text)
    assert "qd_session=" not in blocked.headers.get("Set-Cookie", "")
    # And that code was not spent: from another address it still works
    assert redeem(stack, real_code).status_code == 200


def test_the_limit_is_per_address_and_ends_with_its_window(stack: LocalStack) -> None:
    from quarterdeck.auth import load_signing_keys
    from quarterdeck.errors import CodeRejectedError, RateLimitedError
    from quarterdeck.repositories.sign_in import DynamoSignInRepository
    from quarterdeck.sessions import redeem_code

    store, keys = Store(), load_signing_keys()
    sign_in = DynamoSignInRepository(store)
    now = datetime.now(UTC)
    address, neighbour = fresh_loopback(), fresh_loopback()
    # Given an address that used up its wrong guesses
    for _ in range(_limit()):
        with pytest.raises(CodeRejectedError):
            redeem_code(sign_in, keys, "w" * 43, source=address, clock=lambda: now)
    code = issue_code(store, unique_email("patient"), Purpose.login(), timedelta(hours=2))
    with pytest.raises(RateLimitedError):
        redeem_code(sign_in, keys, code, source=address, clock=lambda: now)
    # Then another address is not affected
    with pytest.raises(CodeRejectedError):
        redeem_code(sign_in, keys, "w" * 43, source=neighbour, clock=lambda: now)
    # And once the window has passed, the same address may try again
    from quarterdeck.config import get_settings

    later = now + timedelta(minutes=get_settings().magic_code_window_minutes)
    signed_in = redeem_code(sign_in, keys, code, source=address, clock=lambda: later)
    assert signed_in.caller.role == "crew"
