"""PortfolioRepository in memory: a dict of versions (record and document) and the current number."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from quarterdeck.repositories.portfolio import PortfolioVersion, Saved, stale_portfolio_error


class MemoryPortfolioRepository:
    def __init__(self) -> None:
        self.saved: dict[int, tuple[PortfolioVersion, dict[str, Any]]] = {}
        self.at = 0  # the current version (0: none saved)

    def current(self) -> tuple[PortfolioVersion, dict[str, Any]] | None:
        return copy.deepcopy(self.saved[self.at]) if self.at else None

    def version_and_current(self, version: int) -> tuple[Saved | None, Saved | None]:
        return (copy.deepcopy(self.saved[version]) if version in self.saved else None), self.current()

    def versions(self, *, limit: int = 200) -> list[PortfolioVersion]:
        return [self.saved[n][0] for n in sorted(self.saved, reverse=True)][:limit]

    def save(self, document: Mapping[str, Any], info: PortfolioVersion) -> None:
        if self.at != info.version - 1 or info.version in self.saved:
            raise stale_portfolio_error(self.at)
        self.saved[info.version] = (info, copy.deepcopy(dict(document)))
        self.at = info.version
