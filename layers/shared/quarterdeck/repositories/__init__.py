"""Repositories: one module per aggregate, the only code that knows DynamoDB's keys and expressions.

Each module exposes a `typing.Protocol` of intention-named methods (what the domain wants:
`claim_slot`, `record_signature`) and one DynamoDB implementation over `quarterdeck.store.Store`.
A lost condition becomes a domain error (`quarterdeck.errors`) here, chosen by the name of the
action that failed, never by its position. Domain modules import the protocols, never `Store`.
See docs/architecture.md.
"""

from __future__ import annotations

from typing import Any

Item = dict[str, Any]
"""What crosses the boundary: a plain dict of an item's attributes (the domain never reads pk/sk)."""
