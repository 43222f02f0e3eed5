"""Repositories: one module per aggregate, the only code that knows DynamoDB's keys and expressions.

Each module exposes a `typing.Protocol` of intention-named methods (what the domain wants:
`claim_slot`, `record_signature`) and one DynamoDB implementation over `quarterdeck.store.Store`.
A lost condition becomes a domain error (`quarterdeck.errors`) here, chosen by the name of the
action that failed, never by its position. Domain modules import the protocols, never `Store`.
See docs/architecture.md.
"""
