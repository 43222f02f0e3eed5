"""Person records: someone who has proved their email at least once."""

from __future__ import annotations

import time
from collections.abc import Callable

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.store import ConditionFailedError, Item, Store, Write

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


def person_upsert(email: str, role: Role, *, clock: Clock = system_clock) -> Write:
    """The transaction item that gives `email` a person record without reading it first: created
    on first use; a guest's record is never made to outrank its holder (`guest` only fills a
    missing role), while crew/admin (decided by the caller from the deploy's admin list) is
    written as is, so a guest later invited or designated becomes crew."""
    pk, sk = person_key(email)
    role_value = "if_not_exists(#role, :role)" if role == "guest" else ":role"
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update=(
            "SET #type = :person, email = :email, created_at = if_not_exists(created_at, :now),"
            f" nudges = if_not_exists(nudges, :true), #role = {role_value}"
        ),
        names={"#type": "type", "#role": "role"},
        values={":person": "person", ":email": email.lower(), ":now": iso(clock()), ":true": True, ":role": role},
    )


# Expired entries are dropped from `revoked` once this many have piled up (one extra write, rarely).
_REVOKED_PRUNE_AT = 20


def revoke_session(store: Store, email: str, jti: str, expires: int, *, clock: Clock = system_clock) -> None:
    """Remember a logged-out token id until it would have expired anyway: one UpdateItem that adds
    `jti` to the person's `revoked` map without reading it (so a sign-out on another device at the
    same moment is never overwritten). The first sign-out ever creates the map (a second write)."""
    pk, sk = person_key(email)
    names = {"#revoked": "revoked", "#jti": jti}
    try:
        person = store.update(
            pk,
            sk,
            "SET #revoked.#jti = :expires",
            condition="attribute_exists(pk) AND attribute_exists(#revoked)",
            names=names,
            values={":expires": expires},
        )
    except ConditionFailedError as lost:
        if lost.current is None:  # no such person: no session of theirs can be used anyway
            recent_people.forget(email)
            return
        try:
            person = store.update(
                pk,
                sk,
                "SET #revoked = :revoked",
                condition="attribute_exists(pk) AND attribute_not_exists(#revoked)",
                names={"#revoked": "revoked"},
                values={":revoked": {jti: expires}},
            )
        except ConditionFailedError:  # another sign-out created the map meanwhile: add to it
            person = store.update(
                pk,
                sk,
                "SET #revoked.#jti = :expires",
                condition="attribute_exists(pk)",
                names=names,
                values={":expires": expires},
            )
    recent_people.forget(email)
    now = epoch(clock())
    expired = [k for k, v in (person.get("revoked") or {}).items() if int(v) <= now]
    if len(expired) >= _REVOKED_PRUNE_AT:
        removed = {f"#old{n}": k for n, k in enumerate(expired)}
        store.update(
            pk,
            sk,
            "REMOVE " + ", ".join(f"#revoked.{name}" for name in removed),
            condition="attribute_exists(pk)",
            names={"#revoked": "revoked", **removed},
        )


def delete_person(store: Store, email: str) -> None:
    store.delete(*person_key(email))
    recent_people.forget(email)
