"""The cached boto3 clients (quarterdeck.clients): one Session per process for all of them."""

from __future__ import annotations

import pytest

from quarterdeck import clients

pytestmark = pytest.mark.usefixtures("fresh_clients")  # tests/unit/conftest.py


def test_every_client_comes_from_one_session() -> None:
    # When two services' clients are asked for
    table = clients.client("dynamodb")
    secrets = clients.client("secretsmanager")
    # Then each is created once and both share the process's session
    assert clients.client("dynamodb") is table
    assert table.meta.service_model.service_name == "dynamodb"
    assert secrets.meta.service_model.service_name == "secretsmanager"
    assert clients.session.cache_info().misses == 1


def test_reset_forgets_the_session_too() -> None:
    # Given a client made before the settings changed
    before = clients.client("dynamodb")
    first_session = clients.session()
    # When the clients are reset, then new ones come from a new session
    clients.reset_clients()
    assert clients.client("dynamodb") is not before
    assert clients.session() is not first_session
