"""Domain errors. The API maps each family to one status code in one place (functions/api/api_errors.py)."""

from __future__ import annotations

from typing import Any


class QuarterdeckError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInputError(QuarterdeckError):
    """The caller sent something we cannot accept (400/422)."""

    code = "invalid_input"


class AuthenticationError(QuarterdeckError):
    """No valid session or code (401)."""

    code = "unauthenticated"


class ForbiddenError(QuarterdeckError):
    """Signed in, but not allowed to do this (403)."""

    code = "forbidden"


class NotFoundError(QuarterdeckError):
    code = "not_found"


class ConflictError(QuarterdeckError):
    """The current state does not allow this change (409)."""

    code = "conflict"


class RateLimitedError(QuarterdeckError):
    code = "rate_limited"


class UnsupportedMediaTypeError(QuarterdeckError):
    """A request body in a format other than JSON (415)."""

    code = "unsupported_media_type"


class ServiceUnavailableError(QuarterdeckError):
    """A dependency (DynamoDB, SES, ...) failed after retries (503)."""

    code = "service_unavailable"


class ConfigurationError(QuarterdeckError):
    """The deployment is misconfigured (e.g. sender not verified)."""

    code = "configuration"


class CodeRejectedError(AuthenticationError):
    """A magic-link code is unknown, used, expired or for another purpose."""

    code = "code_rejected"


class PersonNotFoundError(NotFoundError):
    code = "person_not_found"


class SailNotFoundError(NotFoundError):
    code = "sail_not_found"


class GuestNotFoundError(NotFoundError):
    code = "guest_not_found"


class TaskNotFoundError(NotFoundError):
    code = "task_not_found"


class RoleStateError(ConflictError):
    """A role transition outside the state machine; the message names the current state."""

    code = "role_state"


class StaleVersionError(ConflictError):
    """An update carried a version someone else has already changed."""

    code = "stale_version"


class RunHeldError(Exception):
    """A report run could not be claimed: it was sent already, or another attempt holds its
    lease. `current` is the run as it is (when the table said). Not a QuarterdeckError: the
    dispatch skips that recipient and says why (quarterdeck.reports.runs.RunNotClaimed)."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("the run is held")
        self.current = current


class RunTakenOverError(Exception):
    """A report run's record lost its condition: its lease expired and another attempt took it over."""
