"""Fixtures the unit tests share: fresh in-memory fakes of our interfaces (tests/unit/fakes.py).

A test module that needs them differently (a seeded store, its own clock) defines its own.
"""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeDocuments, FakeMailer


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def documents() -> FakeDocuments:
    return FakeDocuments()
