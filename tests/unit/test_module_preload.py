"""index.html names every module app.js imports statically (the sail page and what it needs for
its first render) as a modulepreload hint, so a phone fetches them at once instead of one import
level after another (bench stage 8: the sail page's cold load on a throttled phone went from
3.2 s to 2.1 s with them); the other views load when first opened and are not hinted (their
bytes would count against a crew member's phone on every cold load). sw.js carries a hash of
the app's files, so a deploy that changes any of them installs a new worker (a new shell)."""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
# Top-level `import ... from '...'`, `export ... from '...'` and `import '...'`; never `import(...)`.
STATIC_IMPORT = re.compile(r"""^(?:(?:import|export)\s+[\w\s{},*$]*?\bfrom\s*|import\s*)['"]([^'"]+)['"]""", re.M)


def static_closure(entry: str) -> set[str]:
    """The modules `entry` (a path under frontend/) loads before it runs, itself included."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        assert (FRONTEND / module).is_file(), f"{module} is imported but does not exist"
        seen.add(module)
        source = (FRONTEND / module).read_text(encoding="utf-8")
        for specifier in STATIC_IMPORT.findall(source):
            base = "" if specifier.startswith("/") else posixpath.dirname(module)
            todo.append(posixpath.normpath(posixpath.join(base, specifier.lstrip("/"))))
    return seen


def shell_version() -> str:
    """What sw.js's SHELL_VERSION must be: a hash of every file under frontend/ but sw.js."""
    digest = hashlib.sha256()
    for path in sorted(p for p in FRONTEND.rglob("*") if p.is_file() and p.name != "sw.js"):
        digest.update(str(path.relative_to(FRONTEND)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def test_the_hints_are_exactly_what_the_page_scripts_import_statically() -> None:
    # Given index.html's modulepreload hints and its module scripts' static import graphs
    page = (FRONTEND / "index.html").read_text(encoding="utf-8")
    hinted = set(re.findall(r'<link rel="modulepreload" href="/([^"]+)">', page))
    scripts = set(re.findall(r'<script type="module" src="/([^"]+)"></script>', page))
    needed = set().union(*(static_closure(script) for script in scripts)) - scripts

    # Then the sail page is part of the first load, and nothing it needs is left to an import chain
    assert "js/views/sail_page.js" in needed
    assert "js/app.js" in scripts
    assert needed - hinted == set(), "imported by a page script but not preloaded"
    # And no hint fetches what the first render does not run (a lazily loaded view)
    assert hinted - needed == set(), "preloaded but not imported by a page script"


def test_every_view_is_reachable_from_a_route() -> None:
    # Given the views under frontend/js/views and the routes of app.js (static or lazy)
    app = (FRONTEND / "js/app.js").read_text(encoding="utf-8")
    lazy = {posixpath.normpath(posixpath.join("js", f)) for f in re.findall(r"lazy\('([^']+)'", app)}
    views = {str(p.relative_to(FRONTEND)) for p in FRONTEND.glob("js/views/*.js")}

    # Then each view is loaded one way or the other, and every lazy route names a file that exists
    assert views - lazy - static_closure("js/app.js") == set()
    assert lazy - views == set()


def test_the_service_worker_carries_the_version_of_the_files() -> None:
    # Given sw.js and the files it serves
    worker = (FRONTEND / "sw.js").read_text(encoding="utf-8")
    stamped = re.search(r"^const SHELL_VERSION = '([0-9a-f]+)';", worker, re.M)

    # Then its stamp is theirs (after changing a file under frontend/, paste the expected value)
    assert stamped, "sw.js has no SHELL_VERSION"
    assert stamped.group(1) == shell_version(), f"set SHELL_VERSION in frontend/sw.js to '{shell_version()}'"
