"""Person records: someone who has proved their email at least once."""

from __future__ import annotations

from typing import Any

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.store import ConditionFailedError, Item, Store

Role = str  # "admin" | "crew" | "guest"


def person_key(email: str) -> tuple[str, str]:
    return f"PERSON#{email.lower()}", "META"


def get_person(store: Store, email: str) -> Item | None:
    return store.get(*person_key(email))


def ensure_person(store: Store, email: str, role: Role, *, clock: Clock = system_clock) -> Item:
    """Create the person on first use; an existing record keeps its role unless it was a guest's."""
    pk, sk = person_key(email)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "person",
        "email": email.lower(),
        "role": role,
        "created_at": iso(clock()),
        "nudges": True,
    }
    try:
        store.put(item, condition="attribute_not_exists(pk)")
        return item
    except ConditionFailedError as lost:
        current = lost.current or get_person(store, email) or item
    if role != "guest" and current.get("role") == "guest":
        # A guest who is later invited as crew (or made admin) gets that role.
        return store.update(pk, sk, "SET #role = :role", names={"#role": "role"}, values={":role": role})
    return current


def revoke_session(store: Store, email: str, jti: str, expires: int, *, clock: Clock = system_clock) -> None:
    """Remember a logged-out token id until it would have expired anyway."""
    pk, sk = person_key(email)
    person = store.get(pk, sk) or {}
    now = epoch(clock())
    revoked: dict[str, Any] = {k: v for k, v in (person.get("revoked") or {}).items() if int(v) > now}
    revoked[jti] = expires
    store.update(
        pk,
        sk,
        "SET #revoked = :revoked",
        condition="attribute_exists(pk)",
        names={"#revoked": "revoked"},
        values={":revoked": revoked},
    )


def delete_person(store: Store, email: str) -> None:
    store.delete(*person_key(email))
