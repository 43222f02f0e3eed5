"""People: one record per address that has proved it (or that we mailed), with its role, its
revoked sessions, its nudge setting and its private calendar token.

`PeopleRepository` is what the domain asks for; `DynamoPeopleRepository` keeps each person at
`PERSON#<email>/META`. `person_upsert` is the write other aggregates put in their own
transaction (a claim, a redeemed code) to give someone a record without reading it first.

Every method is keyed by the (case-insensitive) address, so a roster (issue 20: list, rename,
change role, remove) adds methods of the same shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.errors import PersonExistsError, PersonNotFoundError
from quarterdeck.repositories import Item
from quarterdeck.store import ConditionFailedError, Store, Write

Role = str  # "admin" | "crew" | "guest"

PERSON = "person"
"""The name of `person_upsert`'s action in a transaction."""

_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _view(item: Item | None) -> Item | None:
    return None if item is None else {k: v for k, v in item.items() if k not in _KEYS}


class PeopleRepository(Protocol):
    def person(self, email: str) -> Item | None:
        """The person's record, or None (an eventually consistent read)."""
        ...

    def people(self, emails: Iterable[str]) -> dict[str, Item]:
        """The records of those of `emails` who have one, by lower-case address (one batch read)."""
        ...

    def add_person(self, email: str, role: Role, *, created_at: str) -> Item:
        """A new record with nudges on; PersonExistsError (carrying the record) if there is one."""
        ...

    def set_role(self, email: str, role: Role) -> Item:
        """The record with its role changed; PersonNotFoundError if there is none."""
        ...

    def revoke_session(self, email: str, jti: str, expires: int) -> Item | None:
        """Remember a signed-out token id until `expires` (epoch seconds), without reading first and
        without losing a sign-out made at the same moment elsewhere. The record as it is
        afterwards, or None if there is no such person (no session of theirs can be used anyway)."""
        ...

    def drop_revoked(self, email: str, jtis: Sequence[str]) -> None:
        """Forget these token ids (expired ones: they cannot be used anyway)."""
        ...

    def set_nudges(self, email: str, enabled: bool, *, created_at: str) -> None:
        """Turn the person's nudges on or off, creating the record of someone we only mailed (as a guest)."""
        ...

    def set_calendar_token(self, email: str, token_hash: str, *, at: str, sail_id: str | None = None) -> None:
        """Keep the hash of the person's calendar-feed secret (replacing any earlier one);
        PersonNotFoundError if there is no such person."""
        ...

    def clear_calendar_token(self, email: str) -> None:
        """Forget the calendar-feed secret; PersonNotFoundError if there is no such person."""
        ...

    def delete_person(self, email: str) -> None: ...


def person_upsert(email: str, role: Role, *, clock: Clock = system_clock) -> Write:
    """The transaction action (named `person`) that gives `email` a person record without reading
    it first: created on first use; a guest's record is never made to outrank its holder (`guest`
    only fills a missing role), while crew/admin (decided by the caller from the deploy's admin
    list) is written as is, so a guest later invited or designated becomes crew."""
    pk, sk = keys.person(email)
    role_value = "if_not_exists(#role, :role)" if role == "guest" else ":role"
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        name=PERSON,
        update=(
            "SET #type = :person, email = :email, created_at = if_not_exists(created_at, :now),"
            f" nudges = if_not_exists(nudges, :true), #role = {role_value}"
        ),
        names={"#type": "type", "#role": "role"},
        values={":person": "person", ":email": email.lower(), ":now": iso(clock()), ":true": True, ":role": role},
    )


class DynamoPeopleRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def person(self, email: str) -> Item | None:
        return _view(self._store.get(*keys.person(email)))

    def people(self, emails: Iterable[str]) -> dict[str, Item]:
        wanted = sorted({email.lower() for email in emails})
        if not wanted:
            return {}
        found = self._store.batch_get([keys.person(email) for email in wanted])
        return {str(item["email"]): _view(item) or {} for item in found}

    def add_person(self, email: str, role: Role, *, created_at: str) -> Item:
        pk, sk = keys.person(email)
        item: Item = {"type": "person", "email": email.lower(), "role": role, "created_at": created_at, "nudges": True}
        try:
            self._store.put({"pk": pk, "sk": sk, **item}, condition="attribute_not_exists(pk)")
        except ConditionFailedError as lost:
            current = _view(lost.current) or self.person(email) or item
            raise PersonExistsError("This person is already on record.", current=current) from None
        return item

    def set_role(self, email: str, role: Role) -> Item:
        try:
            updated = self._store.update(
                *keys.person(email),
                "SET #role = :role",
                condition="attribute_exists(pk)",
                names={"#role": "role"},
                values={":role": role},
            )
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None
        return _view(updated) or {}

    def revoke_session(self, email: str, jti: str, expires: int) -> Item | None:
        pk, sk = keys.person(email)
        names = {"#revoked": "revoked", "#jti": jti}
        try:  # the usual case: the map exists, one write adds to it
            return _view(
                self._store.update(
                    pk,
                    sk,
                    "SET #revoked.#jti = :expires",
                    condition="attribute_exists(pk) AND attribute_exists(#revoked)",
                    names=names,
                    values={":expires": expires},
                )
            )
        except ConditionFailedError as lost:
            if lost.current is None:
                return None
        try:  # the first sign-out ever creates the map
            return _view(
                self._store.update(
                    pk,
                    sk,
                    "SET #revoked = :revoked",
                    condition="attribute_exists(pk) AND attribute_not_exists(#revoked)",
                    names={"#revoked": "revoked"},
                    values={":revoked": {jti: expires}},
                )
            )
        except ConditionFailedError:  # another sign-out created the map meanwhile: add to it
            try:
                return _view(
                    self._store.update(
                        pk,
                        sk,
                        "SET #revoked.#jti = :expires",
                        condition="attribute_exists(pk)",
                        names=names,
                        values={":expires": expires},
                    )
                )
            except ConditionFailedError:  # deleted meanwhile
                return None

    def drop_revoked(self, email: str, jtis: Sequence[str]) -> None:
        if not jtis:
            return
        removed = {f"#old{n}": jti for n, jti in enumerate(jtis)}
        try:
            self._store.update(
                *keys.person(email),
                "REMOVE " + ", ".join(f"#revoked.{name}" for name in removed),
                condition="attribute_exists(pk)",
                names={"#revoked": "revoked", **removed},
            )
        except ConditionFailedError:  # deleted meanwhile: nothing left to forget
            return

    def set_nudges(self, email: str, enabled: bool, *, created_at: str) -> None:
        self._store.update(
            *keys.person(email),
            "SET nudges = :enabled, #type = if_not_exists(#type, :person), email = :email, "
            "created_at = if_not_exists(created_at, :now), #role = if_not_exists(#role, :guest)",
            names={"#type": "type", "#role": "role"},
            values={
                ":enabled": enabled,
                ":person": "person",
                ":email": email.lower(),
                ":now": created_at,
                ":guest": "guest",
            },
        )

    def set_calendar_token(self, email: str, token_hash: str, *, at: str, sail_id: str | None = None) -> None:
        update = "SET calendar_token = :hash, calendar_token_at = :now"
        values: dict[str, Any] = {":hash": token_hash, ":now": at}
        if sail_id:
            update += ", calendar_sail_id = :sail"
            values[":sail"] = sail_id
        try:
            self._store.update(*keys.person(email), update, condition="attribute_exists(pk)", values=values)
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None

    def clear_calendar_token(self, email: str) -> None:
        try:
            self._store.update(
                *keys.person(email),
                "REMOVE calendar_token, calendar_token_at, calendar_sail_id",
                condition="attribute_exists(pk)",
            )
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None

    def delete_person(self, email: str) -> None:
        self._store.delete(*keys.person(email))


# --- until the modules that read people take a PeopleRepository (calendar feed, nudges) -------
def person_key(email: str) -> tuple[str, str]:
    return keys.person(email)


def get_person(store: Store, email: str) -> Item | None:
    return DynamoPeopleRepository(store).person(email)
