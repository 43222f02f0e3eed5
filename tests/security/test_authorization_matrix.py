"""Authorization matrix: every route of the live OpenAPI document x every kind of caller.

ONE table (ROUTES) says who may call each route, in DESIGN.md's notation:
  '-'   anyone (the route must answer something other than 401/403, even to the anonymous)
  'A'   admin
  'C'   crew or admin
  'C/G' signed in; a guest only on its own sail_id / guest_id
  'G'   the guest's own token, or an admin
Every (route, caller) pair is generated from it; a route in the OpenAPI document without an
entry here (or an entry for a route that no longer exists) fails `test_every_route_has_an_entry`.

Expected: a caller who is not allowed gets 401 (anonymous) or 403 (signed in); an allowed
caller gets neither (nor a 5xx): validation errors, 404 and 409 are the domain's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from tests.conftest import ApiClient
from tests.security.conftest import CALLERS, World, unique, unique_email

Body = Callable[[World], Any]


@dataclass(frozen=True)
class Rule:
    who: str
    body: Body | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    # Callers the access layer admits but the domain refuses on purpose (403), with the reason.
    refused_by_domain: Mapping[str, str] = field(default_factory=dict)


def _day(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


SIGNED_BY_ADMIN = {"admin": "only the guest signs its own waiver (decisions.md, Waivers)"}

# The one table. Destructive routes (delete an item, cancel the sail) come last, so the checks
# before them meet the sail as it was; access is decided before any of that matters anyway.
ROUTES: dict[str, Rule] = {
    "GET /api/health": Rule("-"),
    "POST /api/auth/login-link": Rule("-", body=lambda w: {"email": unique_email("nobody")}),
    "POST /api/auth/magic": Rule("-", body=lambda w: {"code": w.login_code()}),
    "POST /api/auth/logout": Rule("C/G", body=lambda w: {}),
    "GET /api/me": Rule("C/G"),
    "GET /api/sails": Rule("C", query={"from": _day(0), "to": _day(60)}),
    "POST /api/sails": Rule("A", body=lambda w: {"date": _day(30), "title": unique("Matrix new")}),
    "GET /api/sun": Rule("C", query={"date": "2026-06-21"}),
    "GET /api/sails/{sail_id}": Rule("C/G"),
    "PATCH /api/sails/{sail_id}": Rule("A", body=lambda w: {"title": unique("Matrix sail")}),
    "POST /api/sails/{sail_id}/checklists/{checklist}/items/{n}": Rule(
        "C", body=lambda w: {"done": True}, params={"checklist": "departure", "n": "1"}
    ),
    "PATCH /api/sails/{sail_id}/checklists/{checklist}/items/{n}": Rule(
        "A", body=lambda w: {"label": unique("Renamed item")}, params={"checklist": "departure", "n": "2"}
    ),
    "POST /api/sails/{sail_id}/checklists/{checklist}/items": Rule(
        "A", body=lambda w: {"label": unique("Added item")}, params={"checklist": "return"}
    ),
    "POST /api/sails/{sail_id}/roles/{slot}/invite": Rule(
        "A", body=lambda w: {"email": unique_email("invitee")}, params={"slot": "crew-1"}
    ),
    "POST /api/sails/{sail_id}/roles/{slot}/claim": Rule("C", body=lambda w: {}, params={"slot": "crew-1"}),
    # crew-2 is held by the world's crew member, so its release is never "someone else's slot".
    "POST /api/sails/{sail_id}/roles/{slot}/release": Rule("C", body=lambda w: {}, params={"slot": "crew-2"}),
    "POST /api/sails/{sail_id}/roles/{slot}/designate": Rule(
        "A", body=lambda w: {"email": unique_email("designee")}, params={"slot": "crew-3"}
    ),
    "GET /api/sails/{sail_id}/guests": Rule("C"),
    "POST /api/sails/{sail_id}/guests": Rule("A", body=lambda w: {"name": "Matrix Guest", "email": unique_email("g")}),
    "POST /api/sails/{sail_id}/guests/{guest_id}/resend": Rule("A", body=lambda w: {}),
    "GET /api/sails/{sail_id}/guests/{guest_id}": Rule("G"),
    "GET /api/waiver": Rule("G"),
    # Unsigned in the world: the copy is a 404 to those let through (the access is what is tested).
    "GET /api/sails/{sail_id}/guests/{guest_id}/waiver.txt": Rule("G"),
    "GET /api/sails/{sail_id}/guests/{guest_id}/sail.ics": Rule("G"),
    "POST /api/sails/{sail_id}/guest-link": Rule("-", body=lambda w: {"email": unique_email("nobody")}),
    "GET /api/sails/{sail_id}/manifest.csv": Rule(
        "C", refused_by_domain={"crew": "only an admin or the sail's captain downloads the manifest (decisions.md)"}
    ),
    # A stale `based_on`: the admin is let through and told 409, nothing is published.
    "POST /api/waiver": Rule("A", body=lambda w: {"text": "Matrix waiver", "based_on": "matrix"}),
    "PATCH /api/sails/{sail_id}/guests/{guest_id}": Rule("A", body=lambda w: {"name": "Matrix Guest"}),
    "POST /api/sails/{sail_id}/guests/{guest_id}/waiver": Rule(
        "G", body=lambda w: {"full_name": "Ada Guest", "accept": True}, refused_by_domain=SIGNED_BY_ADMIN
    ),
    "GET /api/calendar/token": Rule("C/G"),
    "POST /api/calendar/token": Rule("C/G", body=lambda w: {}),
    "DELETE /api/calendar/token": Rule("C/G"),
    "GET /api/calendar/{feed}": Rule("-"),
    "GET /api/tasks": Rule("A"),
    "POST /api/tasks": Rule("A", body=lambda w: {"title": unique("Matrix task")}),
    "GET /api/tasks/{task_id}": Rule("A"),
    "PATCH /api/tasks/{task_id}": Rule("A", body=lambda w: {"version": 1, "title": unique("Matrix task")}),
    "GET /api/portfolio": Rule("A"),
    "GET /api/portfolio/versions": Rule("A"),
    "GET /api/portfolio/versions/{n}": Rule("A", params={"n": "1"}),
    "GET /api/portfolio/file": Rule("A"),
    # Refused by validation (never saved): access is decided before.
    "PUT /api/portfolio": Rule("A", body=lambda w: {"version": 0, "document": {"meta": {}}}),
    "PUT /api/portfolio/file": Rule("A", body=lambda w: {"version": 0, "text": "schema_version = 1"}),
    "POST /api/portfolio/versions/{n}/restore": Rule("A", body=lambda w: {"version": 0}, params={"n": "999999"}),
    "GET /api/reports": Rule("A"),
    "GET /api/reports/archive": Rule("A", query={"kind": "cfo", "from": "2026-01-01", "to": "2026-12-31"}),
    "GET /api/reports/archive/{archive_id}": Rule("A", params={"archive_id": "matrixnotarchived"}),
    "POST /api/reports/{kind}/preview": Rule("A", body=lambda w: {}, params={"kind": "cfo"}),
    # A past period: the send is real (outbox) but never collides with a current run.
    "POST /api/reports/{kind}/send": Rule("A", body=lambda w: {"period": "2001-01"}, params={"kind": "rental"}),
    "POST /api/nudges/unsubscribe": Rule("-", body=lambda w: {"token": w.unsubscribe_token()}),
    "GET /api/people": Rule("A"),
    "POST /api/people": Rule("A", body=lambda w: {"email": unique_email("roster"), "role": "crew"}),
    "PATCH /api/people/{email}": Rule("A", body=lambda w: {"name": "Matrix"}, params={"email": "nobody@example.com"}),
    "GET /api/me/settings": Rule("C/G"),
    "PATCH /api/me": Rule("C/G", body=lambda w: {"nudges": {"day_of": True}}),
    "PATCH /api/sails/{sail_id}/series": Rule("A", body=lambda w: {"notes": unique("Matrix series")}),
    "DELETE /api/sails/{sail_id}/checklists/{checklist}/items/{n}": Rule(
        "A", params={"checklist": "departure", "n": "3"}
    ),
    "DELETE /api/sails/{sail_id}/guests/{guest_id}": Rule("A"),
    "POST /api/sails/{sail_id}/cancel": Rule("A", body=lambda w: {"reason": "Matrix"}),
    "POST /api/sails/{sail_id}/series/cancel": Rule("A", body=lambda w: {"reason": "Matrix"}),
    "DELETE /api/people/{email}": Rule("A", params={"email": "nobody@example.com"}),
    # Ends the caller's earlier sessions: every later check signs in afresh.
    "POST /api/me/sign-out-everywhere": Rule("C/G", body=lambda w: {}),
    "DELETE /api/tasks/{task_id}": Rule("A"),
}

ROLES_OF = {"A": {"admin"}, "C": {"admin", "crew"}, "C/G": {"admin", "crew", "guest"}, "G": {"admin", "guest"}}


def expected_refusal(route: str, rule: Rule, who: str) -> int | None:
    """401/403 if `who` must be refused, None if it must be let through."""
    if rule.who == "-":
        return None
    if who == "anonymous":
        return 401
    role = "guest" if who.startswith("guest") else who
    if role not in ROLES_OF[rule.who]:
        return 403
    path = route.split(" ", 1)[1]
    if who == "guest_other" and ("{sail_id}" in path or "{guest_id}" in path):
        return 403  # a guest's token reaches only its own sail and record
    if who in rule.refused_by_domain:
        return 403
    return None


def fill(path: str, rule: Rule, world: World) -> str:
    values = {
        "sail_id": world.sail_id,
        "guest_id": world.guest_id,
        "task_id": world.task_id,
        "feed": world.feed,
        **rule.params,
    }

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise AssertionError(f"{path}: no value for path parameter {name!r}; add it to the table's params")
        return values[name]

    return re.sub(r"\{(\w+)\}", value, path)


def call(client: ApiClient, route: str, rule: Rule, world: World) -> Any:
    method, path = route.split(" ", 1)
    target = fill(path, rule, world)
    if rule.query:
        target += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
    body = rule.body(world) if rule.body else None
    return client.request(method, target, json=body)


def openapi_routes(stack: LocalStack) -> set[str]:
    import requests

    document = requests.get(f"{stack.url}/api/openapi.json", timeout=30).json()
    methods = {"get", "post", "put", "patch", "delete", "head", "options"}
    return {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item if m in methods}


def test_every_route_has_an_entry(stack: LocalStack) -> None:
    # Given the live OpenAPI document of the local stack
    documented = openapi_routes(stack)
    # Then the table names exactly its routes: a new route must say who may call it
    assert documented - set(ROUTES) == set(), "routes without an entry in ROUTES"
    assert set(ROUTES) - documented == set(), "entries in ROUTES for routes that do not exist"


def test_the_table_uses_only_the_contract_notation() -> None:
    for route, rule in ROUTES.items():
        assert rule.who in {"-", *ROLES_OF}, route
        assert set(rule.refused_by_domain) <= set(CALLERS), route


MATRIX = [(route, who) for route in ROUTES for who in CALLERS]


@pytest.mark.parametrize(("route", "who"), MATRIX, ids=[f"{r} as {w}" for r, w in MATRIX])
def test_route_answers_each_caller_as_the_table_says(world: World, route: str, who: str) -> None:
    rule = ROUTES[route]
    # Given a fresh session of this kind of caller
    client = world.session(who)
    # When it calls the route with a body that passes validation
    answer = call(client, route, rule, world)
    # Then it is refused exactly when the table says so, with the right status
    refusal = expected_refusal(route, rule, who)
    if refusal is not None:
        assert answer.status_code == refusal, f"{route} as {who}: {answer.status_code} {answer.text[:300]}"
        assert answer.json()["error"]["code"] in {"unauthenticated", "forbidden"}, answer.text
    else:
        assert answer.status_code not in (401, 403), f"{route} as {who}: {answer.status_code} {answer.text[:300]}"
        assert answer.status_code < 500, f"{route} as {who}: {answer.status_code} {answer.text[:300]}"


def test_the_readme_states_the_matrix_as_it_is() -> None:
    # Given the README's security section, which quotes this suite's figures
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    # Then its route count, caller count and number of checks are this table's (a route added
    # to ROUTES without the README following fails here)
    assert f"every route ({len(ROUTES)}) as each of {len(CALLERS)} callers**" in readme
    assert f"**{len(MATRIX)} checks**" in readme


def test_a_guest_sees_only_itself_and_no_one_elses_address(stack: LocalStack, world: World) -> None:
    from tests.conftest import sign_in
    from tests.security.conftest import ADMIN_EMAIL, add_guest, guest_session, new_sail

    # Given a sail with two guests, a crew member holding a slot and a ticked checklist item
    admin = sign_in(stack, ADMIN_EMAIL)
    sail = new_sail(admin, unique("Private sail"))
    mine = add_guest(admin, sail["id"], name="Guest Mine", email=unique_email("mine"))
    theirs = add_guest(admin, sail["id"], name="Guest Theirs", email=unique_email("theirs"))
    crew = world.session("crew")
    assert crew.post(f"/api/sails/{sail['id']}/roles/crew-1/claim").status_code == 200
    assert crew.post(f"/api/sails/{sail['id']}/checklists/departure/items/1", {"done": True}).status_code == 200
    # When the first guest reads the sail
    guest = guest_session(stack, mine["email"], sail["id"], mine["id"])
    answer = guest.get(f"/api/sails/{sail['id']}")
    # Then it sees itself only: not the other guest, the crew member, nor the admin who created it
    assert answer.status_code == 200, answer.text
    assert [g["id"] for g in answer.json()["guests"]] == [mine["id"]]
    for address in (theirs["email"], world.crew_email, ADMIN_EMAIL):
        assert address not in answer.text, address
    assert "history" not in answer.json()
