"""What a request must be before any route, validation or pydantic sees it.

Checked once at the door, for every route: no path segment is longer than any id of ours
(else 404: a 2,100-character sail id reached DynamoDB's key-size limit as a 500); a body is
JSON (`application/json`, else 415), is nested no deeper than any of our requests needs (else
422, instead of a RecursionError deep in a parser), and holds only text that can be stored and
mailed: no lone surrogates and no control characters other than tab and line breaks (else 422
naming the field). Found by attacking the local stack: each of these was a 500 or a 503 further in.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from quarterdeck.config import get_settings
from quarterdeck.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    QuarterdeckError,
    UnsupportedMediaTypeError,
)
from quarterdeck.validation import STRAY_CONTROL

MAX_SEGMENT = 128  # ids are 16 to 64 characters; a slot, list or kind name is shorter still

MAX_DEPTH = 16  # our deepest body is an object of lists of objects; 16 leaves room, 1,000 does not
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A malformed magic code must count as a wrong guess (sessions.redeem_code), so its text is not
# refused here, where nothing would count it.
_TEXT_JUDGED_BY_ROUTE = frozenset({"/api/auth/magic"})


ORIGIN_HEADER = "x-quarterdeck-origin"
ORIGIN_SECRET_MAX_AGE = 300


def request_refusal(event: dict[str, Any]) -> QuarterdeckError | None:
    """Why this request is refused at the door, or None if it may go on to its route."""
    if not _came_through_cloudfront(event):
        return ForbiddenError("Use the app's own address.", code="direct_api_call")
    path = str(event.get("rawPath") or event.get("requestContext", {}).get("http", {}).get("path", ""))
    if any(len(segment) > MAX_SEGMENT for segment in path.split("/")):
        return NotFoundError("There is no such page or record.", field="path")
    return _body_refusal(event, path)


def _came_through_cloudfront(event: dict[str, Any]) -> bool:
    """In AWS (`ORIGIN_SECRET_ID` set), only CloudFront knows the origin header's value; a call
    to the execute-api address lacks it. The local stack has no CloudFront and sets no secret."""
    secret_id = get_settings().origin_secret_id
    if not secret_id:
        return True
    from quarterdeck.secret_values import secret_cache

    expected = str(secret_cache.json_secret(secret_id, max_age=ORIGIN_SECRET_MAX_AGE).get("key", ""))
    sent = next((str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == ORIGIN_HEADER), "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _body_refusal(event: dict[str, Any], path: str) -> QuarterdeckError | None:
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
    raw = event.get("body")
    if method not in _WRITES or not raw:
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return UnsupportedMediaTypeError("Send the request body as JSON (application/json).", field="content-type")
    try:
        text = base64.b64decode(raw).decode("utf-8") if event.get("isBase64Encoded") else str(raw)
        document = json.loads(text)
    except RecursionError:
        return InvalidInputError("The request body is nested too deeply.", field="body")
    except (ValueError, binascii.Error):
        return InvalidInputError("The request body is not valid JSON.", field="body")
    return _content_refusal(document, judge_text=path not in _TEXT_JUDGED_BY_ROUTE)


def _content_refusal(document: Any, *, judge_text: bool) -> InvalidInputError | None:
    """Walks the document without recursion (its depth is what is being checked)."""
    pending: list[tuple[Any, str, int]] = [(document, "body", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            return InvalidInputError("The request body is nested too deeply.", field="body")
        if isinstance(value, dict):
            for key, inner in value.items():
                refused = _text_refusal(key, path) if judge_text else None
                if refused:
                    return refused
                pending.append((inner, key if path == "body" else f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            pending.extend((inner, f"{path}[{n}]", depth + 1) for n, inner in enumerate(value))
        elif isinstance(value, str) and judge_text:
            refused = _text_refusal(value, path)
            if refused:
                return refused
    return None


def _text_refusal(text: str, field: str) -> InvalidInputError | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return InvalidInputError(f"The {field} holds an invalid character (a lone surrogate).", field=field)
    if STRAY_CONTROL.search(text):
        return InvalidInputError(f"The {field} holds a control character.", field=field)
    return None
