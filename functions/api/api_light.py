"""The read routes' own small table: GET routes whose only input is their path, served without
Powertools' event handler.

Importing `aws_lambda_powertools.event_handler` loads every resolver it has (AppSync with
asyncio, Bedrock, VPC Lattice, the thirty event classes of `data_classes`): about 30 ms of a
cold start on the bench machine, a fifth of the sail page's, for a request that needs a path
match, the access middleware and a JSON body. So the reads register here (`ReadTable.get`,
with the arguments Powertools' `Router.get` takes) and are served here; a request the table
has no route for goes to the validated resolver (api_handler). The table copies itself onto
a Powertools resolver (`mirror`) only for the OpenAPI document, which is what builds it.

An answer is the HTTP API v2 payload Powertools builds for the same route: a dict result as
compact JSON (Decimal as text, as Powertools' encoder writes it), an `Answer` as given; a
domain error as api_errors answers it; anything else a logged 500 (`on_error`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

# Powertools' route parameter pattern (api_gateway._NAMED_GROUP_BOUNDARY_PATTERN): the same
# paths match here as there.
_PARAMETER = re.compile(r"(<\w+>)")
# The request being served on this thread (the local stack serves in threads), shared by every
# table: an area's routes read the caller from their own table's `context`.
_LOCAL = threading.local()
_PARAMETER_VALUE = r"(?P\1[-._~()'!*:@,;=+&$%<> \[\]{}|^\\w]+)"


@dataclasses.dataclass
class Answer:
    """A route's answer other than JSON (a calendar feed, a prebuilt document)."""

    body: str
    content_type: str = "application/json"
    status_code: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


class RequestView:
    """The parts of an HTTP API v2 event the access middleware reads, as Powertools'
    APIGatewayProxyEventV2 names them (headers by lower-case name, as API Gateway sends them)."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.raw_event = event
        self.headers: dict[str, str] = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        self.cookies: list[str] = list(event.get("cookies") or [])
        http = (event.get("requestContext") or {}).get("http") or {}
        self.http_method = str(http.get("method") or "")
        self.path = path_of(event)
        self.is_base64_encoded = bool(event.get("isBase64Encoded"))
        self.request_context = SimpleNamespace(http=SimpleNamespace(source_ip=http.get("sourceIp")))


def path_of(event: dict[str, Any]) -> str:
    return str(event.get("rawPath") or ((event.get("requestContext") or {}).get("http") or {}).get("path") or "")


@dataclasses.dataclass(frozen=True)
class Read:
    rule: str
    pattern: re.Pattern[str]
    func: Callable[..., Any]
    middlewares: tuple[Callable[..., Any], ...]
    openapi: dict[str, Any]


class ReadTable:
    """Where the read routes register; `context` is the current request's (the caller the
    access middleware resolved), as a Powertools router's is."""

    def __init__(self, on_error: Callable[[Exception], dict[str, Any]] | None = None) -> None:
        """`on_error` answers what a route raised (api_errors.error_payload); a table that
        serves must have one, an area's table only lends its routes (`include`)."""
        self.routes: list[Read] = []
        self._on_error = on_error

    def get(
        self, rule: str, *, middlewares: Sequence[Callable[..., Any]] = (), **openapi: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            pattern = re.compile(f"^{_PARAMETER.sub(_PARAMETER_VALUE, rule)}$")
            self.routes.append(Read(rule, pattern, func, tuple(middlewares), openapi))
            return func

        return register

    def include(self, other: ReadTable) -> None:
        """Serve another table's routes too (each area has its own; every table sees the
        request being served)."""
        self.routes.extend(other.routes)

    @property
    def context(self) -> dict[str, Any]:
        context: dict[str, Any] | None = getattr(_LOCAL, "context", None)
        if context is None:
            context = _LOCAL.context = {}
        return context

    def append_context(self, **values: Any) -> None:
        self.context.update(values)

    @property
    def current_event(self) -> RequestView:
        return _LOCAL.event  # type: ignore[no-any-return]

    def serve(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The answer of the read route this request is for, or None when it is for none."""
        request = RequestView(event)
        if request.http_method.upper() != "GET":
            return None
        for read in self.routes:
            match = read.pattern.match(request.path)
            if match is not None:
                return self._call(read, request, match.groupdict())
        return None

    def _call(self, read: Read, request: RequestView, arguments: dict[str, str]) -> dict[str, Any]:
        _LOCAL.event = request
        _LOCAL.context = {"_route_args": arguments}
        try:
            return _answer(_through(read.middlewares, lambda _app: read.func(**arguments))(self))
        except Exception as error:
            if self._on_error is None:
                raise
            return self._on_error(error)
        finally:
            _LOCAL.context = {}

    def mirror(self, app: APIGatewayHttpResolver) -> None:
        """Register every read on a Powertools resolver (for its OpenAPI document)."""
        for read in self.routes:
            app.get(read.rule, middlewares=list(read.middlewares), **read.openapi)(_documented(read.func))


def _documented(func: Callable[..., Any]) -> Callable[..., Any]:
    """The route as the document should describe it: an `Answer` is no JSON schema of ours (as
    Powertools' `Response[Any]` was none), so its return is documented as Any."""
    import functools
    import inspect

    signature = inspect.signature(func)
    if signature.return_annotation not in (Answer, "Answer"):
        return func

    @functools.wraps(func)
    def documented(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    documented.__signature__ = signature.replace(return_annotation=Any)  # type: ignore[attr-defined]
    return documented


def _through(middlewares: tuple[Callable[..., Any], ...], last: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The middlewares around the route, first registered outermost: `middleware(app, next)`."""
    call = last
    for middleware in reversed(middlewares):
        call = _bound(middleware, call)
    return call


def _bound(middleware: Callable[..., Any], following: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda app: middleware(app, following)


def _encoded(value: Any) -> Any:
    """What Powertools' JSON encoder writes for what json cannot (Decimal as text, dataclasses)."""
    if isinstance(value, Decimal):
        return float("nan") if value.is_nan() else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def payload(status: int, body: str, headers: dict[str, str], cookies: Sequence[Any] = ()) -> dict[str, Any]:
    """The HTTP API v2 answer (Powertools' HttpApiHeadersSerializer shape)."""
    return {
        "statusCode": status,
        "body": body,
        "isBase64Encoded": False,
        "headers": headers,
        "cookies": [str(cookie) for cookie in cookies],
    }


def _answer(result: Any) -> dict[str, Any]:
    if isinstance(result, Answer):
        headers = {**result.headers}
        headers.setdefault("Content-Type", result.content_type)
        return payload(result.status_code, result.body, headers)
    body = json.dumps(result, separators=(",", ":"), default=_encoded)
    return payload(200, body, {"Content-Type": "application/json"})
