"""Executive reports: one portfolio data model, eight report kinds, SES dispatch sent once.

This module stays light (the API imports it on every cold start): the strategies and jinja2
load only when a report is built (`quarterdeck.reports.dispatch`); the portfolio is checked by
quarterdeck.reports.schema, not pydantic (a cold start without its ~100 ms).

    python -m quarterdeck.reports --dry-run --only cfo
"""

from __future__ import annotations

from dataclasses import dataclass

from quarterdeck.errors import NotFoundError


class ReportKindNotFoundError(NotFoundError):
    code = "report_kind_not_found"


@dataclass(frozen=True)
class KindInfo:
    kind: str
    title: str
    cadence: str  # "weekly" | "monthly"
    schedule: str  # in words, as template.yaml schedules it
    owner: str  # the role the report's action items go to by default


KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo("ceo", "CEO report", "weekly", "Mondays 07:00", "CEO"),
        KindInfo("cto", "CTO report", "weekly", "Mondays 07:02", "CTO"),
        KindInfo("cfo", "CFO report", "weekly", "Mondays 07:04", "CFO"),
        KindInfo("cmo", "CMO report", "weekly", "Mondays 07:06", "CMO"),
        KindInfo("accounting", "Accounting report", "weekly", "Mondays 07:08", "Accounting"),
        KindInfo("rental", "Rental property report (3028 51st St)", "monthly", "the 1st of the month, 07:12", "CFO"),
        KindInfo("yacht_delivery", "Expert Yacht Delivery report", "weekly", "Fridays 07:00", "CEO"),
        KindInfo("client_portfolio", "Dangerous Centaur client portfolio", "weekly", "Mondays 07:10", "CEO"),
    )
}


def kind_names() -> tuple[str, ...]:
    return tuple(KINDS)
