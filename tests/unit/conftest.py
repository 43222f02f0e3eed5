"""Fixtures the unit tests share: fresh in-memory fakes of our interfaces (tests/unit/fakes.py).

A test module that needs them differently (a seeded store, its own clock) defines its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quarterdeck import clients
from quarterdeck.people import recent_admins
from tests.unit.fakes import FakeDocuments, FakeMailer


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def documents() -> FakeDocuments:
    return FakeDocuments()


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's boto3 session and clients made afresh (and forgotten after), in us-east-1,
    pointed at AWS itself (a local stack started earlier in the session sets AWS_ENDPOINT_URL)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    clients.reset_clients()
    yield
    clients.reset_clients()


@pytest.fixture(autouse=True)
def admins_read_afresh() -> Iterator[None]:
    """The container's remembered admins (quarterdeck.people.recent_admins) belong to one test's roster."""
    recent_admins.forget()
    yield
    recent_admins.forget()
