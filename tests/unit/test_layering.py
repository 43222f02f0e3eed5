"""The layers hold (issue 19): outside the repositories (and the table adapter and its keys), no
module of the layer spells a DynamoDB expression or decides a cancelled transaction by the
position of its actions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "quarterdeck"
ALLOWED = {"store.py", "keys.py"}
# `#name` (not a colour), `:value` after a space, bracket, comma or `=`, the functions and verbs.
EXPRESSION = re.compile(
    r"(?:^|[\s(,=])#(?![0-9a-fA-F]{3,8}\b)[A-Za-z_]\w*"
    r"|[\s(,=]:[a-z_]\w*"
    r"|\b(?:attribute_not_exists|attribute_exists|begins_with|if_not_exists|list_append)\("
    r"|^\s*(?:SET|REMOVE|ADD|DELETE) [#:A-Za-z_]"
)


def domain_modules() -> list[Path]:
    found = [
        path
        for path in sorted(LAYER.rglob("*.py"))
        if "__pycache__" not in path.parts
        and path.relative_to(LAYER).parts[0] not in {"repositories", "templates"}
        and path.name not in ALLOWED
    ]
    assert len(found) > 40, found  # the walk itself found the layer
    return found


def test_the_pattern_finds_what_it_is_for() -> None:
    # Given expressions as the repositories write them, and text that only looks alike
    spelled = ["#status = :open", "attribute_not_exists(pk)", "SET #n = :n", "REMOVE calendar_token"]
    harmless = ["#e6ebf0", "unfilled_roles:quiet_hours", "Sail #4 at 18:30", "Set the table"]
    # Then the first are found and the second are not
    assert all(EXPRESSION.search(text) for text in spelled)
    assert not any(EXPRESSION.search(text) for text in harmless)


def test_no_domain_module_spells_a_dynamodb_expression_or_reads_reasons_by_position() -> None:
    offences: list[str] = []
    for path in domain_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(LAYER)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and EXPRESSION.search(node.value):
                offences.append(f"{where} {node.value[:60]!r}")
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "reasons"
            ):
                offences.append(f"{where} reasons[...]")
    assert offences == []


def test_every_layer_module_is_under_500_lines() -> None:
    long = {
        str(path.relative_to(LAYER)): n
        for path in sorted(LAYER.rglob("*.py"))
        if "__pycache__" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) >= 500
    }
    assert long == {}
