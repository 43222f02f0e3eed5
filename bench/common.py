"""What every stage shares: checks against bars, statistics, the table."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, MISSING, INFO = "pass", "FAIL", "missing", "info"


@dataclass
class Check:
    """One measured line of the table. `status` is pass/FAIL/missing (against a bar) or info."""

    name: str
    measured: str
    bar: str = ""
    status: str = INFO
    value: float | None = None
    note: str = ""

    @property
    def missed(self) -> bool:
        return self.status in (FAIL, MISSING)


def judged(name: str, value: float | None, measured: str, bar: str, ok: bool | None, note: str = "") -> Check:
    """A check against a bar; `ok=None` (or no value) means the thing to measure does not exist yet."""
    if value is None or ok is None:
        return Check(name, measured or "missing", bar, MISSING, None, note)
    return Check(name, measured, bar, PASS if ok else FAIL, value, note)


def info(name: str, measured: str, note: str = "", value: float | None = None) -> Check:
    return Check(name, measured, "", INFO, value, note)


@dataclass
class Section:
    """A stage's checks and its raw numbers (kept in results.json)."""

    title: str
    checks: list[Check] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "seconds": round(self.seconds, 1),
            "error": self.error,
            "checks": [asdict(c) for c in self.checks],
            "notes": self.notes,
            "data": self.data,
        }


# --- statistics ------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p50, p95) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- the table ---------------------------------------------------------------------
def _widths(rows: Iterable[Sequence[str]], minimum: Sequence[int]) -> list[int]:
    widths = list(minimum)
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    return widths


def table(sections: Sequence[Section]) -> str:
    header = ("check", "measured", "bar", "result")
    rows: list[tuple[str, ...]] = []
    for section in sections:
        for check in section.checks:
            rows.append((check.name, check.measured, check.bar, check.status))
    widths = _widths([header, *rows], [0, 0, 0, 0])
    widths[0] = min(widths[0], 64)
    widths[1] = min(widths[1], 40)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(cells))

    out: list[str] = []
    for section in sections:
        out.append("")
        title = f"== {section.title} ({section.seconds:.0f} s)"
        out.append(title)
        if section.error:
            out.append(f"   stage failed: {section.error}")
        if section.checks:
            out.append(line(header))
            for check in section.checks:
                out.append(line((check.name, check.measured, check.bar, check.status)))
                if check.note:
                    out.append(f"    {check.note}")
        for note in section.notes:
            out.append(f"  * {note}")
    return "\n".join(out)
