"""The example portfolio data file, put where the reports read it: the local data bucket."""

from __future__ import annotations

from local.environment import ROOT

EXAMPLE_PORTFOLIO = ROOT / "data" / "portfolio.example.toml"


def seed_portfolio() -> None:
    """Upload data/portfolio.example.toml to DATA_BUCKET/PORTFOLIO_KEY (overwrites: it is the example)."""
    from quarterdeck.clients import client
    from quarterdeck.config import get_settings

    settings = get_settings()
    client("s3").put_object(
        Bucket=settings.data_bucket,
        Key=settings.portfolio_key,
        Body=EXAMPLE_PORTFOLIO.read_bytes(),
        ContentType="application/toml",
    )
