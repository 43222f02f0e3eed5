"""Live AWS figures for the CTO and CFO reports, each read with one narrow, read-only call.

    CloudWatch GetMetricData        per function: Invocations (Sum), Errors (Sum) over the period;
                                    Duration p95 in a call of its own (an emulator without
                                    percentiles fails that call alone)
    DynamoDB DescribeTable          the table's ItemCount and TableSizeBytes
    CloudWatch GetMetricData        CloudFront (us-east-1, Region=Global): Requests (Sum),
                                    CacheHitRate (Average; published only with the
                                    distribution's additional metrics)
    Cost Explorer GetCostAndUsage   cost by service, last month and month to date (one call)

Every source is optional: a refusal (AccessDenied), a missing setting, an error of the
service or of the emulator becomes an `Unavailable` entry naming the source and the reason,
and the report still goes out. The IAM actions these need are exactly ReportFunction's
`ReportSources*` statements in template.yaml.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from quarterdeck.observability import logger
from quarterdeck.reports.sources import Unavailable, reason_of

if TYPE_CHECKING:
    from quarterdeck.config import Settings
    from quarterdeck.reports.periods import Period

LAMBDA = "CloudWatch: Lambda invocations and errors"
LAMBDA_P95 = "CloudWatch: Lambda duration p95"
TABLE = "DynamoDB: table size"
CDN = "CloudWatch (us-east-1): CloudFront requests and cache hit rate"
COST = "Cost Explorer: cost by service"
SOURCES = (LAMBDA, LAMBDA_P95, TABLE, CDN, COST)

CLOUDFRONT_REGION = "us-east-1"  # CloudFront publishes its metrics there (Region=Global)
COST_EXPLORER_REGION = "us-east-1"  # Cost Explorer's one endpoint
HOUR = 3600
CENT = 0.005  # services that cost less than half a cent in both months are left out

ClientFactory = Callable[[str, str | None], Any]


# --- clients ----------------------------------------------------------------------------------
APP_CLIENTS = ("s3", "dynamodb")  # the app's own clients: already made for the portfolio and the table


@cache
def _client(service: str, region: str | None, endpoint: str) -> Any:
    from botocore.config import Config

    from quarterdeck import clients

    # Fewer retries than the app's clients: these figures are optional, and a failing source
    # must not hold the report (or the 120 s Lambda timeout) for long. Made from the app's one
    # session, which already holds the endpoint and partition data (a session of our own
    # would read them again: tens of milliseconds of a cold start).
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3, read_timeout=10)
    return clients.new_client(service, region, config)


def source_client(service: str, region: str | None = None) -> Any:
    """The client a report source uses (tests register botocore events on it): the app's cached
    one for S3 and DynamoDB (no second client to create on a cold start), one of our own with
    fewer retries for CloudWatch and Cost Explorer."""
    if service in APP_CLIENTS:
        from quarterdeck.clients import client

        return client(service, region)
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL", ""))


# --- figures ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The stretch of time the figures cover: the report's period, up to now."""

    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def metric_period(self) -> int:
        """One CloudWatch period spanning the whole window (whole hours: valid at every data age)."""
        return max(HOUR, -(-self.seconds // HOUR) * HOUR)


@dataclass(frozen=True)
class FunctionFigures:
    label: str  # what the function is (api, nudges, reports)
    name: str  # its Lambda name
    invocations: float
    errors: float
    p95_ms: float | None = None  # None: not read, or no invocation in the window

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.invocations if self.invocations else None


@dataclass(frozen=True)
class TableFigures:
    name: str
    items: int
    size_bytes: int


@dataclass(frozen=True)
class CdnFigures:
    distribution_id: str
    requests: float
    cache_hit_rate: float | None  # 0..1; None when CloudFront publishes no CacheHitRate


@dataclass(frozen=True)
class ServiceCost:
    service: str
    last_month: float
    month_to_date: float


@dataclass(frozen=True)
class CostFigures:
    month: str  # yyyy-mm of the report's day
    last_month: str
    through: date  # the last day counted (Cost Explorer's end date is exclusive)
    services: tuple[ServiceCost, ...]
    total_last_month: float
    total_month_to_date: float | None  # None: no complete day of this month yet
    days_counted: int
    days_in_month: int
    unit: str = "USD"

    @property
    def projected_month(self) -> float | None:
        """This month at the pace so far (month to date / days counted x days in the month)."""
        if self.total_month_to_date is None or self.days_counted <= 0:
            return None
        return self.total_month_to_date / self.days_counted * self.days_in_month


@dataclass
class AwsFigures:
    window: Window | None
    functions: list[FunctionFigures] | None = None
    table: TableFigures | None = None
    cdn: CdnFigures | None = None
    cost: CostFigures | None = None
    unavailable: list[Unavailable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a reader should know (no data yet, ...)

    def reason(self, source: str) -> str | None:
        """Why `source` is unavailable, or None when it was read."""
        return next((u.reason for u in self.unavailable if u.source == source), None)

    @property
    def p95_read(self) -> bool:
        return self.reason(LAMBDA_P95) is None and self.functions is not None


def window_for(period: Period, now: datetime, settings: Settings) -> Window | None:
    """The period's days (in the business's time zone) up to `now`; None before it begins."""
    tz = settings.timezone
    start = datetime.combine(period.start, time(0), tz).astimezone(UTC)
    end = min(datetime.combine(period.end + timedelta(days=1), time(0), tz).astimezone(UTC), now.astimezone(UTC))
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    return Window(start, end) if end > start else None


# --- reading ----------------------------------------------------------------------------------
def _metric_values(cloudwatch: Any, queries: list[dict[str, Any]], window: Window) -> dict[str, list[float]]:
    """Every query's values over the window (GetMetricData, following NextToken)."""
    values: dict[str, list[float]] = {q["Id"]: [] for q in queries}
    request: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": window.start,
        "EndTime": window.end,
        "ScanBy": "TimestampAscending",
    }
    while True:
        answer = cloudwatch.get_metric_data(**request)
        for result in answer.get("MetricDataResults", []):
            values.setdefault(result["Id"], []).extend(float(v) for v in result.get("Values", []))
        token = answer.get("NextToken")
        if not token:
            return values
        request["NextToken"] = token


def _stat(
    query_id: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str, period: int
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def read_functions(
    functions: Sequence[tuple[str, str]], window: Window, client: ClientFactory
) -> tuple[list[FunctionFigures] | None, list[Unavailable]]:
    """Invocations and errors (one call), then Duration p95 (a second call)."""
    if not functions:
        reason = "no function names are configured (FUNCTION_NAMES)"
        return None, [Unavailable(LAMBDA, reason), Unavailable(LAMBDA_P95, reason)]
    period = window.metric_period
    counts = []
    for n, (_, name) in enumerate(functions):
        counts.append(_stat(f"inv{n}", "AWS/Lambda", "Invocations", {"FunctionName": name}, "Sum", period))
        counts.append(_stat(f"err{n}", "AWS/Lambda", "Errors", {"FunctionName": name}, "Sum", period))
    try:
        cloudwatch = client("cloudwatch", None)  # inside: making a client can fail too (no region)
        found = _metric_values(cloudwatch, counts, window)
    except Exception as error:  # optional source: any failure is reported, never raised
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": LAMBDA, "reason": reason})
        return None, [Unavailable(LAMBDA, reason), Unavailable(LAMBDA_P95, f"not read: {LAMBDA} failed")]

    p95: dict[int, float | None] = {}
    unavailable: list[Unavailable] = []
    durations = [
        _stat(f"p95d{n}", "AWS/Lambda", "Duration", {"FunctionName": name}, "p95", period)
        for n, (_, name) in enumerate(functions)
    ]
    try:
        measured = _metric_values(cloudwatch, durations, window)
        # One period spans the window; if CloudWatch split it in two, the larger p95 is shown
        # (percentiles of parts cannot be combined exactly; the larger never understates).
        p95 = {n: max(measured.get(f"p95d{n}") or [], default=None) for n in range(len(functions))}
    except Exception as error:
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": LAMBDA_P95, "reason": reason})
        unavailable.append(Unavailable(LAMBDA_P95, reason))

    figures = [
        FunctionFigures(
            label=label,
            name=name,
            invocations=sum(found.get(f"inv{n}", [])),
            errors=sum(found.get(f"err{n}", [])),
            p95_ms=p95.get(n),
        )
        for n, (label, name) in enumerate(functions)
    ]
    return figures, unavailable


def read_table(table_name: str, client: ClientFactory) -> tuple[TableFigures | None, list[Unavailable]]:
    if not table_name:
        return None, [Unavailable(TABLE, "no table name is configured (TABLE_NAME)")]
    try:
        table = client("dynamodb", None).describe_table(TableName=table_name)["Table"]
    except Exception as error:
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": TABLE, "reason": reason})
        return None, [Unavailable(TABLE, reason)]
    return TableFigures(
        name=table_name, items=int(table.get("ItemCount", 0)), size_bytes=int(table.get("TableSizeBytes", 0))
    ), []


def read_cdn(
    distribution_id: str, window: Window, client: ClientFactory
) -> tuple[CdnFigures | None, list[Unavailable]]:
    if not distribution_id:
        return None, [Unavailable(CDN, "no CloudFront distribution is configured (DISTRIBUTION_ID)")]
    dimensions = {"DistributionId": distribution_id, "Region": "Global"}
    queries = [
        _stat("requests", "AWS/CloudFront", "Requests", dimensions, "Sum", window.metric_period),
        _stat("hits", "AWS/CloudFront", "CacheHitRate", dimensions, "Average", window.metric_period),
    ]
    try:
        found = _metric_values(client("cloudwatch", CLOUDFRONT_REGION), queries, window)
    except Exception as error:
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": CDN, "reason": reason})
        return None, [Unavailable(CDN, reason)]
    hits = found.get("hits") or []
    rate = sum(hits) / len(hits) / 100 if hits else None  # CloudWatch gives a percentage
    return CdnFigures(distribution_id, sum(found.get("requests", [])), rate), []


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def read_cost(as_of: date, now: datetime, client: ClientFactory) -> tuple[CostFigures | None, list[Unavailable]]:
    """Last month and this month up to `as_of`, by service: one GetCostAndUsage (MONTHLY)."""
    first_of_month = as_of.replace(day=1)
    first_of_last = (first_of_month - timedelta(days=1)).replace(day=1)
    # The end date is exclusive and may not lie in the future (UTC): at most today.
    end = min(as_of + timedelta(days=1), now.astimezone(UTC).date())
    if end <= first_of_last:
        return None, [Unavailable(COST, f"no complete day of {_month(first_of_last)} or later yet")]
    request: dict[str, Any] = {
        "TimePeriod": {"Start": first_of_last.isoformat(), "End": end.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    by_month: dict[str, dict[str, float]] = {}
    unit = "USD"
    try:
        explorer = client("ce", COST_EXPLORER_REGION)
        while True:
            answer = explorer.get_cost_and_usage(**request)
            for result in answer.get("ResultsByTime", []):
                month = str(result["TimePeriod"]["Start"])[:7]
                services = by_month.setdefault(month, {})
                for group in result.get("Groups", []):
                    cost = group["Metrics"]["UnblendedCost"]
                    unit = cost.get("Unit", unit)
                    name = group["Keys"][0]
                    services[name] = services.get(name, 0.0) + float(cost["Amount"])
            token = answer.get("NextPageToken")
            if not token:
                break
            request["NextPageToken"] = token
    except Exception as error:
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": COST, "reason": reason})
        return None, [Unavailable(COST, reason)]
    if not by_month:
        # Cost Explorer answers one result per month asked, even a month that cost nothing;
        # no result at all means there is nothing to compare (an emulator answers so).
        span = f"{first_of_last.isoformat()} to {(end - timedelta(days=1)).isoformat()}"
        return None, [Unavailable(COST, f"Cost Explorer returned no results for {span}")]

    this, last = _month(first_of_month), _month(first_of_last)
    counted = (end - first_of_month).days
    last_costs, this_costs = by_month.get(last, {}), by_month.get(this, {})
    rows = [
        ServiceCost(name, round(last_costs.get(name, 0.0), 4), round(this_costs.get(name, 0.0), 4))
        for name in set(last_costs) | set(this_costs)
        if last_costs.get(name, 0.0) >= CENT or this_costs.get(name, 0.0) >= CENT
    ]
    rows.sort(key=lambda r: (-max(r.last_month, r.month_to_date), r.service))
    return CostFigures(
        month=this,
        last_month=last,
        through=end - timedelta(days=1),
        services=tuple(rows),
        total_last_month=sum(last_costs.values()),
        total_month_to_date=sum(this_costs.values()) if counted > 0 else None,
        days_counted=max(counted, 0),
        days_in_month=calendar.monthrange(as_of.year, as_of.month)[1],
        unit=unit,
    ), []


def read_aws_figures(
    period: Period,
    as_of: date,
    now: datetime,
    settings: Settings,
    *,
    sources: Sequence[str] = SOURCES,
    client: ClientFactory = source_client,
) -> AwsFigures:
    """The chosen sources (all by default) for the period, as of `as_of`, up to `now`; never raises."""
    window = window_for(period, now, settings)
    figures = AwsFigures(window=window)
    if window is None:
        reason = f"the period {period.label} has not begun: no figures yet"
        figures.unavailable += [Unavailable(s, reason) for s in (LAMBDA, LAMBDA_P95, CDN) if s in sources]
    else:
        if LAMBDA in sources or LAMBDA_P95 in sources:
            figures.functions, missing = read_functions(settings.monitored_functions, window, client)
            figures.unavailable += missing
        if CDN in sources:
            figures.cdn, missing = read_cdn(settings.distribution_id, window, client)
            figures.unavailable += missing
    if TABLE in sources:
        figures.table, missing = read_table(settings.table_name, client)
        figures.unavailable += missing
    if COST in sources:
        figures.cost, missing = read_cost(as_of, now, client)
        figures.unavailable += missing
    if figures.table is not None and figures.table.size_bytes == 0 and figures.table.items > 0:
        figures.notes.append("DynamoDB refreshes a table's size about every six hours; it reports none yet.")
    return figures


def not_read(reason: str, sources: Sequence[str] = SOURCES) -> AwsFigures:
    """Figures for a run that reads no AWS source (each one unavailable, with `reason`)."""
    return AwsFigures(window=None, unavailable=[Unavailable(source, reason) for source in sources])
