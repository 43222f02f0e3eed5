"""ApiFunction: HTTP API events → two Powertools resolvers, each with a Router per area.

`reads` holds the GET routes whose only input is their path (api_reads: the sail page, who am
I, a guest's record...). There is nothing for pydantic to check, so it runs without
validation, and a cold start serving one never imports pydantic or the request models (about
a third of the function's cold start; docs/decisions.md). Every route that takes a body or a
query (api_routes) is on the validated resolver, built on the first request `reads` has no
route for. The OpenAPI document merges the two.
"""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
import json
from functools import lru_cache
from typing import Any

from api_errors import refused_at_the_door, register_error_handlers
from api_gate import request_refusal
from api_reads import auth as auth_reads
from api_reads import calendar as calendar_reads
from api_reads import guests as guest_reads
from api_reads import health
from api_reads import reports as report_reads
from api_reads import sails as sail_reads
from api_reads import tasks as task_reads
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from quarterdeck.observability import logger, metrics


class NotARead(BaseException):
    """Raised by `reads` for a request it has no route for, so the request leaves that resolver
    (whose error handlers answer every Exception) and goes to the validated one. Not an error."""


def _not_a_read(error: Exception) -> Response:
    raise NotARead


reads = APIGatewayHttpResolver()
register_error_handlers(reads, not_found=_not_a_read)
for area in (health, auth_reads, sail_reads, guest_reads, calendar_reads, task_reads, report_reads):
    reads.include_router(area.router)


coldstart.loaded()


@lru_cache(maxsize=1)
def validated_app() -> APIGatewayHttpResolver:
    """The routes that take a body or a query, with Powertools validation (pydantic)."""
    from api_errors import no_route
    from api_routes import auth, calendar, guests, nudges, reports, roles, sails, tasks

    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app, not_found=no_route)
    for area in (auth, sails, roles, guests, calendar, tasks, reports, nudges):
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
    for app in (reads, validated_app()):
        merged.add_schema(app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True))
    document = merged.get_openapi_json_schema()
    return json.dumps(with_error_responses(json.loads(document)), separators=(",", ":"))


@reads.get("/api/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def openapi_document() -> Response[Any]:
    # Registered here, where the two resolvers are: a route module importing the handler back
    # was an import cycle.
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with coldstart.first_request():
        if event.get("quarterdeck"):  # our own asynchronous invoke (login_link_mail), never API Gateway's
            return _own_event(event)
        refused = request_refusal(event)
        if refused is not None:
            answer = refused_at_the_door(event, refused)
        else:
            try:
                answer = reads.resolve(event, context)
            except NotARead:
                answer = validated_app().resolve(event, context)
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
