"""Domain errors. The API maps each family to one status code in one place (functions/api/api_errors.py)."""

from __future__ import annotations


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


# --- guests and waivers (raised by quarterdeck.repositories.guests for a lost condition) -----
class GuestExistsError(ConflictError):
    """The guest's email is already on the sail's manifest."""

    code = "guest_exists"

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already a guest on this sail.", field="email")


class SailFullError(ConflictError):
    """The party does not fit within the sail's guest capacity."""

    code = "sail_full"

    def __init__(self, capacity: int, room: int) -> None:
        super().__init__(f"This sail takes {capacity} guests and has room for {room} more.", field="party_size")


class AlreadySignedError(ConflictError):
    """The guest has signed its waiver already (no new waiver link)."""

    code = "already_signed"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} has already signed the waiver.")


class WaiverLinkInFlightError(ConflictError):
    """Another waiver link for the same guest was issued at the same moment; that one is live."""

    code = "waiver_link_in_flight"

    def __init__(self) -> None:
        super().__init__("Another waiver link for this guest was sent at the same moment; that link is the live one.")
