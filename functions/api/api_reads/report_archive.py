"""One archived report, as it was sent, with each recipient's delivery (admin only). The domain
(quarterdeck.reports.archive) loads on first use: every cold start imports this module."""

from __future__ import annotations

from typing import Any

from api_access import ADMIN
from api_dependencies import delivery_repository, report_archive_repository
from api_light import ReadTable

router = ReadTable()


@router.get(
    "/api/reports/archive/<archive_id>",
    middlewares=[ADMIN],
    summary="One archived report as it was sent, with each recipient's delivery",
    tags=["reports"],
)
def archived_report(archive_id: str) -> dict[str, Any]:
    from quarterdeck.reports.archive import open_archived

    return open_archived(report_archive_repository(), delivery_repository(), archive_id)
