"""The portfolio's versions: every saved version of the owner's figures, in the table.

`PORTFOLIO` / `CURRENT` holds the current version with its document (the reports read it in one
GetItem); `PORTFOLIO` / `VERSION#<n>` each version's record (who, when, how, what changed: the
versions page is one Query of these, without the documents); `PORTFOLIO` / `DOC#<n>` each
version's document. Documents are stored gzip-compressed JSON (binary): the example file of
1,300 lines is some 8 KB so, far inside an item's 400 KB.

A save is one transaction: the version's record and document are created (named `version`,
`attribute_not_exists`) and `CURRENT` moves on only from the version the save was made from
(named `current`); either failing is a save from a stale version (`StaleVersionError`), and
nothing of it is written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.errors import StaleVersionError
from quarterdeck.repositories import Item
from quarterdeck.store import Store, TransactionCanceledError, Write


@dataclass(frozen=True)
class PortfolioVersion:
    """One saved version: its number, when and by whom, how (`edited`, `uploaded`, `restored
    version 3`), and what changed from the version before (`changes`: {path, before, after},
    the first ones; `changed`: how many in all)."""

    version: int
    at: str
    by: str
    how: str
    changed: int = 0
    changes: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)

    def fields(self) -> dict[str, Any]:
        """What a version says of itself: stored on its record, and shown on the page."""
        return {
            "version": self.version,
            "at": self.at,
            "by": self.by,
            "how": self.how,
            "changed": self.changed,
            "changes": [dict(c) for c in self.changes],
        }


Saved = tuple[PortfolioVersion, dict[str, Any]]  # a version's record and its document


def stale_portfolio_error(current: int) -> StaleVersionError:
    return StaleVersionError(
        f"Someone else saved the business data first (it is now at version {current}). "
        "Reload it and make your change again.",
        field="version",
    )


class PortfolioRepository(Protocol):
    def current(self) -> tuple[PortfolioVersion, dict[str, Any]] | None:
        """The current version and its document (None before the first save)."""
        ...

    def version_and_current(self, version: int) -> tuple[Saved | None, Saved | None]:
        """One version and its document (None if there is no such version), and the current
        version and its document (None before the first save), read together."""
        ...

    def versions(self, *, limit: int = 200) -> list[PortfolioVersion]:
        """The versions' records, newest first (at most `limit`)."""
        ...

    def save(self, document: Mapping[str, Any], info: PortfolioVersion) -> None:
        """Store `document` as version `info.version`, current from now, if the current version
        is still `info.version - 1` (0: none yet); otherwise StaleVersionError, nothing written."""
        ...


def pack(document: Mapping[str, Any]) -> bytes:
    return gzip.compress(json.dumps(document, separators=(",", ":"), sort_keys=False).encode("utf-8"), mtime=0)


def unpack(blob: Any) -> dict[str, Any]:
    raw = blob.value if hasattr(blob, "value") else blob  # boto3 Binary, or bytes
    data: dict[str, Any] = json.loads(gzip.decompress(bytes(raw)).decode("utf-8"))
    return data


def _info(item: Item) -> PortfolioVersion:
    return PortfolioVersion(
        version=int(item["version"]),
        at=str(item.get("at", "")),
        by=str(item.get("by", "")),
        how=str(item.get("how", "")),
        changed=int(item.get("changed", 0)),
        changes=tuple(dict(c) for c in item.get("changes") or []),
    )


def _record(info: PortfolioVersion) -> Item:
    return {"type": "portfolio_version", **info.fields()}


class DynamoPortfolioRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def current(self) -> tuple[PortfolioVersion, dict[str, Any]] | None:
        item = self.store.get(*keys.portfolio_current(), consistent=True)
        if item is None:
            return None
        return _info(item), unpack(item["document"])

    def version_and_current(self, version: int) -> tuple[Saved | None, Saved | None]:
        wanted = [keys.portfolio_current()]
        if version >= 1:
            wanted += [keys.portfolio_version(version), keys.portfolio_document(version)]
        found = {str(i.get("type")): i for i in self.store.batch_get(wanted, consistent=True)}
        record, doc, now = (found.get(f"portfolio_{kind}") for kind in ("version", "document", "current"))
        one = (_info(record), unpack(doc["document"])) if record is not None and doc is not None else None
        return one, (_info(now), unpack(now["document"])) if now is not None else None

    def versions(self, *, limit: int = 200) -> list[PortfolioVersion]:
        pk, prefix = keys.portfolio_versions()
        return [_info(item) for item in self.store.query(pk, sk_prefix=prefix, forward=False, limit=limit)]

    def save(self, document: Mapping[str, Any], info: PortfolioVersion) -> None:
        blob = pack(document)
        record = _record(info)
        expected = info.version - 1
        current_pk, current_sk = keys.portfolio_current()
        version_pk, version_sk = keys.portfolio_version(info.version)
        doc_pk, doc_sk = keys.portfolio_document(info.version)
        writes = [
            Write(
                "Put",
                name="version",
                item={"pk": version_pk, "sk": version_sk, **record},
                condition="attribute_not_exists(pk)",
            ),
            Write(
                "Put",
                name="version",
                item={
                    "pk": doc_pk,
                    "sk": doc_sk,
                    "type": "portfolio_document",
                    "version": info.version,
                    "document": blob,
                },
                condition="attribute_not_exists(pk)",
            ),
            Write(
                "Put",
                name="current",
                item={"pk": current_pk, "sk": current_sk, **record, "type": "portfolio_current", "document": blob},
                condition="attribute_not_exists(pk)" if expected == 0 else "#version = :expected",
                names={} if expected == 0 else {"#version": "version"},
                values={} if expected == 0 else {":expected": expected},
            ),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as error:
            if "current" in error.failed or "version" in error.failed:
                now = self.store.get(current_pk, current_sk, consistent=True)
                raise stale_portfolio_error(int(now["version"]) if now else 0) from None
            raise
