"""ApiFunction's cold start pauses the cyclic garbage collector only while it loads and serves
its first request (functions/api/api_coldstart.py), never for good."""

from __future__ import annotations

import ast
import gc
import importlib
from collections.abc import Iterator
from pathlib import Path

import api_coldstart
import pytest

HANDLER = Path(__file__).resolve().parents[2] / "functions" / "api" / "api_handler.py"


@pytest.fixture
def fresh_start() -> Iterator[None]:
    """api_coldstart as a new container imports it: collection pauses, no request served yet."""
    was_enabled = gc.isenabled()
    gc.enable()
    importlib.reload(api_coldstart)
    yield
    api_coldstart.loaded()
    if not was_enabled:
        gc.disable()


def test_collection_pauses_while_the_handler_loads_and_resumes_after(fresh_start: None) -> None:
    # Given a container importing the handler (api_coldstart comes first)
    assert not gc.isenabled()
    # When its modules are in
    api_coldstart.loaded()
    # Then the collector runs again
    assert gc.isenabled()


def test_the_first_request_runs_paused_and_later_ones_untouched(fresh_start: None) -> None:
    api_coldstart.loaded()
    # When the first request is served, collection is paused during it and resumes after
    with api_coldstart.first_request():
        assert not gc.isenabled()
    assert gc.isenabled()
    # And every later request runs with the collector on
    with api_coldstart.first_request():
        assert gc.isenabled()
    assert gc.isenabled()


def test_a_first_request_that_fails_still_resumes_collection(fresh_start: None) -> None:
    api_coldstart.loaded()
    with pytest.raises(RuntimeError), api_coldstart.first_request():
        raise RuntimeError("the route failed")
    assert gc.isenabled()


def test_a_process_that_turned_collection_off_keeps_it_off() -> None:
    # Given a process that runs without the cyclic collector
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        # When the handler is imported and serves its first request
        importlib.reload(api_coldstart)
        api_coldstart.loaded()
        with api_coldstart.first_request():
            pass
        # Then collection stays off, as the process wanted
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()


def test_api_coldstart_is_the_handlers_first_app_import() -> None:
    """The pause only covers what is imported after it (import sorting must keep it first)."""
    tree = ast.parse(HANDLER.read_text(encoding="utf-8"))
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    app_modules = [
        (node.names[0].name if isinstance(node, ast.Import) else node.module or "")
        for node in imports
        if not (isinstance(node, ast.ImportFrom) and node.module in ("__future__", "functools", "typing"))
        and not (isinstance(node, ast.Import) and node.names[0].name == "json")
    ]
    assert app_modules[0] == "api_coldstart"
