"""ApiFunction's two route tables: GET routes whose only input is their path are served without
validation, so a cold start on one of them never loads pydantic; every route that takes a body
or a query is on the validated table, loaded with the first request that needs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENT = json.loads((ROOT / "events" / "api_health.json").read_text(encoding="utf-8"))

# Run in a fresh interpreter, as a new Lambda container would: three requests, and after each
# whether pydantic has been imported, and which domain modules the other read routes need.
COLD_CONTAINER = """
import copy, json, sys
import api_handler

class Context:
    function_name = "api"; function_version = "$LATEST"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"; aws_request_id = "test"

def call(method, path, body=None):
    event = copy.deepcopy(EVENT)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    answer = api_handler.handler(event, Context())
    others = [m for m in ("quarterdeck.guests", "quarterdeck.mail", "quarterdeck.calendar_feed", "quarterdeck.tasks",
                          "aws_lambda_powertools.event_handler", "api_reads.calendar", "api_reads.tasks")
              if m in sys.modules]
    return answer["statusCode"], json.loads(answer["body"]), "pydantic" in sys.modules, others

print(json.dumps([
    call("GET", "/api/health"),
    call("GET", "/api/me"),
    call("POST", "/api/auth/login-link", {}),
]))
"""


def _document(resolver: Any) -> dict[str, Any]:
    return resolver.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)  # type: ignore[no-any-return]


def _routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item}


def test_reads_are_served_without_pydantic_and_the_first_body_loads_validation() -> None:
    # Given a fresh container (only the layer and the function's code on the path, no AWS)
    script = f"EVENT = {EVENT!r}\n{COLD_CONTAINER}"
    env = {
        "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT / 'functions' / 'api'}",
        "LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_NAMESPACE": "Quarterdeck",
        "PATH": "/usr/bin:/bin",
    }

    # When it serves the health check, an anonymous "who am I", then a login link with no email
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    health, me, login_link = json.loads(done.stdout.strip().splitlines()[-1])

    # Then the reads answer as always, and neither pydantic, Powertools' event handler (api_light
    # serves the reads), the other read areas nor their domain modules (guests and mail,
    # calendar feeds, tasks) are loaded
    assert health == [200, {"status": "ok"}, False, []]
    assert me[0] == 401 and me[1]["error"]["code"] == "unauthenticated" and me[2:] == [False, []]
    # And the first request with a body is validated (pydantic now loaded), naming the field
    status, body, pydantic_loaded, _ = login_link
    assert (status, body["error"]["field"], pydantic_loaded) == (422, "email", True)


def test_the_reads_table_holds_only_gets_whose_only_input_is_the_path() -> None:
    # Given the reads table's part of the OpenAPI document
    import api_handler

    document = _document(api_handler.reads_app())

    # Then each of its operations is a GET with no body and only path parameters: nothing that
    # validation would have checked
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) >= 10
    for path, method, operation in operations:
        assert method == "get", path
        assert "requestBody" not in operation, path
        assert all(parameter["in"] == "path" for parameter in operation.get("parameters", [])), path


def test_every_route_is_in_exactly_one_table_and_in_the_document() -> None:
    # Given both tables and the published document (its merge refuses a route in both)
    import api_handler

    reads = _routes(_document(api_handler.reads_app()))
    validated = _routes(_document(api_handler.validated_app()))
    published = _routes(json.loads(api_handler.openapi_json()))

    # Then no route is in both, and the document lists every route of each
    assert reads.isdisjoint(validated)
    assert published == reads | validated
    assert ("/api/sails/{sail_id}", "get") in reads and ("/api/sails/{sail_id}", "patch") in validated


def test_every_read_is_found_by_the_areas_its_path_loads() -> None:
    # Given every read route of every area, with its path parameters filled in
    import re

    import api_handler

    for area in api_handler.all_areas():
        for read in area.router.routes:
            path = re.sub(r"<\w+>", "x1", read.rule)
            # When a cold container is asked for that path, then the areas it imports for it
            # include the one that serves it (a sail page imports only the sails area)
            assert area in api_handler.areas_for(path), read.rule
    assert [a.__name__ for a in api_handler.areas_for("/api/sails/x1")] == ["api_reads.sails"]
