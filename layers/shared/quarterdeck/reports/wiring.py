"""The deployed collaborators of a report dispatch and of the reports page: the DynamoDB
repositories over the one table and the live figures read from it. The composition root of
the reports: the domain modules take these as parameters and fall back to them here (loaded on
first use), so they never build a `Store` themselves."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quarterdeck.reports.live import LiveFigures, Operations
    from quarterdeck.reports.periods import Period
    from quarterdeck.repositories.portfolio import PortfolioRepository
    from quarterdeck.repositories.report_archive import ReportArchiveRepository
    from quarterdeck.repositories.reports import ReportRunRepository
    from quarterdeck.repositories.sails import SailRepository
    from quarterdeck.repositories.tasks import TaskRepository
    from quarterdeck.store import Store


def _store() -> Store:
    from quarterdeck.store import Store

    return Store()


def report_runs(store: Store | None = None) -> ReportRunRepository:
    from quarterdeck.repositories.reports import DynamoReportRunRepository

    return DynamoReportRunRepository(store or _store())


def task_board(store: Store | None = None) -> TaskRepository:
    from quarterdeck.repositories.tasks import DynamoTaskRepository

    return DynamoTaskRepository(store or _store())


def report_archive(store: Store | None = None) -> ReportArchiveRepository:
    from quarterdeck.repositories.report_archive import DynamoReportArchiveRepository

    return DynamoReportArchiveRepository(store or _store())


def portfolio_versions(store: Store | None = None) -> PortfolioRepository:
    from quarterdeck.repositories.portfolio import DynamoPortfolioRepository

    return DynamoPortfolioRepository(store or _store())


class TableLiveFigures:
    """The month's live figures (sails, fill rate, waivers, tasks) read from the table."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or _store()

    def __call__(self, now: datetime, today: date, detail: bool) -> LiveFigures:
        from quarterdeck.reports.live import live_figures

        return live_figures(self._sails(), task_board(self.store), now, today, detail=detail)

    def operations(self, now: datetime, period: Period) -> Operations:
        """The report period's operations (sails run, guests carried, waivers, crew on time)."""
        from quarterdeck.reports.live import operations

        return operations(self._sails(), now, period.start, period.end, period.describe())

    def _sails(self) -> SailRepository:
        from quarterdeck.repositories.sails import DynamoSailRepository

        return DynamoSailRepository(self.store)
