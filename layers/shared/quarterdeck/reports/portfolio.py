"""The portfolio: one TOML (or JSON) file, read and validated on load (the model of its keys is
quarterdeck.reports.portfolio_model).

Every key of the file is described in docs/portfolio-schema.md. A file that does not match is
refused with `PortfolioError`, whose message and `field` name the bad key as a path
(`expenses[3].monthly`), so the owner can find it; nothing is sent from a refused file.
In AWS the file is read from the data bucket (`DATA_BUCKET`/`PORTFOLIO_KEY`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.reports.portfolio_model import (
    SEVERITY_ORDER,
    Initiative,
    Portfolio,
    PortfolioError,
)
from quarterdeck.reports.schema import SchemaError, validate

if TYPE_CHECKING:
    from quarterdeck.config import Settings

__all__ = [
    "SEVERITY_ORDER",
    "Initiative",
    "Portfolio",
    "PortfolioError",
    "check_document",
    "load_portfolio",
    "load_portfolio_file",
    "load_portfolio_from_bucket",
    "parse_portfolio",
    "read_document",
]


# --- loading -------------------------------------------------------------------------------
def _path(location: Iterable[Any]) -> str:
    """('expenses', 3, 'monthly') -> 'expenses[3].monthly'."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    location = [part for part in error.get("loc", ()) if not str(part).startswith("function-after")]
    # Union members add their type name to the location (e.g. 'int'); drop those.
    location = [p for p in location if p not in ("int", "float", "str", "date", "bool", "constrained-int", "[key]")]
    key = _path(location) or "(top level)"
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return key, f"{key}: unknown key (check its spelling; docs/portfolio-schema.md lists the keys)"
    if kind == "missing":
        return key, f"{key}: required key is missing"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    value = error.get("input")
    shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
    return key, f"{key}: {message}{shown}"


def _unique(items: Iterable[tuple[int, str]], where: str, problems: list[tuple[str, str]]) -> None:
    seen: Counter[str] = Counter()
    for index, value in items:
        seen[value] += 1
        if seen[value] == 2:
            problems.append((f"{where}[{index}].id", f"{where}[{index}].id: duplicate id {value!r}"))


