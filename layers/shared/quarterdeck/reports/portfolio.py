"""The portfolio data model: one TOML (or JSON) file, validated on load.

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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from quarterdeck.errors import ConfigurationError
from quarterdeck.reports.schema import Check, Items, Model, Num, SchemaError, Str, validate

if TYPE_CHECKING:
    from quarterdeck.config import Settings

Slug = Annotated[str, Str(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)]
Month = Annotated[str, Str(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Text = Annotated[str, Str(strip_whitespace=True, min_length=1, max_length=300)]
Money = Annotated[float, Num(ge=0)]
Rate = Annotated[float, Num(ge=0, le=1)]
Severity = Literal["critical", "high", "medium", "low"]
ReportKind = Literal["ceo", "cto", "cfo", "cmo", "accounting", "rental", "yacht_delivery", "client_portfolio"]
Metric = Literal["monthly_revenue", "net_burn", "runway_months", "charters_per_month"]
OWNER = "owner"
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[a-z]{2,}$")


def _recipient(value: str) -> str:
    if value != OWNER and not _EMAIL.match(value):
        raise ValueError('a recipient is an email address or "owner" (the deployment\'s OWNER_EMAIL)')
    return value


# A report's recipient: an email address, or "owner". No spaces or line breaks can reach a header.
Recipient = Annotated[str, Str(strip_whitespace=True, to_lower=True, max_length=254), Check(_recipient)]

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class PortfolioError(ConfigurationError):
    """The portfolio data file cannot be used; `field` names the bad key."""

    code = "portfolio_invalid"


class _Model(Model):
    """Frozen; unknown keys are refused (quarterdeck.reports.schema)."""


class Meta(_Model):
    example: bool = False
    updated: date
    currency: Literal["USD"] = "USD"
    note: str = ""


class Entity(_Model):
    id: Slug
    name: Text
    kind: Slug
    description: str = ""


class Asset(_Model):
    id: Slug
    name: Text
    kind: Literal["rental_property", "service_line", "client_portfolio"]
    entity: Slug
    description: str = ""


class WebOrPhysicalProperty(_Model):
    name: Text
    entity: Slug
    kind: Literal["website", "web_app", "vessel", "real_estate", "listing", "social"]


class RevenueStream(_Model):
    id: Slug
    name: Text
    entity: Slug
    asset: Slug | None = None
    model: Literal[
        "per_charter", "per_job", "retainer", "project", "hourly", "rent", "per_delivery", "per_ticket", "other"
    ]
    status: Literal["active", "planned", "dormant"]
    recognition: Literal["on_service", "on_booking", "over_period"] = "on_service"


class Expense(_Model):
    entity: Slug
    asset: Slug | None = None
    category: Slug
    name: Text
    monthly: Money
    vendor: str = ""


class RevenueEntry(_Model):
    month: Month
    stream: Slug
    amount: Money
    count: Annotated[int, Num(ge=0)] | None = None


class RevenueTarget(_Model):
    month: Month
    amount: Money


class Finance(_Model):
    cash_on_hand: Money | None = None
    cash_as_of: date | None = None
    low_cost_limit: Money = 500
    payback_months: Annotated[int, Num(ge=1, le=120)] = 6
    rules: list[Text] = []


class Charters(_Model):
    entity: Slug
    price: Money
    variable_costs: dict[Slug, Money] = {}


class Initiative(_Model):
    name: Text
    entity: Slug
    cost_once: Money = 0
    cost_monthly: Money = 0
    revenue_monthly: Money = 0


class Channel(_Model):
    id: Slug
    entity: Slug
    name: Text
    kind: Literal["email", "social", "search", "ota", "web", "referral", "ads", "directory"]
    status: Literal["active", "dormant", "none", "planned"]
    audience: Annotated[int, Num(ge=0)] | None = None
    last_used: date | None = None
    monthly_cost: Money = 0


class Campaign(_Model):
    name: Text
    channel: Slug
    audience: Annotated[int, Num(ge=0)] | None = None
    response_rate_low: Rate
    response_rate_high: Rate
    value_per_response: Money

    def check(self) -> None:
        if self.response_rate_low > self.response_rate_high:
            raise ValueError("response_rate_low is above response_rate_high")


class OtaListing(_Model):
    platform: Text
    entity: Slug
    order: Annotated[int, Num(ge=1)]
    status: Literal["not_started", "in_progress", "live"]
    blocked_by: str = ""
    commission: Rate | None = None


class SeoItem(_Model):
    entity: Slug
    title: Text
    horizon_days: Literal[30, 60, 90]
    done: bool = False


class Milestone(_Model):
    report: ReportKind
    title: Text
    owner: Text
    horizon_days: Annotated[int, Num(ge=1, le=730)] | None = None
    due: date | None = None
    done: bool = False
    metric: Metric | None = None
    target: float | None = None

    def check(self) -> None:
        if (self.horizon_days is None) == (self.due is None):
            raise ValueError("give exactly one of horizon_days or due")
        if (self.metric is None) != (self.target is None):
            raise ValueError("metric and target go together")


class Stack(_Model):
    entity: Slug
    summary: Text
    components: list[Text] = []
    ci: bool
    staging: bool
    automated_deploys: bool
    rollback: bool
    tests: bool
    monitoring: bool
    analytics: bool


class SecurityFinding(_Model):
    id: Text
    entity: Slug
    title: Text
    severity: Severity
    status: Literal["open", "fixed"]
    found: date
    effort_hours: Annotated[float, Num(gt=0)]


class UxGap(_Model):
    entity: Slug
    title: Text
    impact: Literal["high", "medium", "low"]


class CloudBill(_Model):
    month: Month
    vendor: Text
    amount: Money


class CloudSaving(_Model):
    title: Text
    vendor: Text
    monthly: Money
    done: bool = False


class EngineeringAction(_Model):
    title: Text
    entity: Slug
    monthly_value: Money = 0
    risk_value: Money = 0
    effort_hours: Annotated[float, Num(gt=0)]


class Kpi(_Model):
    name: Text
    entity: Slug | None = None
    tracked: bool


class Goal(_Model):
    title: Text
    entity: Slug
    due: date
    owner: Text
    done: bool = False


class Risk(_Model):
    title: Text
    entity: Slug
    kind: Literal["people", "market", "tech", "finance", "ops"]
    severity: Severity
    owner: Text


class Tenancy(_Model):
    tenant: Text
    start: date
    end: date | None = None
    monthly_rent: Money

    def check(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")


class LedgerEntry(_Model):
    date: date
    kind: Literal["rent", "maintenance", "repair", "utilities", "tax", "insurance", "other"]
    amount: Money
    note: str = ""


class Communication(_Model):
    date: date
    tenant: Text
    channel: Literal["email", "text", "phone", "in_person", "letter"]
    summary: Text


class Rental(_Model):
    asset: Slug
    monthly_rent: Money
    tenancies: list[Tenancy] = []
    ledger: list[LedgerEntry] = []
    communications: list[Communication] = []


DeliveryStatus = Literal["lead", "quoted", "scheduled", "underway", "completed", "cancelled"]


class Delivery(_Model):
    id: Text
    vessel: Text
    origin: Text
    destination: Text
    status: DeliveryStatus
    start: date | None = None
    end: date | None = None
    miles: Annotated[float, Num(gt=0)] | None = None
    fee: Money
    costs: dict[Slug, Money] = {}


class YachtDelivery(_Model):
    asset: Slug
    win_rates: dict[Literal["lead", "quoted", "scheduled", "underway"], Rate] = {}
    deliveries: list[Delivery] = []


class Client(_Model):
    name: Text
    since: date
    status: Literal["active", "paused", "churned"]
    billing: Literal["retainer", "hourly", "project", "none"]
    monthly: Money = 0
    outstanding: Money = 0
    last_paid: date | None = None
    services: str = ""


class ClientPortfolio(_Model):
    asset: Slug
    clients: list[Client] = []


class Account(_Model):
    number: Annotated[int, Num(ge=1, le=99999)]
    name: Text
    type: Literal["asset", "liability", "equity", "income", "expense"]
    categories: list[Slug] = []
    streams: list[Slug] = []


class Deposit(_Model):
    received: date
    stream: Slug
    amount: Money
    service_date: date


class Accounting(_Model):
    system: str = ""
    receipts: Text
    bank_feeds: bool
    monthly_close: bool
    separate_accounts: bool
    chart: list[Account] = []
    deposits: list[Deposit] = []


class Portfolio(_Model):
    schema_version: Literal[1]
    meta: Meta
    entities: list[Entity]
    assets: list[Asset] = []
    properties: list[WebOrPhysicalProperty] = []
    revenue_streams: list[RevenueStream] = []
    expenses: list[Expense] = []
    revenue: list[RevenueEntry] = []
    revenue_targets: list[RevenueTarget] = []
    finance: Finance = Finance()
    charters: Charters | None = None
    initiatives: list[Initiative] = []
    channels: list[Channel] = []
    campaigns: list[Campaign] = []
    ota_listings: list[OtaListing] = []
    seo: list[SeoItem] = []
    milestones: list[Milestone] = []
    stacks: list[Stack] = []
    security_findings: list[SecurityFinding] = []
    ux_gaps: list[UxGap] = []
    cloud_bills: list[CloudBill] = []
    cloud_savings: list[CloudSaving] = []
    engineering_actions: list[EngineeringAction] = []
    kpis: list[Kpi] = []
    goals: list[Goal] = []
    risks: list[Risk] = []
    rental: Rental | None = None
    yacht_delivery: YachtDelivery | None = None
    client_portfolio: ClientPortfolio | None = None
    accounting: Accounting | None = None
    # Who each report kind goes To, one message each (the archive BCC on every one); a kind
    # not listed goes to the owner.
    recipients: dict[ReportKind, Annotated[list[Recipient], Items(min_length=1, max_length=20)]] = {}

    def recipients_for(self, kind: str, owner: str) -> list[str]:
        """The kind's recipients, "owner" resolved to `owner`, each once, in the file's order."""
        listed = self.recipients.get(kind) or [OWNER]  # type: ignore[call-overload]
        resolved = [(owner if r == OWNER else r).strip().lower() for r in listed]
        return list(dict.fromkeys(r for r in resolved if r))

    # --- lookups the strategies use ---------------------------------------------------
    def entity_name(self, entity_id: str | None) -> str:
        for entity in self.entities:
            if entity.id == entity_id:
                return entity.name
        return entity_id or ""

    def asset_name(self, asset_id: str | None) -> str:
        for asset in self.assets:
            if asset.id == asset_id:
                return asset.name
        return asset_id or ""

    def stream(self, stream_id: str) -> RevenueStream | None:
        return next((s for s in self.revenue_streams if s.id == stream_id), None)


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


def _refuse(problems: list[tuple[str, str]], source: str) -> PortfolioError:
    shown = problems[:10]
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    message = f"The portfolio data file {source} is invalid: " + "; ".join(text for _, text in shown) + more
    return PortfolioError(message, field=problems[0][0])


def parse_portfolio(raw: bytes | str, *, source: str = "portfolio.toml") -> Portfolio:
    """Parse and validate the file's text (TOML, or JSON when it starts with '{')."""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PortfolioError(f"The portfolio data file {source} cannot be read: {error}", field="(syntax)") from error
    if not isinstance(data, dict):
        raise PortfolioError(f"The portfolio data file {source} must hold a table of keys.", field="(top level)")
    try:
        portfolio: Portfolio = validate(Portfolio, data)
    except SchemaError as error:
        raise _refuse([_describe(e) for e in error.errors()], source) from None
    problems = _check_references(portfolio)
    if problems:
        raise _refuse(problems, source)
    return portfolio


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
    return parse_portfolio(body, source=source)


def load_portfolio(path: str | Path | None = None, *, settings: Settings | None = None) -> Portfolio:
    """From a local file when `path` is given, otherwise from the data bucket of the settings."""
    if path is not None:
        return load_portfolio_file(path)
    from quarterdeck.config import get_settings

    settings = settings or get_settings()
    return load_portfolio_from_bucket(settings.data_bucket, settings.portfolio_key)
