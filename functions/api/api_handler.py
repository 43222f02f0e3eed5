"""ApiFunction: HTTP API events → the reads' own table, else a Powertools resolver with a
Router per area.

`reads` holds the GET routes whose only input is their path (api_reads: the sail page, who am
I, a guest's record...). There is nothing for pydantic to check, and nothing for Powertools'
event handler to do beyond a path match, the access middleware and a JSON body: they are served
by `api_light`'s table, and a cold start serving one loads neither pydantic nor the event
handler (together about half of the function's own cold start; docs/decisions.md). Every
route that takes a body or a query (api_routes) is on the validated resolver, built on the
first request `reads` has no route for. The OpenAPI document merges the two.
"""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
import json
import threading
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from api_gate import request_refusal
from api_light import Answer, ReadTable, path_of
from aws_lambda_powertools.logging import correlation_paths

from quarterdeck.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext


def _error_payload(error: Exception) -> dict[str, Any]:
    from api_errors import error_payload  # a read that answers loads no error handling

    return error_payload(error)


reads = ReadTable(on_error=_error_payload)
_included: set[str] = set()
_including = threading.Lock()


def areas_for(path: str) -> tuple[ModuleType, ...]:
    """The read areas whose routes a path can be for: only they are imported, so a sail page
    compiles and loads neither calendar feeds nor tasks nor reports (the function ships as
    source: every module it imports is compiled at a cold start)."""
    if path.startswith("/api/sails/"):
        if "/" not in path.removeprefix("/api/sails/"):  # the sail page itself: the first page after a magic link
            from api_reads import sails

            return (sails,)
        from api_reads import guest_page, guests

        return (guests, guest_page)
    if path == "/api/me":
        from api_reads import auth

        return (auth,)
    if path in ("/api/people", "/api/me/settings"):
        from api_reads import people

        return (people,)
    if path.startswith("/api/portfolio"):
        from api_reads import portfolio

        return (portfolio,)
    if path == "/api/waiver":
        from api_reads import guests

        return (guests,)
    if path.startswith("/api/calendar/"):
        from api_reads import calendar

        return (calendar,)
    if path.startswith("/api/tasks/"):
        from api_reads import tasks

        return (tasks,)
    if path == "/api/reports":
        from api_reads import reports

        return (reports,)
    if path.startswith("/api/reports/archive/"):
        from api_reads import report_archive

        return (report_archive,)
    if path == "/api/health":
        from api_reads import health

        return (health,)
    return ()


def all_areas() -> tuple[ModuleType, ...]:
    from api_reads import (
        auth,
        calendar,
        guest_page,
        guests,
        health,
        people,
        portfolio,
        report_archive,
        reports,
        sails,
        tasks,
    )

    return (health, auth, sails, guests, guest_page, calendar, tasks, reports, report_archive, people, portfolio)


def include(areas: tuple[ModuleType, ...]) -> None:
    """Add these areas' routes to `reads`, once each."""
    with _including:
        for area in areas:
            if area.__name__ not in _included:
                _included.add(area.__name__)
                reads.include(area.router)


coldstart.loaded()


@lru_cache(maxsize=1)
def validated_app() -> APIGatewayHttpResolver:
    """The routes that take a body or a query, with Powertools validation (pydantic)."""
    from api_errors import no_route, register_error_handlers
    from api_routes import (
        auth,
        calendar,
        guest_page,
        guests,
        nudges,
        people,
        portfolio,
        report_archive,
        reports,
        roles,
        sails,
        tasks,
    )
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app, not_found=no_route)
    for area in (
        auth,
        sails,
        roles,
        guests,
        guest_page,
        calendar,
        tasks,
        reports,
        report_archive,
        nudges,
        people,
        portfolio,
    ):
        app.include_router(area.router)
    return app


@lru_cache(maxsize=1)
def openapi_json() -> str:
    # Deferred: Powertools' OpenAPI models are some 40 pydantic classes, built on import, that
    # only this document needs (a cold start serving a page never does).
    from api_openapi import with_error_responses
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    merged = OpenAPIMerge(
        title="Quarterdeck API",
        version="1.0.0",
        description="Ship Captain Crew, executive reports and the progress dashboard.",
        security_schemes={
            "session": APIKey.model_validate({"name": "qd_session", "in": APIKeyIn.cookie}),
            "bearer": HTTPBearer(bearerFormat="JWT"),
        },
        on_conflict="error",
    )
    for app in (reads_app(), validated_app()):
        merged.add_schema(app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True))
    document = merged.get_openapi_json_schema()
    return json.dumps(with_error_responses(json.loads(document)), separators=(",", ":"))


@lru_cache(maxsize=1)
def reads_app() -> APIGatewayHttpResolver:
    """The reads on a Powertools resolver, for the OpenAPI document only (never serves; the
    document's own route is not in it)."""
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    app = APIGatewayHttpResolver()
    for area in all_areas():  # in this order whatever has been served (the document's order)
        area.router.mirror(app)
    return app


@reads.get("/api/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def openapi_document() -> Answer:
    # Registered here, where the two tables are: a route module importing the handler back
    # was an import cycle.
    return Answer(openapi_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with coldstart.first_request():
        if event.get("quarterdeck"):  # our own asynchronous invoke (login_link_mail), never API Gateway's
            return _own_event(event)
        refused = request_refusal(event)
        if refused is not None:
            from api_errors import refused_at_the_door

            answer = refused_at_the_door(event, refused)
        else:
            include(areas_for(path_of(event)))
            read = reads.serve(event)
            answer = read if read is not None else validated_app().resolve(event, context)
        return never_stored(answer)


def _own_event(event: dict[str, Any]) -> dict[str, Any]:
    """The login link handed over by POST /api/auth/login-link, mailed after its answer."""
    from api_dependencies import mailer, people_repository, sign_in_repository

    from quarterdeck.login_link_mail import is_login_link_event
    from quarterdeck.sessions import send_login_link

    if not is_login_link_event(event):
        logger.error("unknown own event", extra={"kind": str(event.get("quarterdeck"))[:40]})
        return {"sent": False}
    sent = send_login_link(people_repository(), sign_in_repository(), mailer(), str(event["email"]))
    return {"sent": sent}


def never_stored(answer: dict[str, Any]) -> dict[str, Any]:
    """Every API answer is someone's own (a sail page, who am I, a manifest): no browser, proxy
    or edge cache keeps it, unless a route chose otherwise."""
    headers = answer.setdefault("headers", {})
    if not any(name.lower() == "cache-control" for name in headers):
        headers["Cache-Control"] = "no-store"
    return answer
