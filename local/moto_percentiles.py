"""moto's CloudWatch with percentile statistics (`p95`, `p99.9`), so the CTO report's Lambda
duration p95 works in the local stack (issue 22, item 6).

Written against moto 5.2.5 (requirements-dev.txt). moto's `Statistics.get_statistics_for_type`
knows Sum, Average, Minimum, Maximum and SampleCount; any other statistic is None, which
GetMetricData then fails to serialise (a 500, "unavailable" in the report). This wraps it: a
`pNN` statistic is the nearest-rank percentile of the period's single values (the way
CloudWatch defines it over raw data points); periods holding only pre-aggregated data
(`StatisticValues`, which carry no distribution) still answer None, as before. `install()`
raises `MotoInternalsChangedError` if the method it wraps is gone.
"""

from __future__ import annotations

import math
import re
from typing import Any

PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


class MotoInternalsChangedError(RuntimeError):
    pass


def percentile(values: list[float], rank: float) -> float | None:
    """Nearest-rank percentile (`rank` in 0..100) of `values`; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return ordered[min(index, len(ordered) - 1)]


def install() -> None:
    from moto.cloudwatch import models

    statistics = getattr(models, "Statistics", None)
    original = getattr(statistics, "get_statistics_for_type", None)
    if statistics is None or original is None or not hasattr(statistics, "metric_single_values_list"):
        raise MotoInternalsChangedError(
            "moto.cloudwatch.models.Statistics changed: re-read it (local/moto_percentiles.py)"
        )
    if getattr(original, "_percentiles", False):
        return

    def get_statistics_for_type(self: Any, stat: str) -> Any:
        found = PERCENTILE.match(stat or "")
        if found is None:
            return original(self, stat)
        return percentile([float(v) for v in self.metric_single_values_list], float(found.group(1)))

    get_statistics_for_type._percentiles = True  # type: ignore[attr-defined]
    statistics.get_statistics_for_type = get_statistics_for_type
