"""ApiFunction: HTTP API events → one Powertools resolver with a Router per area."""

from __future__ import annotations

from quarterdeck import coldstart  # first: the garbage collector pauses while the rest loads

# isort: split
import json
from functools import lru_cache
from typing import Any

from api_errors import register_error_handlers
from api_openapi import with_error_responses
from api_routes import auth, calendar, guests, health, nudges, reports, roles, sails, tasks
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from quarterdeck.observability import logger, metrics

app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)
for area in (health, auth, sails, roles, guests, calendar, tasks, reports, nudges):
    app.include_router(area.router)


coldstart.loaded()


@lru_cache(maxsize=1)
def openapi_json() -> str:
    # Deferred: Powertools' OpenAPI models are some 40 pydantic classes, built on import, that
    # only this document needs (a cold start serving a page never does).
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    document = app.get_openapi_json_schema(
        title="Quarterdeck API",
        version="1.0.0",
        description="Ship Captain Crew, executive reports and the progress dashboard.",
        security_schemes={
            "session": APIKey.model_validate({"name": "qd_session", "in": APIKeyIn.cookie}),
            "bearer": HTTPBearer(bearerFormat="JWT"),
        },
    )
    return json.dumps(with_error_responses(json.loads(document)), separators=(",", ":"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with coldstart.first_request():
        return app.resolve(event, context)
