"""Writes the trimmed models (`python -m quarterdeck.aws_models`) from the installed botocore:
its latest API version of each service, with only the operations listed here and the shapes
they reach, without documentation. A unit test checks the files are what this writes now."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quarterdeck.aws_models import HERE

# The operations each trimmed service keeps: every call our adapters make on its client.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "dynamodb": (
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "DescribeTable",  # the reports' table size (quarterdeck.reports.aws_figures)
        "GetItem",
        "PutItem",
        "Query",
        "TransactWriteItems",
        "UpdateItem",
    ),
    "secretsmanager": ("GetSecretValue",),
}


def _without_documentation(spec: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in spec.items() if key != "documentation"}


def _shape_names(spec: dict[str, Any]) -> Iterable[str]:
    """The shapes an operation or a shape refers to."""
    for key in ("input", "output", "member", "key", "value"):
        if key in spec:
            yield spec[key]["shape"]
    for error in spec.get("errors", []):
        yield error["shape"]
    for member in (spec.get("members") or {}).values():
        yield member["shape"]


def trimmed(model: dict[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    """`model` (a service-2 document) with only these operations and the shapes they reach."""
    kept_operations = {name: _without_documentation(model["operations"][name]) for name in operations}
    shapes: dict[str, Any] = {}
    pending = [name for spec in kept_operations.values() for name in _shape_names(spec)]
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        shape = _without_documentation(model["shapes"][name])
        if "members" in shape:
            shape["members"] = {member: _without_documentation(spec) for member, spec in shape["members"].items()}
        shapes[name] = shape
        pending.extend(_shape_names(shape))
    rest = {key: value for key, value in model.items() if key not in ("documentation", "operations", "shapes")}
    return {**rest, "operations": kept_operations, "shapes": dict(sorted(shapes.items()))}


def model_path(service: str, api_version: str) -> Path:
    return HERE / service / api_version / "service-2.json"


def expected_models() -> dict[Path, str]:
    """What this folder should hold, from the installed botocore's models."""
    import botocore.session

    loader = botocore.session.get_session().get_component("data_loader")
    found: dict[Path, str] = {}
    for service, operations in OPERATIONS.items():
        version = loader.determine_latest_version(service, "service-2")
        model = loader.load_data(f"{service}/{version}/service-2")  # botocore's own, not ours
        found[model_path(service, version)] = json.dumps(trimmed(model, operations), indent=1) + "\n"
    return found


def main() -> None:
    for path, text in expected_models().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent.parent)}")
