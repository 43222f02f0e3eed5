"""Sign-in through magic links against the local stack (moto server, template resources)."""

from __future__ import annotations

from local.stack import LocalStack
from tests.conftest import ApiClient, code_of, last_link_to, outbox


def test_health_answers_ok(anonymous: ApiClient) -> None:
    # When anyone asks for the health route
    answer = anonymous.get("/api/health")
    # Then it is up
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_openapi_document_lists_the_routes(anonymous: ApiClient) -> None:
    document = anonymous.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for path in ("/api/health", "/api/auth/login-link", "/api/auth/magic", "/api/auth/logout", "/api/me"):
        assert path in document["paths"], path


def test_login_link_signs_a_known_person_in_once(stack: LocalStack, anonymous: ApiClient) -> None:
    # Given a known crew member asks for a login link
    assert anonymous.post("/api/auth/login-link", {"email": "deckhand@example.com"}).status_code == 202
    link = last_link_to(stack, "deckhand@example.com")
    # When the link's code is posted
    first = anonymous.post("/api/auth/magic", {"code": code_of(link)})
    # Then a session opens, as a cookie and in the body
    assert first.status_code == 200, first.text
    assert first.json()["email"] == "deckhand@example.com"
    assert first.json()["role"] == "crew"
    cookie = first.headers["Set-Cookie"]
    assert "qd_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    me = ApiClient(stack.url)
    me.token = first.cookies["qd_session"]
    assert me.get("/api/me").json()["email"] == "deckhand@example.com"
    # And the same link a second time is refused, saying why
    again = anonymous.post("/api/auth/magic", {"code": code_of(link)})
    assert again.status_code == 401
    assert "already been used" in again.json()["error"]["message"]


def test_unknown_email_gets_the_same_answer_and_no_mail(stack: LocalStack, anonymous: ApiClient) -> None:
    before = len(outbox(stack))
    known = anonymous.post("/api/auth/login-link", {"email": "captain@example.com"})
    unknown = anonymous.post("/api/auth/login-link", {"email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    sent = outbox(stack)[before:]
    assert [m["to"] for m in sent] == [["captain@example.com"]]


def test_login_links_are_rate_limited_per_email(stack: LocalStack) -> None:
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store
    from tests.security.conftest import client_from, fresh_loopback

    # Given a person who asks for many links in one hour (from a network of their own)
    ensure_person(DynamoPeopleRepository(Store()), "eager@example.com", "crew")
    eager = client_from(stack, fresh_loopback())
    before = len(outbox(stack))
    answers = [eager.post("/api/auth/login-link", {"email": "eager@example.com"}) for _ in range(8)]
    # Then the allowed number are accepted and mailed, and the rest refused honestly: 429,
    # Retry-After, when to try again and that the newest link still works
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
    limited = answers[-1]
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    assert limited.json()["error"]["retry_at"].endswith(":00:00Z")
    assert "newest one already in your inbox still works" in limited.json()["error"]["message"]
    sent = [m for m in outbox(stack)[before:] if m["to"] == ["eager@example.com"]]
    assert len(sent) == 5


def _timed_requests(stack: LocalStack, client: ApiClient, email: str) -> tuple[list[tuple[int, str]], list[float]]:
    import time

    answers, times = [], []
    for _ in range(10):
        started = time.perf_counter()
        answer = client.post("/api/auth/login-link", {"email": email})
        times.append(time.perf_counter() - started)
        answers.append((answer.status_code, answer.text))
    return answers, times


def test_known_and_unknown_addresses_get_the_same_answers_in_the_same_time(stack: LocalStack) -> None:
    import statistics

    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store
    from tests.security.conftest import client_from, fresh_loopback, unique_email

    # Given a member and an address nobody has, asked for from one network each
    known, unknown = unique_email("known"), unique_email("unknown")
    ensure_person(DynamoPeopleRepository(Store()), known, "crew")
    outbox(stack)  # nothing left over from earlier tests is still being mailed
    # When ten sign-in requests are made for each
    known_answers, known_times = _timed_requests(stack, client_from(stack, fresh_loopback()), known)
    unknown_answers, unknown_times = _timed_requests(stack, client_from(stack, fresh_loopback()), unknown)
    # Then the statuses and bodies are the same, in the same order
    assert [s for s, _ in known_answers] == [202] * 5 + [429] * 5
    assert known_answers == unknown_answers
    # And the answers take the same time (the mail goes out after the answer)
    difference = abs(statistics.median(known_times) - statistics.median(unknown_times))
    assert difference < 0.050, (known_times, unknown_times)
    # And only the member was mailed
    mailed = {address for m in outbox(stack) for address in m["to"]}
    assert known in mailed and unknown not in mailed


def test_one_source_cannot_lock_a_member_out(stack: LocalStack) -> None:
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store
    from tests.security.conftest import client_from, fresh_loopback, unique_email

    member = unique_email("member")
    ensure_person(DynamoPeopleRepository(Store()), member, "crew")
    # Given an attacker's network that asked for the member's links until refused
    attacker = client_from(stack, fresh_loopback())
    statuses = [attacker.post("/api/auth/login-link", {"email": member}).status_code for _ in range(7)]
    assert statuses[-1] == 429
    # When the member asks from their own network
    answer = client_from(stack, fresh_loopback()).post("/api/auth/login-link", {"email": member})
    # Then they get their link
    assert answer.status_code == 202
    assert last_link_to(stack, member)


def test_malformed_email_is_refused_with_the_field(anonymous: ApiClient) -> None:
    answer = anonymous.post("/api/auth/login-link", {"email": "not an email"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "email"
    missing = anonymous.post("/api/auth/login-link", {})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "email"


def test_unknown_code_is_refused(anonymous: ApiClient) -> None:
    answer = anonymous.post("/api/auth/magic", {"code": "x" * 43})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "code_rejected"


def test_logout_ends_the_session(stack: LocalStack) -> None:
    from tests.conftest import sign_in

    session = sign_in(stack, "captain@example.com")
    assert session.get("/api/me").status_code == 200
    assert session.post("/api/auth/logout").status_code == 200
    assert session.get("/api/me").status_code == 401
