"""Lazily created, cached boto3 clients: nothing connects at import time, so cold starts stay short.

Every client comes from one boto3 Session per process, created on first use: the second
client (Secrets Manager after DynamoDB, say) reuses the endpoint and partition data the
first one loaded instead of reading it again. Its loader (`quarterdeck.aws_models`) reads the
service models cut down to the operations we call and does not list every service botocore has.

Locally and in tests `AWS_ENDPOINT_URL` (read by boto3 itself) points every client at moto's server.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config

# A boto3 Session is not safe to create clients from in several threads at once (the local
# stack serves requests in threads); clients themselves are.
_creating = threading.Lock()


def _config() -> Config:
    """Standard retry mode retries throttling and 5xx with backoff and jitter; a short
    connect/read timeout keeps a stuck dependency from eating the whole Lambda timeout.
    The local stack raises the read timeout (QUARTERDECK_READ_TIMEOUT): its emulator can be slow."""
    from botocore.config import Config  # deferred with boto3 (botocore.config imports urllib3, http.client...)

    return Config(
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=3,
        read_timeout=int(os.environ.get("QUARTERDECK_READ_TIMEOUT", "10")),
    )


@cache
def session() -> Any:
    """The process's boto3 Session (boto3's own default session is left alone). Its loader
    reads our trimmed service models first (`quarterdeck.aws_models`)."""
    import boto3  # deferred: importing boto3 costs cold-start time the health route never needs
    import botocore.session

    from quarterdeck.aws_models import TrimmedModelsLoader

    core = botocore.session.get_session()
    core.register_component("data_loader", TrimmedModelsLoader(core.get_config_variable("data_path")))
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str, region: str | None = None) -> Any:
    return new_client(service, region, _config())


def new_client(service: str, region: str | None, config: Config) -> Any:
    """A client of the process's session with a configuration of its own (not cached here)."""
    with _creating:
        return session().client(service, region_name=region, config=config)


def reset_clients() -> None:
    """Forget cached clients and their session (tests that change the endpoint or inject faults)."""
    client.cache_clear()
    session.cache_clear()
