"""7. Cost: the monthly AWS bill at the business's load and at 100x, line by line.

The model (prices, assumptions, quantities) lives here; docs/cost.md carries its table
between markers, regenerated with `python -m bench.cost --write`. `make bench` judges the
bar (under $5 a month at 1x, counting no free tier) and checks that docs/cost.md is current.

Prices: us-west-2 (Oregon), on-demand list prices as published in November 2026 (the
same as us-east-1 for every line used here). Free tiers are shown separately: the bar is
judged without them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DAYS = 30.4  # days in an average month
HOURS = 730


@dataclass(frozen=True)
class Load:
    """The business's load, scaled by `x` (nudges stay hourly; their work scales)."""

    x: float = 1.0
    sails_per_month: float = 30
    people: float = 10
    api_requests_per_day: float = 5_000
    reports_per_week: float = 8

    @property
    def api_requests(self) -> float:
        return self.api_requests_per_day * DAYS * self.x

    @property
    def sails(self) -> float:
        return self.sails_per_month * self.x

    @property
    def reports(self) -> float:
        return self.reports_per_week * 52 / 12 * self.x

    @property
    def nudge_runs(self) -> float:
        return HOURS


# --- assumptions (each one is stated in docs/cost.md) ----------------------------------
API_MEMORY_GB, NUDGE_MEMORY_GB, REPORT_MEMORY_GB = 1.0, 0.25, 0.5  # template.yaml (decisions.md, 2026-12-04)
API_WARM_S = 0.06  # billed duration of a warm API request at 1024 MB (2-3 DynamoDB calls, some SES sends)
COLD_FRACTION = 0.02  # share of API requests that start a new container
API_INIT_S = 0.7  # INIT phase at 1024 MB (1.2 s at 512 MB), billed since August 2025
NUDGE_RUN_S = 2.0  # an hourly run: always a cold start, a few Queries
NUDGE_EMAILS_PER_SAIL = 12
REPORT_RUN_S = 2.5  # cold start + build + render + one send
WRITE_SHARE = 0.2  # share of API requests that change something
READ_RRU, WRITE_RRU, WRITE_WRU = 2.0, 1.5, 8.0  # per request (eventually consistent reads; transactions 2x)
NUDGE_RUN_RRU_PER_SAIL = 2  # per upcoming sail: its partition's Query + people and codes (bench: 26 items a sail)
REPORT_RUN_RRU = 500
EMAILS_PER_SAIL = 9 + 12  # role mails (claims, releases, invites) + guests (waiver link, signed copy)
LOGIN_EMAILS_PER_PERSON = 20
TABLE_GB = 0.1
PAGE_LOADS_PER_DAY, FILES_PER_LOAD, STATIC_KB = 300, 20, 10
API_RESPONSE_KB = 3
LOG_KB_PER_API_REQUEST = 1.0 + 0.5  # function logs (platform + app, JSON) + HTTP API access log
LOG_RETENTION_MONTHS = 3
LOG_COMPRESSED = 0.3  # CloudWatch bills stored logs compressed
ALARMS = 6  # template.yaml
# NudgesSent_<kind> (4) and Reports_<status> (3), billed for the hours they are published in.
METRICS_HOURS_AT_1X = ((4, 50), (3, 35))
SECRET_CALLS_PER_CONTAINER = 2


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    unit: str  # what is counted: requests, GB-s, ...
    price: float  # USD per `per` units
    quantity: Callable[[Load], float]  # units a month
    per: float = 1.0
    free: float = 0.0  # always-free units a month (not counted for the bar)

    def cost(self, load: Load, *, free_tier: bool = False) -> float:
        quantity = self.quantity(load)
        if free_tier:
            quantity = max(0.0, quantity - self.free)
        return quantity / self.per * self.price


def _api_gb_s(load: Load) -> float:
    requests = load.api_requests
    return API_MEMORY_GB * (requests * API_WARM_S + requests * COLD_FRACTION * API_INIT_S)


def _nudge_gb_s(load: Load) -> float:
    paced_sends_s = load.sails * NUDGE_EMAILS_PER_SAIL * 1.0  # at the sandbox's 1/s, the worst case
    return NUDGE_MEMORY_GB * (load.nudge_runs * NUDGE_RUN_S + paced_sends_s)


def _emails(load: Load) -> float:
    nudges = load.sails * NUDGE_EMAILS_PER_SAIL
    return load.sails * EMAILS_PER_SAIL + load.people * LOGIN_EMAILS_PER_PERSON * load.x + nudges + 2 * load.reports


