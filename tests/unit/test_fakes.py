"""The unit tests' own fakes (tests/unit/fakes.py) behave as the tests rely on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quarterdeck.errors import ServiceUnavailableError
from tests.unit.fakes import FakeMailer, FixedClock


# --- the other fakes -------------------------------------------------------------------------
def test_the_mailer_fails_the_next_sends_or_all() -> None:
    from quarterdeck.mail import OutgoingEmail

    email = OutgoingEmail(kind="k", to=("a@example.com",), subject="s", text="t", html="h")
    mailer = FakeMailer()
    mailer.failures = 1
    with pytest.raises(ServiceUnavailableError):
        mailer.send(email)
    assert mailer.send(email) == "message-1" and mailer.to("a@example.com") == [email]
    with pytest.raises(ServiceUnavailableError):
        FakeMailer(failing=True).send(email)


def test_the_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))
    clock.tick(5)
    assert clock() == datetime(2026, 11, 23, 18, 5, tzinfo=UTC)
