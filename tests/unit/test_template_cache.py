"""Templates keep their compiled Python next to them: a cold start loads them, never a stale one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quarterdeck.mail import template_environment
from quarterdeck.template_cache import CACHE_DIR


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def counting_compiles(env: Any) -> list[str]:
    """Names jinja2 had to compile from source (lex, parse, generate) in this environment."""
    compiled: list[str] = []
    original = env.compile

    def compile_(source: str, name: str | None = None, filename: str | None = None, raw: bool = False) -> Any:
        compiled.append(str(name))
        return original(source, name, filename, raw=raw)

    env.compile = compile_
    return compiled


def test_a_second_process_loads_the_compiled_template_instead_of_compiling(tmp_path: Path) -> None:
    # Given a template rendered once (a first cold start)
    write(tmp_path, "hello.html", "Hello {{ name }}!")
    assert template_environment(tmp_path).get_template("hello.html").render(name="<Ann>") == "Hello &lt;Ann&gt;!"
    # When a new environment (the next cold start) renders it
    env = template_environment(tmp_path)
    compiled = counting_compiles(env)
    text = env.get_template("hello.html").render(name="<Bo>")
    # Then it is the same page, and nothing was compiled from source
    assert text == "Hello &lt;Bo&gt;!"
    assert compiled == []
    assert (tmp_path / CACHE_DIR / "hello.html.py").exists()


def test_an_edited_template_is_never_served_stale(tmp_path: Path) -> None:
    # Given a template compiled and cached
    write(tmp_path, "note.txt", "old text {{ n }}")
    assert template_environment(tmp_path).get_template("note.txt").render(n=1) == "old text 1"
    # When the template is edited (a new deploy)
    write(tmp_path, "note.txt", "new text {{ n }}")
    # Then the next process renders the new text
    assert template_environment(tmp_path).get_template("note.txt").render(n=2) == "new text 2"


def test_autoescape_is_part_of_what_the_cache_tells_apart(tmp_path: Path) -> None:
    # Given the same text as an .html (escaped) and a .txt (not escaped) template
    write(tmp_path, "a.html", "{{ x }}")
    write(tmp_path, "a.txt", "{{ x }}")
    env = template_environment(tmp_path)
    assert env.get_template("a.html").render(x="<b>") == "&lt;b&gt;"
    assert env.get_template("a.txt").render(x="<b>") == "<b>"
    # Then a second process still tells them apart
    again = template_environment(tmp_path)
    assert again.get_template("a.html").render(x="<b>") == "&lt;b&gt;"
    assert again.get_template("a.txt").render(x="<b>") == "<b>"


def test_a_read_only_folder_still_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a template folder that cannot be written to (Lambda's /opt)
    import errno

    write(tmp_path, "page.html", "{% for i in items %}{{ i }}{% endfor %}")

    def read_only(*_: Any, **__: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("quarterdeck.template_cache.tempfile.mkstemp", read_only)
    # Then the template renders, compiled in memory, and nothing is left behind
    assert template_environment(tmp_path).get_template("page.html").render(items=[1, 2]) == "12"
    assert not list((tmp_path / CACHE_DIR).glob("*.py"))


def test_a_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    # Given a cache file that is not ours (truncated, or from another version)
    write(tmp_path, "x.txt", "value {{ v }}")
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / CACHE_DIR / "x.txt.py").write_text("garbage(", encoding="utf-8")
    # Then the template still renders, and the file is rewritten
    assert template_environment(tmp_path).get_template("x.txt").render(v=3) == "value 3"
    env = template_environment(tmp_path)
    compiled = counting_compiles(env)
    assert env.get_template("x.txt").render(v=4) == "value 4"
    assert compiled == []


def test_the_build_step_compiles_every_email_and_report_template() -> None:
    # Given the app's template folders
    from quarterdeck.mail import TEMPLATE_DIR as EMAIL_DIR
    from quarterdeck.reports.render import TEMPLATE_DIR as REPORT_DIR
    from quarterdeck.template_precompile import precompile_app_templates

    # When the layer's build step runs (python -m quarterdeck.template_precompile)
    count = precompile_app_templates()
    # Then each template has its compiled Python next to it
    sources = [p for folder in (EMAIL_DIR, REPORT_DIR) for p in folder.iterdir() if p.is_file()]
    assert count == len(sources)
    assert all((p.parent / CACHE_DIR / f"{p.name}.py").exists() for p in sources)