def _static_requests(load: Load) -> float:
    return PAGE_LOADS_PER_DAY * DAYS * load.x * FILES_PER_LOAD


def _log_gb(load: Load) -> float:
    return load.api_requests * LOG_KB_PER_API_REQUEST / 1e6 + 0.01 * load.x


def _metric_months(load: Load) -> float:
    return sum(count * min(HOURS, hours * load.x) for count, hours in METRICS_HOURS_AT_1X) / HOURS


def _traces(load: Load) -> float:
    """X-Ray's default sampling: the first request each second, then 5% of the rest."""
    requests = load.api_requests + load.nudge_runs + load.reports
    per_second = requests / (DAYS * 86_400)
    reservoir = min(requests, DAYS * 86_400 * min(1.0, per_second))
    return reservoir + 0.05 * max(0.0, requests - reservoir)


M = 1_000_000
LINES: tuple[Line, ...] = (
    Line(
        "Lambda",
        "requests (3 functions)",
        "requests",
        0.20,
        lambda ld: ld.api_requests + ld.nudge_runs + ld.reports,
        per=M,
        free=M,
    ),
    Line("Lambda", "ApiFunction compute, arm64 1024 MB", "GB-s", 0.0000133334, _api_gb_s, free=400_000),
    Line("Lambda", "NudgeFunction compute, arm64 256 MB", "GB-s", 0.0000133334, _nudge_gb_s),
    Line(
        "Lambda",
        "ReportFunction compute, arm64 512 MB",
        "GB-s",
        0.0000133334,
        lambda ld: REPORT_MEMORY_GB * ld.reports * REPORT_RUN_S,
    ),
    Line("API Gateway", "HTTP API requests", "requests", 1.00, lambda ld: ld.api_requests, per=M),
    Line(
        "DynamoDB",
        "on-demand reads",
        "RRU",
        0.125,
        lambda ld: (
            ld.api_requests * ((1 - WRITE_SHARE) * READ_RRU + WRITE_SHARE * WRITE_RRU)
            + ld.nudge_runs * (1 + NUDGE_RUN_RRU_PER_SAIL * ld.sails * 7 / DAYS)
            + ld.reports * REPORT_RUN_RRU
        ),
        per=M,
    ),
    Line(
        "DynamoDB",
        "on-demand writes",
        "WRU",
        0.625,
        lambda ld: ld.api_requests * WRITE_SHARE * WRITE_WRU + ld.sails * NUDGE_EMAILS_PER_SAIL * 2,
        per=M,
    ),
    Line("DynamoDB", "storage", "GB-month", 0.25, lambda ld: TABLE_GB * ld.x, free=25),
    Line("DynamoDB", "point-in-time recovery", "GB-month", 0.20, lambda ld: TABLE_GB * ld.x),
    Line("SES", "outbound email (per recipient)", "emails", 0.10, _emails, per=1000),
    Line("S3", "storage (site + waivers + portfolio)", "GB-month", 0.023, lambda ld: 0.05 * ld.x),
    Line("S3", "GET (CloudFront revalidating the site: no-cache)", "requests", 0.0004, _static_requests, per=1000),
    Line("S3", "PUT (waivers, deploys)", "requests", 0.005, lambda ld: ld.sails * 6 + 100, per=1000),
    Line(
        "CloudFront",
        "HTTPS requests (site + API)",
        "requests",
        0.0100,
        lambda ld: ld.api_requests + _static_requests(ld),
        per=10_000,
        free=10 * M,
    ),
    Line(
        "CloudFront",
        "data out (North America)",
        "GB",
        0.085,
        lambda ld: (ld.api_requests * API_RESPONSE_KB + _static_requests(ld) * STATIC_KB) / 1e6,
        free=1_000,
    ),
    Line("Secrets Manager", "secrets stored (the JWT key)", "secret", 0.40, lambda ld: 1),
    Line(
        "Secrets Manager",
        "API calls (cached 5 min per container)",
        "calls",
        0.05,
        lambda ld: ld.api_requests * COLD_FRACTION * SECRET_CALLS_PER_CONTAINER + ld.nudge_runs + 14 * 12 * DAYS * ld.x,
        per=10_000,
    ),
    Line("CloudWatch", "log ingestion (functions + API access log)", "GB", 0.50, _log_gb, free=5),
    Line(
        "CloudWatch",
        "log storage (90 days, compressed)",
        "GB-month",
        0.03,
        lambda ld: _log_gb(ld) * LOG_RETENTION_MONTHS * LOG_COMPRESSED,
    ),
    Line("CloudWatch", "alarms (standard resolution)", "alarm-months", 0.10, lambda ld: ALARMS, free=10),
    Line("CloudWatch", "custom metrics (Powertools EMF)", "metric-months", 0.30, _metric_months, free=10),
    Line(
        "EventBridge Scheduler",
        "invocations (hourly nudges + reports)",
        "invocations",
        1.00,
        lambda ld: ld.nudge_runs + ld.reports,
        per=M,
        free=14 * M,
    ),
    Line("SQS", "dead-letter queues (idle unless a run fails)", "requests", 0.40, lambda ld: 0.0, per=M, free=M),
    Line("SNS", "alarm emails", "emails", 2.00, lambda ld: 20, per=100_000, free=1_000),
    Line("X-Ray", "traces recorded (Tracing: Active, default sampling)", "traces", 5.00, _traces, per=M, free=100_000),
)


