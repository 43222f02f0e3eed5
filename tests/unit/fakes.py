"""In-memory fakes of our own interfaces for the unit tests (the repositories' fakes are in
tests/unit/memory/, one per aggregate):

- `FakeMailer`: records `OutgoingEmail`s; `failures` next sends fail, or all if `failing`.
- `FakeDocuments`: a bucket that never overwrites, with failure counters.
- `FixedClock`: a clock the test moves by hand.
- `busy()`: the error the real store raises for a throttled or conflicting request.

Their own tests are in test_fakes.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail


def busy() -> ServiceUnavailableError:
    """The error the real Store raises for a throttled or conflicting request."""
    return ServiceUnavailableError("The database is busy; please try again.")


class FakeMailer:
    """A MailSender that records what would have been sent."""

    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failing = failing  # every send fails
        self.failures = 0  # how many next sends fail
        self.crash: BaseException | None = None  # the process dies while sending (nothing after runs)

    def send(self, email: OutgoingEmail) -> str:
        if self.crash is not None:
            raise self.crash
        if self.failing or self.failures:
            self.failures = max(0, self.failures - 1)
            raise ServiceUnavailableError("Email could not be sent; please try again.")
        self.sent.append(email)
        return f"message-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingEmail]:
        return [m for m in self.sent if address in m.to]


class FakeDocuments:
    """A bucket that never overwrites (like PutObject with If-None-Match: *)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.failures = 0  # how many next puts fail
        self.head_failures = 0  # how many next lookups fail
        self.heads = 0  # lookups made

    def put_new(
        self, key: str, body: bytes, *, content_type: str = "text/plain; charset=utf-8", metadata: Any = None
    ) -> bool:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailableError("The document store could not be reached; please try again.")
        if key in self.objects:
            return False
        self.objects[key] = body
        self.metadata[key] = dict(metadata or {})
        return True

    def read(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def head(self, key: str) -> dict[str, str] | None:
        self.heads += 1
        if self.head_failures:
            self.head_failures -= 1
            raise ServiceUnavailableError("The document store could not be reached; please try again.")
        return dict(self.metadata[key]) if key in self.objects else None


class FixedClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)
