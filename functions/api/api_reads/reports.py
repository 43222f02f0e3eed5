"""The reports area, read (admin only): the kinds and their last runs. The domain
(quarterdeck.reports) loads on first use."""

from __future__ import annotations

from typing import Any

from api_access import ADMIN
from api_dependencies import report_run_repository
from api_light import ReadTable

router = ReadTable()


@router.get("/api/reports", middlewares=[ADMIN], summary="Report kinds with their last run", tags=["reports"])
def list_report_kinds() -> dict[str, Any]:
    from quarterdeck.reports.reports_page import list_reports

    return {"reports": list_reports(report_run_repository())}
