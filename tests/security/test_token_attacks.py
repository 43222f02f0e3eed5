"""Session token attacks against the local stack: every forged, stale or misused token is refused.

A control first proves that a token made with the real key and claims IS accepted, so each
attack below fails for the one thing it changes, not for some unrelated reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
import requests

from local.stack import LocalStack
from tests.conftest import sign_in
from tests.security.conftest import ADMIN_EMAIL, World, signing_secret, unique_email


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(sub: Any = ADMIN_EMAIL, **overrides: Any) -> dict[str, Any]:
    """Claims as quarterdeck.auth.issue_token writes them, for an existing admin."""
    from quarterdeck.config import get_settings

    settings = get_settings()
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub,
        "role": "admin",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": f"forged-{now}",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def real(payload: dict[str, Any], *, algorithm: str = "HS256", kid: str | None = "") -> str:
    """Signed with the real key (as only the server should be able to)."""
    secret = signing_secret()
    headers = {} if kid is None else {"kid": kid or secret["kid"]}
    return jwt.encode(payload, secret["key"], algorithm=algorithm, headers=headers)


def hand_signed(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    """A token assembled by hand: PyJWT itself refuses to make some of these."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key is not None else ""
    return f"{signing_input}.{signature}"


def status_of(stack: LocalStack, token: str, path: str = "/api/me", *, cookie: bool = False) -> int:
    if cookie:
        answer = requests.get(f"{stack.url}{path}", cookies={"qd_session": token}, timeout=30)
    else:
        answer = requests.get(f"{stack.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return answer.status_code


def rsa_key() -> tuple[Any, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem


def attacks() -> dict[str, str]:
    """Every forged token, by name. Each differs from the accepted control in one respect."""
    secret = signing_secret()
    kid = secret["kid"]
    good = claims()
    private, public_pem = rsa_key()
    valid = real(good)
    head, _payload, signature = valid.split(".")
    escalated = _b64(json.dumps(claims(sub="crew@example.com", role="admin")).encode())
    found: dict[str, str] = {
        # the signature and its algorithm
        "alg none, no signature": hand_signed({"alg": "none", "typ": "JWT", "kid": kid}, good, None),
        "alg None, no signature": hand_signed({"alg": "None", "typ": "JWT", "kid": kid}, good, None),
        "alg NONE, real signature kept": hand_signed({"alg": "NONE", "kid": kid}, good, None) + signature,
        "HS256 with a wrong key": jwt.encode(good, "a-different-key-of-enough-length-0123456789", headers={"kid": kid}),
        "HS384 with the real key": real(good, algorithm="HS384"),
        "HS512 with the real key": real(good, algorithm="HS512"),
        "RS256 with a generated RSA key": jwt.encode(good, private, algorithm="RS256", headers={"kid": kid}),
        "HS256 keyed with that RSA key's public PEM": hand_signed({"alg": "HS256", "kid": kid}, good, public_pem),
        "RS256 header, HMAC with the public PEM": hand_signed({"alg": "RS256", "kid": kid}, good, public_pem),
        "payload altered after signing": f"{head}.{escalated}.{signature}",
        "signature stripped": f"{head}.{_payload}.",
        # time
        "expired an hour ago": real(claims(iat=int(time.time()) - 7200, nbf=None, exp=int(time.time()) - 3600)),
        "not yet valid (nbf in an hour)": real(claims(nbf=int(time.time()) + 3600)),
        "issued in the future (iat in an hour)": real(claims(iat=int(time.time()) + 3600, nbf=None)),
        # who it is for
        "wrong issuer": real(claims(iss="someone-else")),
        "wrong audience": real(claims(aud="someone-else")),
        "audience list without ours": real(claims(aud=["someone-else", "another"])),
        "role that does not exist": real(claims(role="owner")),
        "subject not a string": real(claims(sub=12345)),
        "guest without its sail": real(claims(role="guest", guest_id="g1")),
        "guest without its record": real(claims(role="guest", sail_id="s1")),
        # the key id
        "unknown kid": real(good, kid="not-a-kid"),
        "no kid": real(good, kid=None),
        # not a token at all
        "garbage": "not-a-token",
        "two parts": f"{head}.{_payload}",
    }
    for name in ("iss", "aud", "sub", "role", "iat", "exp", "jti"):
        found[f"missing {name}"] = real({k: v for k, v in good.items() if k != name})
    return found


def test_control_a_token_made_with_the_real_key_and_claims_is_accepted(stack: LocalStack) -> None:
    assert status_of(stack, real(claims())) == 200
    assert status_of(stack, real(claims()), cookie=True) == 200


@pytest.fixture(scope="module")
def forged(stack: LocalStack) -> dict[str, str]:
    return attacks()


def test_every_forged_token_is_refused_as_bearer_and_as_cookie(stack: LocalStack, forged: dict[str, str]) -> None:
    # Given each forged token, presented the two ways a session can be presented
    accepted = {}
    for name, token in forged.items():
        for cookie in (False, True):
            status = status_of(stack, token, cookie=cookie)
            # Then every one is refused as "not signed in"
            if status != 401:
                accepted[f"{name} ({'cookie' if cookie else 'bearer'})"] = status
    assert accepted == {}
    assert len(forged) >= 30  # the README's figure


def test_forged_tokens_reach_no_admin_route(stack: LocalStack, forged: dict[str, str]) -> None:
    # An attack is refused on a route that does something, not only on /api/me
    for name, token in forged.items():
        answer = requests.post(
            f"{stack.url}/api/tasks",
            json={"title": f"forged by {name}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 401, name


def test_an_admin_token_is_refused_once_the_email_is_no_longer_an_admin(stack: LocalStack) -> None:
    # Given a crew member and an admin-role token for that email signed with the real key
    # (an admin removed from ADMIN_EMAILS keeps such a token until it expires)
    email = unique_email("demoted")
    sign_in(stack, email)
    token = real(claims(sub=email, role="admin"))
    # Then it does not act as an admin
    assert status_of(stack, token, "/api/tasks") in (401, 403)


def test_a_token_of_a_deleted_person_is_refused(stack: LocalStack) -> None:
    from quarterdeck.people import delete_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store

    # Given a signed-in crew member
    email = unique_email("leaver")
    session = sign_in(stack, email)
    assert session.get("/api/me").status_code == 200
    # When the person is deleted
    delete_person(DynamoPeopleRepository(Store()), email)
    # Then the still-unexpired token opens nothing
    answer = session.get("/api/me")
    assert answer.status_code == 401
    assert "no longer exists" in answer.json()["error"]["message"]
    assert session.get("/api/sails").status_code == 401


def test_a_guest_token_replayed_on_another_sail_is_refused(world: World) -> None:
    # Given a guest's session on its own sail
    guest = world.session("guest_here")
    assert guest.get(f"/api/sails/{world.sail_id}").status_code == 200
    # When it is presented for another sail and another guest's record
    other_sail = f"/api/sails/{world.other_sail_id}"
    other_record = f"{other_sail}/guests/{world.other_guest_id}"
    attempts = {
        "read the other sail": guest.get(other_sail),
        "read the other guest": guest.get(other_record),
        "sign the other guest's waiver": guest.post(f"{other_record}/waiver", {"full_name": "X", "accept": True}),
        "own guest id on the other sail": guest.get(f"{other_sail}/guests/{world.guest_id}"),
        "other guest id on its own sail": guest.get(f"/api/sails/{world.sail_id}/guests/{world.other_guest_id}"),
    }
    # Then every attempt is refused
    assert {name: a.status_code for name, a in attempts.items()} == dict.fromkeys(attempts, 403)


def test_a_real_guest_token_with_its_sail_changed_is_refused(world: World) -> None:
    # Given the claims of a real guest token, re-pointed at another sail without the key
    guest = world.session("guest_here")
    head, payload, signature = (guest.token or "").split(".")
    original = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    moved = _b64(json.dumps({**original, "sail_id": world.other_sail_id}).encode())
    # Then the altered token opens nothing
    assert status_of(world.stack, f"{head}.{moved}.{signature}", f"/api/sails/{world.other_sail_id}") == 401
