"""Person records: someone who has proved their email at least once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.store import ConditionFailedError, Item, Store

Role = str  # "admin" | "crew" | "guest"


def person_key(email: str) -> tuple[str, str]:
    return f"PERSON#{email.lower()}", "META"


def get_person(store: Store, email: str) -> Item | None:
    return store.get(*person_key(email))


class RecentPeople:
    """Person records this container read lately, so a warm request checks its caller without a
    DynamoDB call. A record is trusted for `max_age` seconds; changes made in this container
    (sign-out, deletion) forget it at once, changes made elsewhere show within `max_age`.
    Only found records are kept: someone who does not exist is looked up every time."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._records: dict[str, tuple[float, Item]] = {}

    def get(self, store: Store, email: str, *, max_age: float) -> Item | None:
        key = email.lower()
        now = self._monotonic()
        remembered = self._records.get(key)
        if remembered is not None and now - remembered[0] < max_age:
            return remembered[1]
        person = get_person(store, key)
        if person is None:
            self._records.pop(key, None)
        elif max_age > 0:
            self._records[key] = (now, person)
        return person

    def forget(self, email: str) -> None:
        self._records.pop(email.lower(), None)


# One per container (module state lives as long as the Lambda execution environment).
recent_people = RecentPeople()


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
    recent_people.forget(email)


def delete_person(store: Store, email: str) -> None:
    store.delete(*person_key(email))
    recent_people.forget(email)