def _check_references(portfolio: Portfolio) -> list[tuple[str, str]]:
    """Cross-references a schema cannot express: every id used is defined, ids are unique."""
    problems: list[tuple[str, str]] = []
    entities = {e.id for e in portfolio.entities}
    assets = {a.id for a in portfolio.assets}
    streams = {s.id for s in portfolio.revenue_streams}
    channels = {c.id for c in portfolio.channels}
    _unique(enumerate(e.id for e in portfolio.entities), "entities", problems)
    _unique(enumerate(a.id for a in portfolio.assets), "assets", problems)
    _unique(enumerate(s.id for s in portfolio.revenue_streams), "revenue_streams", problems)
    _unique(enumerate(c.id for c in portfolio.channels), "channels", problems)

    def need(known: set[str], value: str | None, key: str, what: str) -> None:
        if value is not None and value not in known:
            choices = ", ".join(sorted(known)) or "none defined"
            problems.append((key, f"{key}: unknown {what} {value!r} (known: {choices})"))

    sections: list[tuple[str, Iterable[Any]]] = [
        ("assets", portfolio.assets),
        ("properties", portfolio.properties),
        ("revenue_streams", portfolio.revenue_streams),
        ("expenses", portfolio.expenses),
        ("initiatives", portfolio.initiatives),
        ("channels", portfolio.channels),
        ("ota_listings", portfolio.ota_listings),
        ("seo", portfolio.seo),
        ("stacks", portfolio.stacks),
        ("security_findings", portfolio.security_findings),
        ("ux_gaps", portfolio.ux_gaps),
        ("engineering_actions", portfolio.engineering_actions),
        ("kpis", portfolio.kpis),
        ("goals", portfolio.goals),
        ("risks", portfolio.risks),
    ]
    for name, items in sections:
        for index, item in enumerate(items):
            need(entities, getattr(item, "entity", None), f"{name}[{index}].entity", "entity")
            need(assets, getattr(item, "asset", None), f"{name}[{index}].asset", "asset")
    if portfolio.charters:
        need(entities, portfolio.charters.entity, "charters.entity", "entity")
    for index, entry in enumerate(portfolio.revenue):
        need(streams, entry.stream, f"revenue[{index}].stream", "revenue stream")
    for index, campaign in enumerate(portfolio.campaigns):
        need(channels, campaign.channel, f"campaigns[{index}].channel", "channel")
    for section in ("rental", "yacht_delivery", "client_portfolio"):
        part = getattr(portfolio, section)
        if part is not None:
            need(assets, part.asset, f"{section}.asset", "asset")
    if portfolio.accounting:
        for index, account in enumerate(portfolio.accounting.chart):
            for n, stream in enumerate(account.streams):
                need(streams, stream, f"accounting.chart[{index}].streams[{n}]", "revenue stream")
        for index, deposit in enumerate(portfolio.accounting.deposits):
            need(streams, deposit.stream, f"accounting.deposits[{index}].stream", "revenue stream")
    for kind, listed in portfolio.recipients.items():
        for index, recipient in enumerate(listed):
            if recipient in listed[:index]:
                key = f"recipients.{kind}[{index}]"
                problems.append((key, f"{key}: {recipient} is listed twice"))
    months = Counter((t.month) for t in portfolio.revenue_targets)
    for index, target in enumerate(portfolio.revenue_targets):
        if months[target.month] > 1:
            problems.append(
                (f"revenue_targets[{index}].month", f"revenue_targets[{index}].month: {target.month} appears twice")
            )
            months[target.month] = 1
    return problems


def _refuse(problems: list[tuple[str, str]], source: str, text: str = "") -> PortfolioError:
    if text:  # a file: each problem says its line
        problems = [(key, _at_line(text, key) + message) for key, message in problems]
    shown = problems[:10]
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    message = f"The portfolio data file {source} is invalid: " + "; ".join(text for _, text in shown) + more
    return PortfolioError(message, field=problems[0][0])


_STEP = re.compile(r"([A-Za-z0-9_]+)(?:\[(\d+)\])?")


def line_of(text: str, key: str) -> int | None:
    """The line of a TOML file where `key` (`expenses[3].monthly`) is written, best effort:
    the table header of each `[n]` step (`[[expenses]]`, counted), then the key's own line."""
    lines = text.splitlines()
    steps = [(m.group(1), None if m.group(2) is None else int(m.group(2))) for m in _STEP.finditer(key)]
    if not steps:
        return None
    start, table = 0, ""
    for n, (name, index) in enumerate(steps):
        path = f"{table}.{name}" if table else name
        if index is not None and n < len(steps) - 1:  # an array of tables: its index-th header
            header = re.compile(r"^\s*\[\[\s*" + re.escape(path) + r"\s*\]\]")
            hits = [i for i, line in enumerate(lines) if i >= start and header.match(line)]
            if index >= len(hits):
                return None
            start, table = hits[index], path
            continue
        header = re.compile(r"^\s*\[\s*" + re.escape(path) + r"\s*\]")
        found = next((i for i, line in enumerate(lines) if i >= start and header.match(line)), None)
        if found is not None and n < len(steps) - 1:
            start, table = found, path
            continue
        assignment = re.compile(r"^\s*" + re.escape(name) + r"\s*=")
        hit = next((i for i, line in enumerate(lines) if i >= start and assignment.match(line)), None)
        return None if hit is None else hit + 1
    return start + 1


def _at_line(text: str, key: str) -> str:
    line = line_of(text, key)
    return f"line {line}, " if line else ""


