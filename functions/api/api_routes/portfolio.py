"""The owner's figures (issue 22): save the business data (whole, checked, against the version
it was made from), upload the whole file, restore a version. 409 on a stale save."""

from __future__ import annotations

from typing import Annotated, Any

from api_access import ADMIN, caller
from api_dependencies import portfolio_repository
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from quarterdeck.errors import InvalidInputError

router = APIGatewayHttpRouter()


class PortfolioSave(BaseModel):
    """The whole document, and the version it was made from (0: the data file, never saved)."""

    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=0, le=10**9)
    document: dict[str, Any]


class PortfolioUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=0, le=10**9)
    text: str = Field(max_length=1_000_000, description="The whole file: TOML, or JSON")


class PortfolioRestore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=0, le=10**9, description="The current version (the one restoring is made from)")


@router.put("/api/portfolio", summary="Save the business data (409 if stale)", tags=["portfolio"], middlewares=[ADMIN])
def save(body: Annotated[PortfolioSave, Body()]) -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import save_portfolio

    return save_portfolio(portfolio_repository(), caller(router).email, version=body.version, document=body.document)


@router.put(
    "/api/portfolio/file",
    summary="Upload the whole file as the next version (409 if stale)",
    tags=["portfolio"],
    middlewares=[ADMIN],
)
def upload(body: Annotated[PortfolioUpload, Body()]) -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import upload_portfolio

    return upload_portfolio(portfolio_repository(), caller(router).email, version=body.version, text=body.text)


@router.post(
    "/api/portfolio/versions/<n>/restore",
    summary="Restore a version as the next one (409 if stale)",
    tags=["portfolio"],
    middlewares=[ADMIN],
)
def restore(n: str, body: Annotated[PortfolioRestore, Body()]) -> dict[str, Any]:
    from quarterdeck.reports.portfolio_versions import restore_version

    if not n.isdigit() or len(n) > 9:
        raise InvalidInputError("The version must be a whole number.", field="n")
    return restore_version(portfolio_repository(), caller(router).email, int(n), version=body.version)
