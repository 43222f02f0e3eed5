"""The owner's figures (issue 22): the current version, the versions, one version, the file.
The domain (quarterdeck.reports.portfolio_versions) loads on first use."""

from __future__ import annotations

from typing import Any

from api_access import ADMIN
from api_dependencies import portfolio_repository
from api_light import Answer, ReadTable

from quarterdeck.errors import InvalidInputError

router = ReadTable()


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError("The version must be a whole number.", field="n")
    return int(text)


@router.get("/api/portfolio", summary="The business data: current version", tags=["portfolio"], middlewares=[ADMIN])
def current() -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import current_portfolio

    return current_portfolio(portfolio_repository())


@router.get(
    "/api/portfolio/versions", summary="Every saved version, newest first", tags=["portfolio"], middlewares=[ADMIN]
)
def versions() -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import list_versions

    return {"versions": list_versions(portfolio_repository())}


@router.get(
    "/api/portfolio/versions/<n>",
    summary="One version, and what differs from it now",
    tags=["portfolio"],
    middlewares=[ADMIN],
)
def one_version(n: str) -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import one_version as read

    return read(portfolio_repository(), _number(n))


@router.get(
    "/api/portfolio/file",
    summary="The current version as a TOML file",
    tags=["portfolio"],
    middlewares=[ADMIN],
    responses={
        200: {
            "description": "The portfolio file (TOML)",
            "content": {"application/toml": {"schema": {"type": "string"}}},
        }
    },
)
def download() -> Answer:
    from quarterdeck.reports.portfolio_versions import download_portfolio

    name, text = download_portfolio(portfolio_repository())
    return Answer(
        status_code=200,
        content_type="application/toml; charset=utf-8",
        body=text,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
