"""The owner's figures in the app (issue 22): the portfolio read, edited, uploaded, compared and
restored, every save a new version (quarterdeck/repositories/portfolio.py).

The document is the portfolio file's keys as a JSON table (dates as `YYYY-MM-DD` text). Every
save is checked whole, as a report would read it (quarterdeck.reports.portfolio.check_document):
a bad value is refused naming its key, the record it is in and (for an uploaded file) its
line, and nothing is stored. A save names the version it was made from; a save from an older
one is refused (409) with nothing stored. Before the first save the portfolio is the data
bucket's file (version 0); the first save records that file as version 1, then the change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError, NotFoundError
from quarterdeck.reports.portfolio import (
    PortfolioError,
    check_document,
    read_bucket_file,
    read_document,
)
from quarterdeck.repositories.portfolio import PortfolioRepository, PortfolioVersion, Saved, stale_portfolio_error

CHANGES_KEPT = 50  # the changes a version's record lists (how many in all is counted)
FILE_MAX = 1_000_000  # characters of an uploaded file


class PortfolioVersionNotFoundError(NotFoundError):
    pass


# --- the document ----------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """The file's keys as JSON: dates and times as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """{'expenses[3].monthly': 120, ...}: every leaf of the document by its key path."""
    if isinstance(value, Mapping):
        if not value:
            return {path: {}} if path else {}
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(flatten(inner, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list) and value and any(isinstance(v, Mapping | list) for v in value):
        found = {}
        for n, inner in enumerate(value):
            found.update(flatten(inner, f"{path}[{n}]"))
        return found
    return {path: value}


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed from `before` to `after`, key path by key path (in the order of the file)."""
    old, new = flatten(before), flatten(after)
    paths = list(dict.fromkeys([*new, *old]))
    return [
        {"path": path, "before": old.get(path), "after": new.get(path)}
        for path in paths
        if old.get(path) != new.get(path)
    ]


def _refused(error: PortfolioError) -> InvalidInputError:
    return InvalidInputError(error.message, field=error.field or "document")


def checked(document: Any, *, source: str, text: str = "") -> dict[str, Any]:
    """The document, as JSON, if a report could read it; InvalidInputError naming the key otherwise."""
    if not isinstance(document, Mapping):
        raise InvalidInputError("The business data must be a table of keys.", field="document")
    data = plain(document)
    try:
        check_document(data, source=source, text=text)
    except PortfolioError as error:
        raise _refused(error) from None
    return dict(data)


# --- TOML out (the download) -------------------------------------------------------------------
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _key(name: str) -> str:
    return name if _BARE.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value if _DATE.match(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value if v is not None) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(lines: list[str], table: Mapping[str, Any], path: str) -> None:
    for name, value in table.items():
        if value is None or isinstance(value, Mapping) or _is_tables(value):
            continue
        lines.append(f"{_key(str(name))} = {_value(value)}")
    for name, value in table.items():
        inner = f"{path}.{_key(str(name))}" if path else _key(str(name))
        if isinstance(value, Mapping):
            lines += ["", f"[{inner}]"]
            _table(lines, value, inner)
        elif _is_tables(value):
            for item in value:
                lines += ["", f"[[{inner}]]"]
                _table(lines, item, inner)


def to_toml(document: Mapping[str, Any], *, header: str = "") -> str:
    """The document as a TOML file (reads back as the same document)."""
    lines = [f"# {line}" for line in header.splitlines()]
    _table(lines, document, "")
    return "\n".join(lines).lstrip("\n") + "\n"


# --- reads --------------------------------------------------------------------------------------
FileReader = Callable[[Settings], bytes]  # the data bucket's portfolio file


def bucket_file(settings: Settings) -> bytes:
    return read_bucket_file(settings.data_bucket, settings.portfolio_key)


def _from_file(settings: Settings, read_file: FileReader) -> dict[str, Any]:
    data, _ = read_document(read_file(settings), source=f"s3://{settings.data_bucket}/{settings.portfolio_key}")
    return dict(plain(data))


def current_portfolio(
    versions: PortfolioRepository, *, settings: Settings | None = None, read_file: FileReader = bucket_file
) -> dict[str, Any]:
    """The current version and its document (version 0: the data bucket's file, never saved here)."""
    current = versions.current()
    if current is None:
        settings = settings or get_settings()
        return {
            "version": 0,
            "at": None,
            "by": None,
            "how": f"the data file s3://{settings.data_bucket}/{settings.portfolio_key}",
            "changed": 0,
            "changes": [],
            "document": _from_file(settings, read_file),
        }
    info, document = current
    return {**info.fields(), "document": document}


def list_versions(versions: PortfolioRepository) -> list[dict[str, Any]]:
    return [info.fields() for info in versions.versions()]


def one_version(versions: PortfolioRepository, version: int) -> dict[str, Any]:
    """A version with its document, and what differs from it in the current version."""
    found, current = versions.version_and_current(version)
    if found is None:
        raise PortfolioVersionNotFoundError(f"There is no version {version} of the business data.", field="version")
    info, document = found
    now = current[1] if current is not None else document
    return {**info.fields(), "document": document, "to_current": differences(document, now)}


# --- writes -------------------------------------------------------------------------------------
def save_portfolio(
    versions: PortfolioRepository,
    actor: str,
    *,
    version: int,
    document: Any,
    how: str = "edited",
    text: str = "",
    settings: Settings | None = None,
    clock: Clock = system_clock,
    read_file: FileReader = bucket_file,
    read_current: Callable[[], Saved | None] | None = None,
) -> dict[str, Any]:
    """Save `document` as the next version if the current one is still `version`. Refused whole
    (InvalidInputError naming the key) if a report could not read it; StaleVersionError (409)
    if someone saved since; a document equal to the current one stores nothing. The current
    version is read once the input is known good (`read_current`: a caller that has it already)."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise InvalidInputError("The version must be the version the change was made from.", field="version")
    clean = checked(document, source="as saved" if not text else "uploaded", text=text)
    current = (read_current or versions.current)()
    at = current[0].version if current is not None else 0
    if at != version:
        raise stale_portfolio_error(at)
    if current is None:  # the first save: the bucket's file becomes version 1, then the change
        first = _from_file(settings or get_settings(), read_file)
        versions.save(first, PortfolioVersion(1, iso(clock()), actor, "imported from the data file"))
        current = (PortfolioVersion(1, "", actor, ""), first)
    before = current[1]
    changes = differences(before, clean)
    if not changes:
        return current_portfolio(versions, settings=settings, read_file=read_file)
    info = PortfolioVersion(
        current[0].version + 1, iso(clock()), actor, how, len(changes), tuple(changes[:CHANGES_KEPT])
    )
    versions.save(clean, info)
    return {**info.fields(), "document": clean}


def upload_portfolio(
    versions: PortfolioRepository,
    actor: str,
    *,
    version: int,
    text: str,
    **options: Any,
) -> dict[str, Any]:
    """The whole file (TOML or JSON) as the next version: refused whole, naming each bad key's line."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("Choose a portfolio file (TOML or JSON) to upload.", field="text")
    if len(text) > FILE_MAX:
        raise InvalidInputError(f"The file must be at most {FILE_MAX:,} characters.", field="text")
    try:
        data, _ = read_document(text, source="uploaded")
    except PortfolioError as error:
        raise InvalidInputError(error.message, field="text") from None
    return save_portfolio(versions, actor, version=version, document=data, how="uploaded", text=text, **options)


def restore_version(
    versions: PortfolioRepository,
    actor: str,
    restored: int,
    *,
    version: int,
    **options: Any,
) -> dict[str, Any]:
    """Version `restored`'s document as the next version (the versions between stay)."""
    found, current = versions.version_and_current(restored)  # one read: the version and what it replaces
    if found is None:
        raise PortfolioVersionNotFoundError(f"There is no version {restored} of the business data.", field="version")
    return save_portfolio(
        versions,
        actor,
        version=version,
        document=found[1],
        how=f"restored version {restored}",
        read_current=lambda: current,
        **options,
    )


def download_portfolio(versions: PortfolioRepository, **options: Any) -> tuple[str, str]:
    """The current version as a TOML file: (file name, text)."""
    current = current_portfolio(versions, **options)
    header = (
        f"Quarterdeck portfolio data, version {current['version']} ({current['how']}"
        + (f", {current['at']} by {current['by']}" if current["at"] else "")
        + ").\nEvery key: docs/portfolio-schema.md. Upload it back on the Business data page."
    )
    return f"portfolio-v{current['version']}.toml", to_toml(current["document"], header=header)
