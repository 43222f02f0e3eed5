"""The one place domain errors become HTTP answers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api_access import cross_site_refusal
from api_responses import error_body, error_response

from quarterdeck.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    QuarterdeckError,
    RateLimitedError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
)
from quarterdeck.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

STATUS_BY_ERROR: tuple[tuple[type[QuarterdeckError], int], ...] = (
    (InvalidInputError, 422),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RateLimitedError, 429),
    (UnsupportedMediaTypeError, 415),
    (ServiceUnavailableError, 503),
    (ConfigurationError, 503),
)


def status_for(error: QuarterdeckError) -> int:
    for family, status in STATUS_BY_ERROR:
        if isinstance(error, family):
            return status
    return 500


def _field_of(location: tuple[object, ...]) -> str | None:
    """('body', 'crew_slots') -> 'crew_slots'; ('query', 'from') -> 'from'."""
    names = [str(part) for part in location[1:] if not isinstance(part, int)]
    return ".".join(names) or (str(location[0]) if location else None)


def refusal(error: QuarterdeckError) -> int:
    """Log a domain error the way every table does and return its status."""
    status = status_for(error)
    if status >= 500:
        logger.exception("dependency failure", extra={"code": error.code})
    else:
        logger.info("request refused", extra={"status": status, "code": error.code, "field": error.field})
    return status


def unexpected_error() -> int:
    """Log the exception being handled (a bug, or a failure nothing mapped) and return 500."""
    logger.exception("unhandled error")
    return 500


def error_payload(error: Exception) -> dict[str, Any]:
    """What a read route raised, answered as the validated resolver's handlers answer it
    (api_light's table serves the reads without Powertools)."""
    from api_light import payload

    if isinstance(error, QuarterdeckError):
        status = refusal(error)
        body = error_body(error.code, error.message, error.field)
    else:
        status = unexpected_error()
        body = error_body("internal", "Something went wrong on our side. Please try again.")
    return payload(status, json.dumps(body, separators=(",", ":"), default=str), {"Content-Type": "application/json"})


def no_route(error: Exception) -> Response:
    return error_response(404, "no_route", "There is no such API route.")


def rate_limited_response(error: RateLimitedError) -> Response:
    """429 with `Retry-After` (whole seconds until the window ends) and `retry_at` in the body."""
    from datetime import UTC, datetime

    from aws_lambda_powertools.event_handler import Response

    retry_at = error.retry_at.astimezone(UTC)
    seconds = max(1, math.ceil((retry_at - datetime.now(UTC)).total_seconds()))
    body = error_body(error.code, error.message, error.field)
    body["error"]["retry_at"] = retry_at.isoformat().replace("+00:00", "Z")
    return Response(
        status_code=429,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":")),
        headers={"Retry-After": str(seconds)},
    )


def register_error_handlers(app: APIGatewayHttpResolver, *, not_found: Callable[[Exception], Response]) -> None:
    """The error handlers of one resolver; `not_found` answers a request it has no route for.
    (Powertools loads with the first resolver: the reads' own table (api_light) needs none.)"""
    from aws_lambda_powertools.event_handler.openapi.exceptions import (
        RequestUnsupportedContentType,
        RequestValidationError,
    )

    @app.exception_handler(QuarterdeckError)
    def domain_error(error: QuarterdeckError) -> Response:
        status = refusal(error)
        if isinstance(error, RateLimitedError) and error.retry_at is not None:
            return rate_limited_response(error)
        return error_response(status, error.code, error.message, error.field)

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(error: RequestUnsupportedContentType) -> Response:
        """A body that is neither JSON nor a form (text/plain...): 415, or 403 for a cookie
        session from another site (it was a 500, found by the CSRF suite)."""
        refused = cross_site_refusal(app.current_event)
        if refused is not None:
            return domain_error(refused)
        logger.info("request refused", extra={"status": 415, "field": "content-type"})
        return error_response(
            415, "unsupported_media_type", "Send the request body as JSON (application/json).", "content-type"
        )

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        refused = cross_site_refusal(app.current_event)
        if refused is not None:  # validation runs before the access check; CSRF answers first
            return domain_error(refused)
        details = error.errors()
        first = details[0] if details else {}
        location = tuple(first.get("loc", ()))
        field = _field_of(location)
        if first.get("type") == "json_invalid":
            message, field = "The request body is not valid JSON.", "body"
        elif first.get("type") == "missing":
            message = f"{field} is required."
        else:
            message = f"{field}: {first.get('msg', 'invalid value')}."
        logger.info("request refused", extra={"status": 422, "field": field})
        return error_response(422, "invalid_input", message, field)

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        return error_response(unexpected_error(), "internal", "Something went wrong on our side. Please try again.")

    @app.exception_handler(UnicodeDecodeError)
    def undecodable_body(error: UnicodeDecodeError) -> Response:
        """A body that is not UTF-8 reaches us base64-encoded, and Powertools fails to decode it
        before validation can refuse it (found by fuzzing: it was a 500)."""
        if app.current_event.is_base64_encoded:
            logger.info("request refused", extra={"status": 422, "field": "body"})
            return error_response(422, "invalid_input", "The request body is not valid JSON.", "body")
        return unexpected(error)

    app.not_found(not_found)


def refused_at_the_door(event: dict[str, Any], error: QuarterdeckError) -> dict[str, Any]:
    """The HTTP API answer for a request refused before routing (api_gate). A cookie-session write
    from another site is told 403 first, as everywhere else (the CSRF suite holds us to it)."""
    from api_light import RequestView

    error = cross_site_refusal(RequestView(event)) or error
    status = status_for(error)
    logger.info("request refused", extra={"status": status, "code": error.code, "field": error.field})
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error_body(error.code, error.message, error.field), separators=(",", ":")),
        "isBase64Encoded": False,
        "cookies": [],
    }
