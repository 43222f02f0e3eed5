"""Lazily created, cached boto3 clients: nothing connects at import time, so cold starts stay short.

Locally and in tests `AWS_ENDPOINT_URL` (read by boto3 itself) points every client at moto's server.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from botocore.config import Config


def _config() -> Config:
    """Standard retry mode retries throttling and 5xx with backoff and jitter; a short
    connect/read timeout keeps a stuck dependency from eating the whole Lambda timeout.
    The local stack raises the read timeout (QUARTERDECK_READ_TIMEOUT): its emulator can be slow."""
    return Config(
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=3,
        read_timeout=int(os.environ.get("QUARTERDECK_READ_TIMEOUT", "10")),
    )


@cache
def client(service: str, region: str | None = None) -> Any:
    import boto3  # deferred: importing boto3 costs cold-start time the health route never needs

    return boto3.session.Session().client(service, region_name=region, config=_config())


def reset_clients() -> None:
    """Forget cached clients (tests that change the endpoint or inject faults)."""
    client.cache_clear()
