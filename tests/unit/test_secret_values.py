"""The signing secret a container keeps (quarterdeck.secret_values.SecretCache), read on the shared client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from quarterdeck import secret_values
from quarterdeck.errors import ConfigurationError, ServiceUnavailableError
from quarterdeck.secret_values import SecretCache

SECRET = {"kid": "k1", "key": "x" * 40}


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSecretsManager:
    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.value = SECRET if value is None else value
        self.error = error
        self.reads: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.reads.append(SecretId)
        if self.error is not None:
            raise self.error
        return {"SecretString": json.dumps(self.value)}


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> FakeSecretsManager:
    fake = FakeSecretsManager()
    monkeypatch.setattr(secret_values, "client", lambda service: fake)
    return fake


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetSecretValue")


def test_a_secret_is_read_once_per_five_minutes(secrets_manager: FakeSecretsManager) -> None:
    # Given a container that read the signing secret
    ticks = Ticks()
    cache = SecretCache(ticks)
    first = cache.json_secret("signing", max_age=300)
    # When it needs it again within five minutes
    ticks.now += 299
    again = cache.json_secret("signing", max_age=300)
    # Then it uses what it read, without another call
    assert first == again == SECRET
    assert secrets_manager.reads == ["signing"]
    # And once five minutes have passed it reads it again (a rotated key is seen)
    ticks.now += 1
    secrets_manager.value = {**SECRET, "kid": "k2"}
    assert cache.json_secret("signing", max_age=300)["kid"] == "k2"
    assert secrets_manager.reads == ["signing", "signing"]


def test_a_caller_cannot_change_the_kept_secret(secrets_manager: FakeSecretsManager) -> None:
    # Given a kept secret, changed by whoever asked for it
    cache = SecretCache(Ticks())
    cache.json_secret("signing", max_age=300)["key"] = "changed"
    # Then the next caller still gets the secret as stored
    assert cache.json_secret("signing", max_age=300) == SECRET


@pytest.mark.parametrize(
    ("error", "refusal"),
    [
        (client_error("InternalServiceError"), ServiceUnavailableError),
        (client_error("ThrottlingException"), ServiceUnavailableError),
        (EndpointConnectionError(endpoint_url="https://secretsmanager"), ServiceUnavailableError),
        (client_error("ResourceNotFoundException"), ConfigurationError),
        (client_error("AccessDeniedException"), ConfigurationError),
    ],
)
def test_a_secret_store_failure_is_a_503_family_error(
    secrets_manager: FakeSecretsManager, error: Exception, refusal: type[Exception]
) -> None:
    # Given Secrets Manager failing (after botocore's own retries) or the secret not readable
    secrets_manager.error = error
    # When the secret is needed, then the error is one the API answers 503 with ("try again")
    with pytest.raises(refusal):
        SecretCache(Ticks()).json_secret("signing", max_age=300)


def test_a_failed_read_is_not_kept(secrets_manager: FakeSecretsManager) -> None:
    # Given a read that failed once
    cache = SecretCache(Ticks())
    secrets_manager.error = client_error("InternalServiceError")
    with pytest.raises(ServiceUnavailableError):
        cache.json_secret("signing", max_age=300)
    # When Secrets Manager answers again, then the next request reads it
    secrets_manager.error = None
    assert cache.json_secret("signing", max_age=300) == SECRET


def test_a_secret_that_is_not_a_json_object_is_refused(secrets_manager: FakeSecretsManager) -> None:
    secrets_manager.value = ["not", "an", "object"]
    with pytest.raises(ValueError, match="JSON object"):
        SecretCache(Ticks()).json_secret("signing", max_age=300)
