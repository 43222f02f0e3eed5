"""How every answer of the API is shaped: JSON bodies and the error envelope."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.shared.cookies import Cookie


def json_response(status: int, body: Any, *, cookies: list[Cookie] | None = None) -> Response:
    from aws_lambda_powertools.event_handler import Response  # the reads' table (api_light) never loads it

    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), default=str),
        cookies=cookies or [],
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The error envelope every refusal carries: `{"error": {"code", "message", "field"?}}`."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    return json_response(status, error_body(code, message, field))
