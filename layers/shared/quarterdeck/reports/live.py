"""Live figures joined in from the table: sails run and planned, role fill, waivers, tasks.

Sails are read through the sails repository: one index Query for the month's sails
(`sails_between`), then one Query per sail for its roles and guests (`sail_items`): never a
Scan. A figure that cannot be computed is reported as missing (with the reason), never as zero.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from quarterdeck.errors import QuarterdeckError
from quarterdeck.observability import logger
from quarterdeck.reports.model import Missing
from quarterdeck.repositories import Item

if TYPE_CHECKING:
    from quarterdeck.repositories.sails import SailRepository
    from quarterdeck.repositories.tasks import TaskRepository

FILLED_STATES = ("claimed", "designated")


@dataclass
class LiveFigures:
    month: str
    sails_run: int | None = None
    sails_planned: int | None = None
    sails_cancelled: int | None = None
    roles_total: int | None = None
    roles_filled: int | None = None
    guests_due: int | None = None  # guests of sails that have departed
    waivers_on_time: int | None = None
    tasks_open: int | None = None
    tasks_overdue: int | None = None
    missing: list[Missing] = field(default_factory=list)

    @property
    def sails_total(self) -> int | None:
        if self.sails_run is None or self.sails_planned is None:
            return None
        return self.sails_run + self.sails_planned

    @property
    def fill_rate(self) -> float | None:
        if not self.roles_total or self.roles_filled is None:
            return None
        return self.roles_filled / self.roles_total

    @property
    def waiver_rate(self) -> float | None:
        if not self.guests_due or self.waivers_on_time is None:
            return None
        return self.waivers_on_time / self.guests_due


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _month(month: str) -> tuple[date, date]:
    """The first and last days of a `yyyy-mm` month."""
    first = date.fromisoformat(f"{month}-01")
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def sail_figures(figures: LiveFigures, sails: SailRepository, now: datetime, *, detail: bool = True) -> None:
    """Sails run and planned from the month's sails (one index Query); with `detail`, one
    Query per sail more for its roles and guests (fill rate, waivers on time)."""
    metas: list[Item] = sails.sails_between(*_month(figures.month))
    run = planned = cancelled = roles_total = roles_filled = guests_due = on_time = 0
    for meta in metas:
        if meta.get("status") == "cancelled":
            cancelled += 1
            continue
        departure = _moment(meta.get("departure"))
        departed = departure is not None and departure <= now
        run += departed
        planned += not departed
        if not detail:
            continue
        for item in sails.sail_items(str(meta["id"])):
            if item.get("type") == "role":
                roles_total += 1
                roles_filled += item.get("state") in FILLED_STATES
            elif item.get("type") == "guest" and departed:
                guests_due += 1
                signed = _moment(item.get("signed_at"))
                on_time += signed is not None and departure is not None and signed <= departure
    figures.sails_run, figures.sails_planned, figures.sails_cancelled = run, planned, cancelled
    if not detail:
        return
    figures.roles_total, figures.roles_filled = roles_total, roles_filled
    figures.guests_due, figures.waivers_on_time = guests_due, on_time
    if roles_total == 0:
        figures.missing.append(Missing(f"role slots on sails in {figures.month} (no fill rate)", "live.roles"))
    if guests_due == 0:
        figures.missing.append(
            Missing(f"guests on sails already run in {figures.month} (no waiver rate)", "live.waivers")
        )


@dataclass
class Operations:
    """What happened on the water over a report's period (its sails' departures in
    [first, last], local dates): sails run, guests carried (party sizes), waivers signed (and
    before departure), crew slots filled before departure. None: not known (see `missing`)."""

    label: str
    sails_run: int | None = None
    sails_cancelled: int | None = None
    guests_carried: int | None = None
    guests_due: int | None = None  # guest records of the sails run
    waivers_signed: int | None = None
    waivers_on_time: int | None = None
    roles_total: int | None = None  # crew slots of the sails run
    roles_on_time: int | None = None  # filled (claimed or designated) before departure
    missing: list[Missing] = field(default_factory=list)

    @property
    def fill_rate(self) -> float | None:
        return None if not self.roles_total or self.roles_on_time is None else self.roles_on_time / self.roles_total


def _before(value: Any, departure: datetime) -> bool:
    moment = _moment(value)
    return moment is not None and moment <= departure


def operations(sails: SailRepository, now: datetime, first: date, last: date, label: str) -> Operations:
    """The period's operations from the table: one Query of the period's sails (the date
    index), then one Query per sail run for its roles and guests. Never a Scan."""
    ops = Operations(label=label)
    try:
        metas = sails.sails_between(first, last)
        run = cancelled = carried = due = signed = on_time = roles = roles_on_time = 0
        for meta in metas:
            if meta.get("status") == "cancelled":
                cancelled += 1
                continue
            departure = _moment(meta.get("departure"))
            if departure is None or departure > now:
                continue  # not run (yet)
            run += 1
            for item in sails.sail_items(str(meta["id"])):
                if item.get("type") == "role":
                    roles += 1
                    filled = item.get("state") in FILLED_STATES
                    when = item.get("claimed_at") or item.get("designated_at")
                    roles_on_time += filled and (when is None or _before(when, departure))
                elif item.get("type") == "guest":
                    due += 1
                    carried += int(item.get("party_size") or 1)
                    signed += bool(item.get("signed_at"))
                    on_time += _before(item.get("signed_at"), departure)
    except QuarterdeckError as error:
        logger.warning("operations figures unavailable", extra={"error": error.message})
        ops.missing.append(Missing(f"operations of {label} from the sails table ({error.message})", "live.operations"))
        return ops
    ops.sails_run, ops.sails_cancelled, ops.guests_carried, ops.guests_due = run, cancelled, carried, due
    ops.waivers_signed, ops.waivers_on_time = signed, on_time
    ops.roles_total, ops.roles_on_time = roles, roles_on_time
    return ops


def live_figures(
    sails: SailRepository, tasks: TaskRepository, now: datetime, today: date, *, detail: bool = True
) -> LiveFigures:
    """The month of `today`: sails run (departed) and planned; with `detail` also the fill
    rate, waivers signed on time and the open and overdue tasks (more reads)."""
    from quarterdeck.tasks import task_counts  # deferred: only a detailed report counts tasks

    figures = LiveFigures(month=f"{today.year:04d}-{today.month:02d}")
    try:
        sail_figures(figures, sails, now, detail=detail)
    except QuarterdeckError as error:
        logger.warning("live sail figures unavailable", extra={"error": error.message})
        figures.missing.append(Missing(f"sails, fill rate and waivers ({error.message})", "live.sails"))
    if not detail:
        return figures
    try:
        counts: dict[str, int] | None = task_counts(tasks, today)
    except QuarterdeckError as error:
        logger.warning("task counts unavailable", extra={"error": error.message})
        counts = None
    if counts is None:
        figures.missing.append(Missing("open and overdue tasks (the task board could not be read)", "live.tasks"))
    else:
        figures.tasks_open, figures.tasks_overdue = counts["open"], counts["overdue"]
    return figures
