"""What the reliability suites (fuzzing, races, faults) share: fault injection into the app's
real AWS clients, and small readers of the table.

Faults go through botocore's event system on the very clients the app uses
(`quarterdeck.clients.client(service)`), so our code sees exactly what a failing AWS call
gives it. Nothing of ours is mocked. Three places to fail, as real failures happen:

- `stage="call"` (`before-call.<service>.<Operation>`): the API call fails as a whole, as it
  does once botocore's retry layer (standard mode, 4 attempts) has given up. One injected
  failure reaches our code; the request never reaches the service.
- `stage="attempt"` (`before-send.<service>.<Operation>`): one HTTP attempt fails, inside
  botocore's retry loop: up to 3 failures in a row are absorbed by botocore's retries,
  4 reach our code.
- `stage="lost-attempt"` (`before-send`): one HTTP attempt reaches the service and is
  applied, but its answer is lost (a read timeout); botocore then retries the same request.
- `stage="after"` (`after-call.<service>.<Operation>`): the request reached the service and
  was applied, but the answer is lost on the way back (a timeout after commit). Our code
  sees a failure for a change that is in place.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
import requests
from requests.adapters import HTTPAdapter

from quarterdeck.clients import client

Stage = Literal["call", "attempt", "lost-attempt", "after"]
BOTOCORE_ATTEMPTS = 4  # quarterdeck.clients: standard retry mode, max_attempts=4


# --- the errors AWS gives -------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """One kind of failure: its name, error code and HTTP status (for a parsed error), or a
    transport exception (for a timeout)."""

    name: str
    code: str = ""
    status: int = 0
    timeout: bool = False

    def exception(self, operation: str) -> Exception:
        from botocore.exceptions import ClientError, ReadTimeoutError

        if self.timeout:
            return ReadTimeoutError(endpoint_url=f"https://{operation.lower()}.amazonaws.example")
        return ClientError(
            {
                "Error": {"Code": self.code, "Message": f"{self.code} (injected)"},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            },
            operation,
        )


DYNAMODB_FAULTS = (
    Kind("throttling", "ThrottlingException", 400),
    Kind("5xx", "InternalServerError", 500),
    Kind("timeout", timeout=True),
)
SES_FAULTS = (
    Kind("throttling", "TooManyRequestsException", 429),
    Kind("5xx", "InternalFailure", 500),
    Kind("timeout", timeout=True),
)


class _Body:
    """The raw body of a canned HTTP answer (what botocore's parsers read)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _http_error(service: str, kind: Kind) -> Any:
    """The HTTP answer the service gives for `kind`, for botocore to parse and retry."""
    from botocore.awsrequest import AWSResponse

    if service == "dynamodb":  # JSON 1.0 protocol: the error type is in the body
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{kind.code}", "message": "injected"}
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
    else:  # REST-JSON (SES v2, ...): the error type is in a header
        body = {"message": "injected"}
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": kind.code, "x-amzn-RequestId": "injected"}
    return AWSResponse("https://injected.amazonaws.example", kind.status, headers, _Body(json.dumps(body).encode()))


# --- the injector ---------------------------------------------------------------------------
@dataclass
class Fault:
    service: str
    operation: str
    kind: Kind
    stage: Stage
    fails: Callable[[int], bool]
    where: Callable[[dict[str, Any]], bool]
    seen: int = 0
    raised: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, request: dict[str, Any]) -> bool:
        """Count a matching call or attempt; True if this one fails."""
        if not self.where(request):
            return False
        with self.lock:
            self.seen += 1
            failing = self.fails(self.seen)
            self.raised += failing
        return failing


def _parsed_body(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def mentions(*needles: str) -> Callable[[dict[str, Any]], bool]:
    """A `where` filter: the request's JSON mentions every one of `needles` (e.g. a key prefix)."""

    def match(request: dict[str, Any]) -> bool:
        text = json.dumps(request)
        return all(needle in text for needle in needles)

    return match


class Injector:
    """Faults on the app's cached boto3 clients, removed when the test ends."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def fail(
        self,
        service: str,
        operation: str,
        kind: Kind,
        *,
        stage: Stage = "call",
        first: int | None = None,
        fails: Callable[[int], bool] | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Fault:
        """Fail `service.operation` (the matching calls `where` selects): every time, the
        `first` N times, or when `fails(n)` says so for the n-th matching call or attempt."""
        if fails is None:
            fails = (lambda n: n <= first) if first is not None else (lambda _n: True)
        fault = Fault(service, operation, kind, stage, fails, where or (lambda _request: True))
        boto = client(service)
        service_id = boto.meta.service_model.service_id.hyphenize()

        if stage == "call":

            def before_call(params: dict[str, Any], **_: Any) -> None:
                if fault.hit(_parsed_body(params.get("body"))):
                    raise kind.exception(operation)

            self._register(boto, f"before-call.{service_id}.{operation}", before_call)
        elif stage == "attempt":

            def before_send(request: Any, **_: Any) -> Any:
                if not fault.hit(_parsed_body(request.body)):
                    return None
                if kind.timeout:
                    raise kind.exception(operation)
                return _http_error(service, kind)

            self._register(boto, f"before-send.{service_id}.{operation}", before_send)
        elif stage == "lost-attempt":

            def send_then_lose(request: Any, **_: Any) -> None:
                if fault.hit(_parsed_body(request.body)):
                    requests.request(
                        request.method, request.url, data=request.body, headers=dict(request.headers), timeout=60
                    )
                    raise kind.exception(operation)  # botocore retries the very same request

            self._register(boto, f"before-send.{service_id}.{operation}", send_then_lose)
        else:
            # The request goes through; its answer is then lost. Whether a call matches is
            # decided on its request (kept in the call's context) and acted on after it.
            def mark(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
                context[f"inject-{id(fault)}"] = fault.hit(_parsed_body(params.get("body")))

            def lose_answer(context: dict[str, Any], http_response: Any, **_: Any) -> None:
                if context.pop(f"inject-{id(fault)}", False) and http_response.status_code < 300:
                    raise kind.exception(operation)

            self._register(boto, f"before-call.{service_id}.{operation}", mark)
            self._register(boto, f"after-call.{service_id}.{operation}", lose_answer)
        self.faults.append(fault)
        return fault

    def _register(self, boto: Any, event: str, handler: Callable[..., Any]) -> None:
        boto.meta.events.register(event, handler)
        self._registered.append((boto, event, handler))

    def clear(self) -> None:
        for boto, event, handler in self._registered:
            boto.meta.events.unregister(event, handler)
        self._registered.clear()

    @property
    def raised(self) -> int:
        return sum(f.raised for f in self.faults)


@contextmanager
def injecting() -> Iterator[Injector]:
    injector = Injector()
    try:
        yield injector
    finally:
        injector.clear()


@pytest.fixture
def faults() -> Iterator[Injector]:
    """An injector whose faults are removed when the test ends (even when it fails)."""
    with injecting() as injector:
        yield injector


# --- callers from their own address ----------------------------------------------------------
class _FromAddress(HTTPAdapter):
    """Connect from another loopback address (all of 127/8 is this machine)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from_own_address() -> requests.Session:
    """A requests session from a loopback address of its own, so per-address limits that
    generated junk (wrong magic codes, ...) runs into never lock out the rest of the suite."""
    raw = uuid.uuid4().bytes
    session = requests.Session()
    session.mount("http://", _FromAddress(f"127.{raw[0]}.{raw[1]}.{max(raw[2], 2)}"))
    return session
