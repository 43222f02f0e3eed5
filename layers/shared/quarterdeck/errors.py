"""Domain errors, raised by the domain modules and by the repositories (a failed condition
becomes one of these there). The API maps each family to one status code in one place
(`STATUS_BY_ERROR` in functions/api/api_errors.py)."""

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
    """The caller sent something we cannot accept (422, naming the field)."""

    code = "invalid_input"


class AuthenticationError(QuarterdeckError):
    """No valid session or code (401)."""

    code = "unauthenticated"


class ForbiddenError(QuarterdeckError):
    """Signed in, but not allowed to do this (403)."""

    code = "forbidden"


class NotFoundError(QuarterdeckError):
    """What the request names does not exist, or is not the caller's to see (404)."""

    code = "not_found"


class ConflictError(QuarterdeckError):
    """The current state does not allow this change (409)."""

    code = "conflict"


class RateLimitedError(QuarterdeckError):
    """Too many sign-in links or wrong codes in a window (429); `retry_at` is when the window
    ends (the answer's `Retry-After`)."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, retry_at: Any = None
    ) -> None:
        super().__init__(message, field=field, code=code)
        self.retry_at = retry_at  # a datetime (aware), or None


class UnsupportedMediaTypeError(QuarterdeckError):
    """A request body in a format other than JSON (415)."""

    code = "unsupported_media_type"


class ServiceUnavailableError(QuarterdeckError):
    """A dependency (DynamoDB, SES, ...) failed after retries (503)."""

    code = "service_unavailable"


class ConfigurationError(QuarterdeckError):
    """The deployment is misconfigured, e.g. the sender is not verified (503)."""

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


class PersonExistsError(ConflictError):
    """A person with this address is already on record; `current` is their record."""

    code = "person_exists"

    def __init__(self, message: str, *, current: dict[str, object] | None = None) -> None:
        super().__init__(message, field="email")
        self.current = current or {}


class LimitReachedError(RateLimitedError):
    """A sign-in counter is at its limit for the window; `counters` names which."""

    code = "limit_reached"

    def __init__(self, message: str, *, counters: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.counters = counters


class ChecklistItemNotFoundError(NotFoundError):
    code = "checklist_item_not_found"


class SailCancelledError(ConflictError):
    """A change to a sail (its details, its checklists) after it was cancelled."""

    code = "sail_cancelled"


class SlotChangedError(RoleStateError):
    """A role slot was no longer as the change read it; `current` is the slot as it is now
    (the domain names that state in its 409 answer)."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("The slot changed meanwhile.")
        self.current = current


class CalendarFeedNotFoundError(NotFoundError):
    code = "calendar_not_found"


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


class RunHeldError(Exception):
    """A report run could not be claimed: it was sent already, or another attempt holds its
    lease. `current` is the run as it is (when the table said). Not a QuarterdeckError: the
    dispatch skips that recipient and says why (quarterdeck.reports.runs.RunNotClaimed)."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("the run is held")
        self.current = current


class RunTakenOverError(Exception):
    """A report run's record lost its condition: its lease expired and another attempt took it over."""
