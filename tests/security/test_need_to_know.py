"""Need to know (issue 20): crew see guests' names and waiver status, never their contact
details; admins and the sail's captain do.

The routes are not listed here: every GET route of the live OpenAPI document that the
authorization matrix lets crew call is checked, so a new route is covered the day it is added."""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in
from tests.security.conftest import ADMIN_EMAIL, World, add_guest, unique_email
from tests.security.test_authorization_matrix import ROLES_OF, ROUTES, call, openapi_routes


def crew_get_routes(stack: LocalStack) -> list[str]:
    """Every GET route crew may call, from the live document and the matrix's table."""
    documented = openapi_routes(stack)
    return sorted(
        route
        for route, rule in ROUTES.items()
        if route in documented
        and route.startswith("GET ")
        and (rule.who == "-" or "crew" in ROLES_OF.get(rule.who, set()))
    )


@pytest.fixture(scope="module")
def guest_on_crews_sail(stack: LocalStack, world: World) -> dict[str, Any]:
    """A guest with an email and a phone on the sail where the world's crew member holds a slot."""
    admin = sign_in(stack, ADMIN_EMAIL)
    guest = add_guest(admin, world.sail_id, name="Private Guest", email=unique_email("private"))
    return guest


def test_the_crew_routes_are_derived_from_the_live_document(stack: LocalStack) -> None:
    routes = crew_get_routes(stack)
    assert "GET /api/sails/{sail_id}" in routes and "GET /api/sails/{sail_id}/guests" in routes
    assert all(route.startswith("GET ") for route in routes)


def test_crew_never_receive_a_guests_address_from_any_route(
    stack: LocalStack, world: World, guest_on_crews_sail: dict[str, Any]
) -> None:
    address = guest_on_crews_sail["email"]
    crew = world.session("crew")
    checked = []
    # When the crew member (holding crew-2 on the guest's sail) calls every GET route it may
    for route in crew_get_routes(stack):
        answer = call(crew, route, ROUTES[route], world)
        assert answer.status_code < 500, f"{route}: {answer.status_code}"
        # Then the guest's address is nowhere in the answer
        assert address.lower() not in answer.text.lower(), route
        checked.append(route)
    # And its own calendar feed does not carry it either
    feed = crew.post("/api/calendar/token").json()["url"]
    assert address.lower() not in ApiClient(stack.url).get(feed.split(stack.url, 1)[-1]).text.lower()
    # And the guest is still there by name and waiver status, what check-in needs
    manifest = crew.get(f"/api/sails/{world.sail_id}/guests").json()["guests"]
    mine = next(g for g in manifest if g["id"] == guest_on_crews_sail["id"])
    assert mine["name"] == "Private Guest" and mine["status"] == "on_hold" and "phone" not in mine
    assert len(checked) >= 5, checked


def test_the_sails_captain_and_an_admin_see_the_guests_address(
    stack: LocalStack, world: World, guest_on_crews_sail: dict[str, Any]
) -> None:
    address = guest_on_crews_sail["email"]
    # Given another crew member who holds the sail's captain slot
    captain = sign_in(stack, unique_email("captain"))
    claimed = captain.post(f"/api/sails/{world.sail_id}/roles/captain/claim")
    assert claimed.status_code == 200, claimed.text
    try:
        # Then the captain and an admin see the address on the sail page and the manifest
        for who in (captain, sign_in(stack, ADMIN_EMAIL)):
            for path in (f"/api/sails/{world.sail_id}", f"/api/sails/{world.sail_id}/guests"):
                assert address in who.get(path).text, path
        # And a crew member without the captain slot still does not
        assert address not in world.session("crew").get(f"/api/sails/{world.sail_id}").text
    finally:
        assert captain.post(f"/api/sails/{world.sail_id}/roles/captain/release").status_code == 200
