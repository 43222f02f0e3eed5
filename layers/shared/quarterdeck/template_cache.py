"""Templates compiled once, kept as Python next to them: a cold start loads, it does not compile.

jinja2 turns a template into Python source (lexing, parsing, code generation: the costly
part, tens of milliseconds for a report and its layout) and then into a code object. The
loader here keeps that Python source in `<template folder>/__pycache__/<name>.py`, as Python
keeps .pyc files, headed by a fingerprint of everything the generated code depends on (the
template's text, jinja2's version, the environment's syntax options and autoescape for the
name). A file whose fingerprint does not match is ignored and rewritten, so an edited
template is never served stale. Writing is best effort: on a read-only file system (Lambda's
/opt) the template is compiled in memory as before. `precompile(env)` fills the cache for a
whole folder; `python -m quarterdeck.template_cache` fills it for the app's email and report
templates (the layer's build runs it, as Lambda cannot write /opt).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

CACHE_DIR = "__pycache__"
HEADER = "# quarterdeck compiled template "


def fingerprint(environment: Any, name: str, source: str) -> str:
    """What the generated code depends on, hashed."""
    import jinja2

    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    options = (
        jinja2.__version__,
        name,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        bool(autoescape),
        tuple(sorted(environment.extensions)),
    )
    digest = hashlib.sha256(repr(options).encode("utf-8"))
    digest.update(source.encode("utf-8"))
    return digest.hexdigest()


def cache_path(filename: str, name: str) -> Path:
    """`<folder of the template>/__pycache__/<template file name>.py`."""
    file = Path(filename)
    return file.parent / CACHE_DIR / f"{file.name}.py"


def _read(path: Path, expected: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    first, _, body = text.partition("\n")
    return body if first == HEADER + expected else None


def _write(path: Path, header: str, python: str) -> None:
    """Atomically (a concurrent reader sees the old file or the new one), never raising."""
    try:
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"{HEADER}{header}\n{python}")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # read-only (Lambda's /opt) or full: compile in memory next time too


def compiled_code(environment: Any, name: str, source: str, filename: str | None) -> Any:
    """The template's code object: from the cached Python when it matches, else compiled (and cached)."""
    if filename is None:
        return environment.compile(source, name, filename)
    expected = fingerprint(environment, name, source)
    path = cache_path(filename, name)
    python = _read(path, expected)
    if python is None:
        python = environment.compile(source, name, filename, raw=True)
        _write(path, expected, python)
    return compile(python, filename, "exec")


@cache
def loader_class() -> type:
    """A FileSystemLoader whose templates go through `compiled_code` (jinja2 loads on first use)."""
    import jinja2

    class CachedFileSystemLoader(jinja2.FileSystemLoader):
        def load(
            self,
            environment: jinja2.Environment,
            name: str,
            globals: MutableMapping[str, Any] | None = None,  # noqa: A002 - jinja2's name
        ) -> jinja2.Template:
            source, filename, uptodate = self.get_source(environment, name)
            code = compiled_code(environment, name, source, filename)
            return environment.template_class.from_code(environment, code, globals or {}, uptodate)

    return CachedFileSystemLoader


def precompile(environment: Any, accept: Callable[[str], bool] = lambda name: not name.startswith(".")) -> int:
    """Compile every template of the environment's loader into the cache; returns how many."""
    names = [n for n in environment.list_templates() if accept(n) and f"/{CACHE_DIR}/" not in f"/{n}"]
    for name in names:
        environment.get_template(name)
    return len(names)
