"""A sail's guest seats and meeting point: what an admin may set (on create and edit) and how a
sail shows them (capacity, seats taken and left, where to meet), the settings' defaults standing
in for a sail made before it had its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quarterdeck.config import Settings
from quarterdeck.errors import InvalidInputError
from quarterdeck.validation import text_field

MAX_GUEST_CAPACITY = 49  # (50 or more aboard needs another certificate of inspection)
MEETING_POINT_MAX = 200


def capacity_value(value: object) -> int:
    """Guest seats on a sail: a whole number from 1 to MAX_GUEST_CAPACITY."""
    wrong = f"Guest capacity is a whole number from 1 to {MAX_GUEST_CAPACITY}."
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInputError(wrong, field="guest_capacity")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInputError(wrong, field="guest_capacity") from None
    if not 1 <= number <= MAX_GUEST_CAPACITY:
        raise InvalidInputError(wrong, field="guest_capacity")
    return number


def meeting_point_text(value: object) -> str:
    """Where guests meet the boat: one line of text, at most MEETING_POINT_MAX characters."""
    if not isinstance(value, str):
        raise InvalidInputError("The meeting point is text.", field="meeting_point")
    return text_field(value, "meeting_point", min_length=1, max_length=MEETING_POINT_MAX, single_line=True)


def seats(meta: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """Capacity, seats taken and seats left, and where to meet (settings' defaults for a sail
    made before it had its own)."""
    capacity = int(meta.get("guest_capacity") or settings.guest_capacity)
    taken = int(meta.get("guest_count") or 0)
    return {
        "guest_capacity": capacity,
        "seats_taken": taken,
        "seats_left": max(capacity - taken, 0),
        "meeting_point": str(meta.get("meeting_point") or settings.meeting_point),
    }
