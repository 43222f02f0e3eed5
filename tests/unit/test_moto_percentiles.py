"""The local stack's CloudWatch percentiles (local/moto_percentiles.py): nearest rank."""

from __future__ import annotations

from local.moto_percentiles import PERCENTILE, percentile


def test_nearest_rank_percentiles() -> None:
    values = [float(n) for n in range(100, 0, -1)]
    assert percentile(values, 95) == 95.0 and percentile(values, 50) == 50.0 and percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0 and percentile([], 95) is None
    assert PERCENTILE.match("p95") and PERCENTILE.match("p99.9") and not PERCENTILE.match("Sum")
