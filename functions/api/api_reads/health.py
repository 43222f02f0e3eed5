"""Liveness and the API's own description."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()


@router.get("/api/health", summary="Liveness check", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def openapi_document() -> Response[Any]:
    from api_handler import openapi_json  # the app owns the document; imported late to avoid a cycle

    return Response(status_code=200, content_type="application/json", body=openapi_json())
