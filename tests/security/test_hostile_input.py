"""Hostile input: every route with a body or a path parameter, each kind of payload an attacker
sends, as an admin on real ids (so the payload reaches as far into the app as it can).

Routes come from the live /api/openapi.json, so a new route is covered without an edit here.
Every answer must be a 4xx with the error envelope — never a 5xx — and a 422 names its field;
and nothing is written: no sail or task carrying a payload's marker appears afterwards.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.conftest import sign_in
from tests.security.conftest import ADMIN_EMAIL, World

MARKER = "hostile-marker"
NOT_SENT = {"POST /api/auth/logout"}  # it would end the admin's session the rest of the run needs


@dataclass(frozen=True)
class Payload:
    kind: str
    content_type: str
    body: Callable[[list[str]], bytes]  # given the operation's body fields


def _json_of(value: Any) -> Callable[[list[str]], bytes]:
    """A body that puts `value` in every field the operation documents (or `title` if none)."""

    def build(fields: list[str]) -> bytes:
        return json.dumps(dict.fromkeys(fields or ["title"], value), ensure_ascii=True).encode()

    return build


def _raw(text: str) -> Callable[[list[str]], bytes]:
    return lambda fields: text.encode()


BODY_PAYLOADS = [
    Payload("multipart without boundary", "multipart/form-data", _raw(f"title={MARKER}")),
    Payload("form", "application/x-www-form-urlencoded", _raw(f"title={MARKER}")),
    Payload("text/plain JSON", "text/plain", _raw(json.dumps({"title": MARKER}))),
    Payload("no content type", "", _raw(json.dumps({"title": MARKER}))),
    Payload("1,000-deep JSON", "application/json", _raw("[" * 1000 + "]" * 1000)),
    Payload("deep object", "application/json", _raw('{"a":' * 200 + "1" + "}" * 200)),
    Payload("lone surrogate", "application/json", _json_of(f"{MARKER}\ud800")),
    Payload("NUL and ESC", "application/json", _json_of(f"{MARKER}\x00\x1b[31m")),
    Payload("CR LF header injection", "application/json", _json_of(f"{MARKER}\r\nBcc: victim@example.com")),
    Payload("right-to-left override", "application/json", _json_of(f"{MARKER}\u202egnp.exe")),
    Payload("zero-width in address", "application/json", _json_of("ad\u200bmin@example.com")),
    Payload("look-alike address", "application/json", _json_of("\u0430dmin@example.com")),
    Payload("absurd date", "application/json", _json_of("9999-12-31")),
    Payload("date as a number", "application/json", _json_of(20270101)),
    Payload("boolean for everything", "application/json", _json_of(True)),
    Payload("100,000 characters", "application/json", _json_of(MARKER + "x" * 100_000)),
    Payload("not JSON", "application/json", _raw("{" + MARKER)),
]

PATH_PAYLOADS = {
    "2,100 characters": "a" * 2100,
    "encoded lone surrogate": "%ED%A0%80",
    "encoded NUL": "x%00y",
    "dot segments": "..%2F..%2Fetc",
    "right-to-left override": "%E2%80%AEabc",
}


def _operations(stack: LocalStack) -> Iterator[tuple[str, str, dict[str, Any]]]:
    document = requests.get(f"{stack.url}/api/openapi.json", timeout=30).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def _body_fields(operation: dict[str, Any], document_schemas: dict[str, Any]) -> list[str]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document_schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
    return sorted(schema.get("properties", {}))


def _real_path(path: str, world: World) -> str:
    ids = {
        "sail_id": world.sail_id,
        "guest_id": world.guest_id,
        "task_id": world.task_id,
        "slot": "crew-1",
        "checklist": "departure",
        "n": "1",
        "kind": "cfo",
        "token": world.feed,
    }
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)


def _written_markers(stack: LocalStack, token: str) -> list[str]:
    """Titles anywhere an admin can see them that carry the marker (sails, tasks)."""
    headers = {"Authorization": f"Bearer {token}"}
    sails = requests.get(f"{stack.url}/api/sails?from=2026-01-01&to=2031-12-31", headers=headers, timeout=30)
    tasks = requests.get(f"{stack.url}/api/tasks", headers=headers, timeout=30)
    found = [s.get("title", "") for s in sails.json().get("sails", [])]
    found += [t.get("title", "") for t in tasks.json().get("tasks", [])]
    return [title for title in found if MARKER in str(title)]


def _check(answer: requests.Response, where: str, problems: list[str]) -> None:
    if answer.status_code >= 500:
        problems.append(f"{where}: {answer.status_code} {answer.text[:120]}")
        return
    if answer.status_code < 400:
        return  # accepted: harmless payloads (a long id that is simply not found is a 404, below)
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        problems.append(f"{where}: {answer.status_code} without the error envelope: {answer.text[:80]}")
        return
    if answer.status_code == 422 and not error.get("field"):
        problems.append(f"{where}: 422 that names no field: {error}")


def test_no_hostile_body_or_path_gets_a_5xx_or_writes_anything(stack: LocalStack, world: World) -> None:
    # Given an admin session, real ids, and every route the API documents
    admin = sign_in(stack, ADMIN_EMAIL)
    assert admin.token
    document = requests.get(f"{stack.url}/api/openapi.json", timeout=30).json()
    schemas = document.get("components", {}).get("schemas", {})
    problems: list[str] = []
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    bearer = {"Authorization": f"Bearer {admin.token}"}

    for method, path, operation in _operations(stack):
        if f"{method} {path}" in NOT_SENT:
            continue
        # When each body payload is sent to each route that takes a body
        if "requestBody" in operation:
            fields = _body_fields(operation, schemas)
            for payload in BODY_PAYLOADS:
                headers = dict(bearer, **({"Content-Type": payload.content_type} if payload.content_type else {}))
                answer = requests.request(
                    method, stack.url + _real_path(path, world), data=payload.body(fields), headers=headers, timeout=60
                )
                sent[payload.kind] += 1
                statuses[answer.status_code] += 1
                _check(answer, f"{method} {path} [{payload.kind}]", problems)
        # And each path payload to every path parameter of every route
        for name in re.findall(r"\{(\w+)\}", path):
            for kind, value in PATH_PAYLOADS.items():
                target = _real_path(path.replace("{" + name + "}", value), world)
                body = json.dumps({"title": MARKER}) if method != "GET" else None
                answer = requests.request(
                    method,
                    stack.url + target,
                    data=body,
                    headers=dict(bearer, **{"Content-Type": "application/json"}),
                    timeout=60,
                )
                sent[f"path: {kind}"] += 1
                statuses[answer.status_code] += 1
                _check(answer, f"{method} {path} [{name}: {kind}]", problems)

    # Then nothing was a server error, every 422 named its field
    assert not problems, "\n".join(problems)
    # And nothing carrying a payload was stored
    assert _written_markers(stack, admin.token) == []
    # And the run covered what it claims (figures for the README)
    assert len([kind for kind in sent if not kind.startswith("path:")]) == len(BODY_PAYLOADS)
    assert sum(sent.values()) >= 300, sent
    print(f"\nhostile input: {sum(sent.values())} requests, {dict(sent)}, statuses {dict(statuses)}")


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
def test_unusual_methods_are_answered_as_api_gateway_would(stack: LocalStack, method: str) -> None:
    # When a method the API has no route for reaches it
    answer = requests.request(method, f"{stack.url}/api/health", timeout=30)
    # Then it is a 404 with the error envelope (API Gateway's answer), never a 501
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "no_route"