def bill(load: Load, *, free_tier: bool = False) -> float:
    return sum(line.cost(load, free_tier=free_tier) for line in LINES)


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def _price(line: Line) -> str:
    amount = f"{line.price:.10f}".rstrip("0").rstrip(".")
    block = "" if line.per == 1 else f"{line.per:,.0f} "
    unit = line.unit[:-1] if line.per == 1 and line.unit.endswith("s") and line.unit != "GB-s" else line.unit
    return f"${amount} per {block}{unit}" + ("-month" if unit == "secret" else "")


def markdown() -> str:
    one, hundred = Load(), Load(x=100)
    rows = [
        "| Service | Line | Quantity at 1x | Unit price | 1x $/month | 100x $/month |",
        "|---|---|---|---|---|---|",
    ]
    for line in LINES:
        rows.append(
            f"| {line.service} | {line.item} | {_number(line.quantity(one))} {line.unit} "
            f"| {_price(line)} | {line.cost(one):.2f} | {line.cost(hundred):.2f} |"
        )
    rows.append(f"| **Total** | list prices, no free tier | | | **{bill(one):.2f}** | **{bill(hundred):.2f}** |")
    rows.append(
        f"| Total | after the always-free tiers | | | {bill(one, free_tier=True):.2f} "
        f"| {bill(hundred, free_tier=True):.2f} |"
    )
    return "\n".join(rows)


DOC = Path(__file__).resolve().parent.parent / "docs" / "cost.md"
BEGIN, END = "<!-- bench.cost:begin -->", "<!-- bench.cost:end -->"


def doc_is_current(path: Path = DOC) -> bool:
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    return f"{BEGIN}\n{markdown()}\n{END}" in text


def write_doc(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + f"{BEGIN}\n{markdown()}\n{END}" + text[end:], encoding="utf-8")


def run(ctx: object) -> object:
    from bench.common import Section, info, judged

    section = Section("7. Cost (monthly AWS bill, us-west-2 list prices; see docs/cost.md)")
    one, hundred = bill(Load()), bill(Load(x=100))
    section.data = {
        "one_x_usd": round(one, 2),
        "one_x_free_tier_usd": round(bill(Load(), free_tier=True), 2),
        "hundred_x_usd": round(hundred, 2),
        "hundred_x_free_tier_usd": round(bill(Load(x=100), free_tier=True), 2),
        "lines": {f"{line.service}: {line.item}": round(line.cost(Load()), 3) for line in LINES},
    }
    section.add(judged("monthly bill at 1x (no free tier)", one, f"${one:.2f}", "< $5", one < 5))
    section.add(info("monthly bill at 1x after the always-free tiers", f"${section.data['one_x_free_tier_usd']:.2f}"))
    section.add(info("monthly bill at 100x (no free tier)", f"${hundred:.2f}"))
    current = doc_is_current()
    section.add(
        judged(
            "docs/cost.md shows this model",
            1.0 if current else 0.0,
            "current" if current else "out of date",
            "current",
            current,
            "" if current else "run: .venv/bin/python -m bench.cost --write",
        )
    )
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the table in docs/cost.md")
    args = parser.parse_args(argv)
    if args.write:
        write_doc()
        print(f"wrote the table into {DOC}")
    else:
        print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
