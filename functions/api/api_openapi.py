"""The error side of the OpenAPI document, stated once for every operation.

Powertools documents each route's success answer and a 422 shaped like its own validation
errors (`{"detail": [...]}`), which this API never sends. Every refusal here is the error
envelope of `api_responses.error_response`, whatever the route, so the document says so once:
422 (invalid input, naming the field), any other 4xx (not signed in, not allowed, not found,
conflict, too many requests) and 503 (a dependency failed; try again). Success answers stay
with each route (`status_code=` / `responses=` on its decorator).
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR,
    "type": "object",
    "description": "Every refusal and failure of the API has this shape.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Machine-readable reason, e.g. invalid_input, role_state."},
                "message": {"type": "string", "description": "What happened and what to do, in words."},
                "field": {"type": "string", "description": "The input the error is about, when there is one."},
                "retry_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "A 429's end of its window (UTC), when to try again; also Retry-After (seconds).",
                },
            },
        }
    },
}
ERROR_RESPONSES: dict[str, str] = {
    "422": "Invalid input: the message says what is wrong and `field` names the input.",
    "4XX": "Refused: not signed in (401), not allowed (403), not found (404), conflict (409), too many (429).",
    "503": "A dependency (database, email, storage) failed after retries: nothing half-done; please try again.",
}
_POWERTOOLS_VALIDATION = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def with_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the error envelope as the answer of every 422, other 4xx and 503."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR}"}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses[status] = {"description": description, "content": {"application/json": {"schema": reference}}}
    for name in _POWERTOOLS_VALIDATION:  # no longer referenced by any operation
        schemas.pop(name, None)
    return document
