"""What the reports read beside the portfolio, seeded into the local stack: the example
handoff notes (data/notes/*.md) into the data bucket under NOTES_PREFIX, and demo metrics
into moto's CloudWatch for the function names and the distribution the local stack uses.

moto stores metrics and answers Sum/Average/SampleCount/Minimum/Maximum; it computes no
percentiles (GetMetricData fails with HTTP 500 on a `p95` statistic), so locally the CTO
report says p95 is unavailable, with that reason. Cost Explorer is not seeded: moto answers
it with no results, and the reports say so.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from local.environment import DISTRIBUTION_ID, FUNCTION_NAMES, ROOT

EXAMPLE_NOTES = ROOT / "data" / "notes"
DEMO_HOURS = 8 * 24  # a little over a week of hourly figures, so any current week has some
# Per function: invocations an hour (low, high), share of them that fail, duration ms (low, high).
DEMO_LOAD = {
    "api": (20, 90, 0.004, (35, 420)),
    "nudges": (1, 1, 0.0, (800, 2400)),
    "reports": (0, 1, 0.0, (3000, 9000)),
}


def seed_notes() -> int:
    """Upload data/notes/*.md to DATA_BUCKET/NOTES_PREFIX (overwrites: they are examples)."""
    from quarterdeck.clients import client
    from quarterdeck.config import get_settings

    settings = get_settings()
    notes = sorted(EXAMPLE_NOTES.glob("*.md"))
    for path in notes:
        client("s3").put_object(
            Bucket=settings.data_bucket,
            Key=f"{settings.notes_prefix}{path.name}",
            Body=path.read_bytes(),
            ContentType="text/markdown; charset=utf-8",
        )
    return len(notes)


def _datum(name: str, dimensions: dict[str, str], at: datetime, value: float, unit: str) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Timestamp": at,
        "Value": value,
        "Unit": unit,
    }


def demo_metrics(now: datetime, hours: int = DEMO_HOURS) -> dict[str, list[dict[str, Any]]]:
    """Hourly figures for the past `hours`, by namespace (the same every time for the same `now`)."""
    rng = random.Random(48)  # nosec B311 - repeatable demo figures, not a secret
    lambda_data: list[dict[str, Any]] = []
    cdn_data: list[dict[str, Any]] = []
    for hour in range(1, hours + 1):
        at = (now - timedelta(hours=hour)).replace(minute=0, second=0, microsecond=0)
        for label, name in FUNCTION_NAMES.items():
            low, high, failing, (fastest, slowest) = DEMO_LOAD[label]
            calls = rng.randint(low, high)
            if not calls:
                continue
            errors = sum(1 for _ in range(calls) if rng.random() < failing)
            dims = {"FunctionName": name}
            lambda_data.append(_datum("Invocations", dims, at, calls, "Count"))
            lambda_data.append(_datum("Errors", dims, at, errors, "Count"))
            lambda_data.append(_datum("Duration", dims, at, rng.uniform(fastest, slowest), "Milliseconds"))
        dims = {"DistributionId": DISTRIBUTION_ID, "Region": "Global"}
        cdn_data.append(_datum("Requests", dims, at, rng.randint(40, 400), "None"))
        cdn_data.append(_datum("CacheHitRate", dims, at, rng.uniform(70, 95), "Percent"))
    return {"AWS/Lambda": lambda_data, "AWS/CloudFront": cdn_data}


def put_metrics(metrics: dict[str, list[dict[str, Any]]], region: str | None = None) -> None:
    """PutMetricData in batches (CloudWatch takes up to 1,000 data a call)."""
    from quarterdeck.clients import client

    cloudwatch = client("cloudwatch", region)
    for namespace, data in metrics.items():
        for start in range(0, len(data), 500):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 500])


def seed_metrics(now: datetime | None = None) -> None:
    """Demo Lambda and CloudFront metrics (CloudFront's in us-east-1, where AWS keeps them)."""
    metrics = demo_metrics(now or datetime.now(UTC))
    put_metrics({"AWS/Lambda": metrics["AWS/Lambda"]})
    put_metrics({"AWS/CloudFront": metrics["AWS/CloudFront"]}, region="us-east-1")


def seed_report_sources() -> None:
    seed_notes()
    seed_metrics()
