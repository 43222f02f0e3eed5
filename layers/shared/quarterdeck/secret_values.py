"""Secrets Manager reads: JSON secrets through the process's shared, cached client, kept for a while.

One `GetSecretValue` per secret per `max_age` seconds and container, as Powertools'
`parameters.get_secret(..., max_age=...)` did, but on `quarterdeck.clients`' client: a cold
start does not build a second boto3 Session and client of its own for one read.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from quarterdeck.clients import client
from quarterdeck.errors import ConfigurationError, ServiceUnavailableError

_MISCONFIGURED = {"ResourceNotFoundException", "AccessDeniedException"}


class SecretCache:
    """Secrets read lately, each trusted for `max_age` seconds."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._values: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def json_secret(self, secret_id: str, *, max_age: float) -> dict[str, Any]:
        """The secret's JSON object (a copy), read again once it is `max_age` seconds old."""
        now = self._monotonic()
        with self._lock:
            remembered = self._values.get(secret_id)
        if remembered is not None and now - remembered[0] < max_age:
            return dict(remembered[1])
        value = json.loads(_secret_string(secret_id))
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} does not hold a JSON object")
        with self._lock:
            self._values[secret_id] = (now, value)
        return dict(value)

    def forget(self) -> None:
        with self._lock:
            self._values.clear()


def _secret_string(secret_id: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _MISCONFIGURED:
            raise ConfigurationError("The service's signing secret cannot be read.") from error
        raise ServiceUnavailableError("The secret store is busy; please try again.") from error
    except BotoCoreError as error:  # timeouts, connection errors after botocore's own retries
        raise ServiceUnavailableError("The secret store could not be reached; please try again.") from error
    return str(answer["SecretString"])


# One per container (module state lives as long as the Lambda execution environment).
secret_cache = SecretCache()
