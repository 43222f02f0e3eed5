"""A function's cold start pauses the cyclic garbage collector only while it loads and serves
its first event (quarterdeck.coldstart), never for good."""

from __future__ import annotations

import ast
import gc
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from quarterdeck import coldstart

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HANDLERS = [
    FUNCTIONS / "api" / "api_handler.py",
    FUNCTIONS / "nudges" / "nudge_handler.py",
    FUNCTIONS / "reports" / "report_handler.py",
]


@pytest.fixture
def fresh_start() -> Iterator[None]:
    """coldstart as a new container imports it: collection pauses, no request served yet."""
    was_enabled = gc.isenabled()
    gc.enable()
    importlib.reload(coldstart)
    yield
    coldstart.loaded()
    if not was_enabled:
        gc.disable()


def test_collection_pauses_while_the_handler_loads_and_resumes_after(fresh_start: None) -> None:
    # Given a container importing the handler (coldstart comes first)
    assert not gc.isenabled()
    # When its modules are in
    coldstart.loaded()
    # Then the collector runs again
    assert gc.isenabled()


def test_the_first_request_runs_paused_and_later_ones_untouched(fresh_start: None) -> None:
    coldstart.loaded()
    # When the first request is served, collection is paused during it and resumes after
    with coldstart.first_request():
        assert not gc.isenabled()
    assert gc.isenabled()
    # And every later request runs with the collector on
    with coldstart.first_request():
        assert gc.isenabled()
    assert gc.isenabled()


def test_a_first_request_that_fails_still_resumes_collection(fresh_start: None) -> None:
    coldstart.loaded()
    with pytest.raises(RuntimeError), coldstart.first_request():
        raise RuntimeError("the route failed")
    assert gc.isenabled()


def test_a_process_that_turned_collection_off_keeps_it_off() -> None:
    # Given a process that runs without the cyclic collector
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        # When the handler is imported and serves its first request
        importlib.reload(coldstart)
        coldstart.loaded()
        with coldstart.first_request():
            pass
        # Then collection stays off, as the process wanted
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda path: path.parent.name)
def test_coldstart_is_each_handlers_first_import(handler: Path) -> None:
    """The pause only covers what is imported after it (import sorting must keep it first)."""
    tree = ast.parse(handler.read_text(encoding="utf-8"))
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    modules = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in imports
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    assert modules[0] == "quarterdeck" and imports[1].names[0].name == "coldstart"
    # And the handler says when its modules are in
    assert "coldstart.loaded()" in handler.read_text(encoding="utf-8")
