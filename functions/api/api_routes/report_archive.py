"""The report archive's listing (admin only): the reports sent, by kind and period. One report
whole is a path-only read (api_reads/report_archive.py)."""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN
from api_dependencies import report_archive_repository
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()


@router.get(
    "/api/reports/archive",
    middlewares=[ADMIN],
    summary="Archived reports whose period starts in a date range, of one kind or all",
    tags=["reports"],
)
def list_archived_reports(
    kind: Annotated[str | None, Query(max_length=32)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> dict[str, Any]:
    from quarterdeck.reports import KINDS
    from quarterdeck.reports.archive import list_archive

    reports = list_archive(report_archive_repository(), kind=kind, first=start, last=end, known_kinds=list(KINDS))
    return {"reports": reports}
