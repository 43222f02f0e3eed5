"""How every answer of the API is shaped: JSON bodies and the error envelope."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie


def json_response(status: int, body: Any, *, cookies: list[Cookie] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), default=str),
        headers={"Cache-Control": "no-store"},
        cookies=cookies or [],
    )


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return json_response(status, {"error": error})
