"""Fixtures of the integration suites: the DynamoDB adapter on the local stack's table."""

from __future__ import annotations

import pytest

from local.stack import LocalStack
from quarterdeck.store import Store


@pytest.fixture
def store(stack: LocalStack) -> Store:
    """The real adapter on moto's table, built from template.yaml (repository contract tests)."""
    return Store()
