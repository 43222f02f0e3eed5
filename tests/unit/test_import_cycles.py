"""No import cycles among our modules: the layer's package, the three functions and the local stack.

Read statically (every `import`, including those inside functions and under TYPE_CHECKING, since a
deferred import that closes a cycle is still a cycle in the design), as a graph of our own modules;
any strongly connected group of two or more is a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where each module's name starts, as Lambda and the local stack put them on sys.path.
SOURCES = {
    "layers/shared": ROOT / "layers" / "shared",
    "functions/api": ROOT / "functions" / "api",
    "functions/nudges": ROOT / "functions" / "nudges",
    "functions/reports": ROOT / "functions" / "reports",
    "local": ROOT,
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, base in SOURCES.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in path.parts or "templates" in path.parts:
                continue
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        wanted: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1] if package else []
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                wanted.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
        graph[name] = {own for own in (_ours(w, modules) for w in wanted) if own and own != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a deep graph cannot hit the recursion limit.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_our_modules_and_their_imports() -> None:
    # (so the next test cannot pass by reading nothing)
    graph = import_graph()
    assert {"quarterdeck.sails", "api_handler", "nudge_handler", "report_handler", "local.server"} <= set(graph)
    assert "quarterdeck.repositories.sails" in graph["quarterdeck.sails"]
    assert "api_reads.health" in graph["api_handler"]


def test_a_made_up_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_there_is_no_import_cycle() -> None:
    assert cycles(import_graph()) == []
