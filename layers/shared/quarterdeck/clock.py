"""Time and identity sources, passed into the domain so tests can fix them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
IdGenerator = Callable[[], str]


def system_clock() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def new_id() -> str:
    """A short, URL-safe, unguessable id (96 random bits)."""
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


def iso(moment: datetime) -> str:
    """ISO 8601 with offset, to the second."""
    return moment.replace(microsecond=0).isoformat()


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
