"""The portfolio data model: what each key of the data file holds (docs/portfolio-schema.md),
checked by quarterdeck.reports.schema. Reading and validating a file is
quarterdeck.reports.portfolio (which also offers these names)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from quarterdeck.errors import ConfigurationError
from quarterdeck.reports.schema import Check, Items, Model, Num, Str

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
    plan_start: date | None = None  # the day `horizon_days` count from (default: `updated`): fixed deadlines

    @property
    def horizon_start(self) -> date:
        return self.plan_start or self.updated


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