def _named(data: Mapping[str, Any], problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each problem inside a list of records also names the record (its id or name)."""
    named = []
    for key, message in problems:
        match = re.match(r"^([A-Za-z0-9_.]+)\[(\d+)\]", key)
        record: Any = None
        if match:
            record = data
            for part in match.group(1).split("."):
                record = record.get(part) if isinstance(record, Mapping) else None
            index = int(match.group(2))
            record = record[index] if isinstance(record, list) and index < len(record) else None
        label = None
        if isinstance(record, Mapping):
            context = " ".join(str(record[k]) for k in ("entity", "stream", "month") if isinstance(record.get(k), str))
            label = record.get("id") or record.get("name") or context
        named.append((key, f"{message} [{label}]" if label else message))
    return named


def check_document(data: Any, *, source: str = "portfolio", text: str = "") -> Portfolio:
    """Validate the portfolio's document (the file's keys as a table); PortfolioError names every
    bad key as a path, the record it is in, and (with the file's `text`) its line."""
    if not isinstance(data, dict):
        raise PortfolioError(f"The portfolio data file {source} must hold a table of keys.", field="(top level)")
    try:
        portfolio: Portfolio = validate(Portfolio, data)
    except SchemaError as error:
        raise _refuse(_named(data, [_describe(e) for e in error.errors()]), source, text) from None
    problems = _check_references(portfolio)
    if problems:
        raise _refuse(_named(data, problems), source, text)
    return portfolio


def read_document(raw: bytes | str, *, source: str = "portfolio.toml") -> tuple[dict[str, Any], str]:
    """The file's keys (TOML, or JSON when it starts with '{') and its text; not yet validated."""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PortfolioError(f"The portfolio data file {source} cannot be read: {error}", field="(syntax)") from error
    return data, text


def parse_portfolio(raw: bytes | str, *, source: str = "portfolio.toml") -> Portfolio:
    """Parse and validate the file's text (TOML, or JSON when it starts with '{')."""
    data, text = read_document(raw, source=source)
    return check_document(data, source=source, text=text)


def load_portfolio_file(path: str | Path) -> Portfolio:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise PortfolioError(
            f"The portfolio data file {file} cannot be opened: {error.strerror}.", field="(file)"
        ) from error
    return parse_portfolio(raw, source=str(file))


def load_portfolio_from_bucket(bucket: str, key: str) -> Portfolio:
    """The portfolio as stored in the data bucket (one S3 GetObject)."""
    return parse_portfolio(read_bucket_file(bucket, key), source=f"s3://{bucket}/{key}")


def read_bucket_file(bucket: str, key: str) -> bytes:
    """The portfolio file's bytes in the data bucket (one S3 GetObject)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from quarterdeck.clients import client

    source = f"s3://{bucket}/{key}"
    if not bucket:
        raise PortfolioError("No data bucket is configured (DATA_BUCKET) to read the portfolio from.", field="(file)")
    try:
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NoSuchBucket"):
            raise PortfolioError(f"The portfolio data file {source} does not exist.", field="(file)") from error
        raise PortfolioError(f"The portfolio data file {source} cannot be read ({code}).", field="(file)") from error
    except BotoCoreError as error:
        raise PortfolioError(f"The portfolio data file {source} cannot be read: {error}.", field="(file)") from error
    return bytes(body)


def load_portfolio(path: str | Path | None = None, *, settings: Settings | None = None) -> Portfolio:
    """From a local file when `path` is given; otherwise the current version saved in the app
    (quarterdeck.reports.portfolio_versions), or, before the first save, the data bucket's file."""
    if path is not None:
        return load_portfolio_file(path)
    from quarterdeck.config import get_settings
    from quarterdeck.reports import wiring

    settings = settings or get_settings()
    current = wiring.portfolio_versions().current()
    if current is not None:
        info, document = current
        return check_document(document, source=f"version {info.version}")
    return load_portfolio_from_bucket(settings.data_bucket, settings.portfolio_key)
