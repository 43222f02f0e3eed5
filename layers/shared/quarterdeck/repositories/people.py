"""People: one record per address that has proved it (or that we mailed), with its role, its
revoked sessions, its nudge setting and its private calendar token.

`PeopleRepository` is what the domain asks for; `DynamoPeopleRepository` keeps each person at
`PERSON#<email>/META`. `person_records.person_upsert` is the write other aggregates put in their own
transaction (a claim, a redeemed code) to give someone a record without reading it first.

Every person record also carries GSI1 keys (`keys.people_index`): the roster (issue 20) is one
Query of that partition, which also holds the suppression list (`keys.suppression_index`, written
by the delivery log's repository), so the People page learns whose mail bounces in that Query.
A record's fields besides the above: `name`, `admin` (an admin made in the app; the deploy's
`ADMIN_EMAILS` are admins whatever the record says), `status`
(`removed`, or absent), `last_sign_in`, `invited_sail` (the sail whose invite added them),
`nudges_off` (kinds turned off one by one; `nudges: false` still means all off) and
`sessions_after` (epoch milliseconds: sessions issued before it are signed out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.errors import PersonExistsError, PersonNotFoundError, SlotChangedError
from quarterdeck.repositories import Item
from quarterdeck.repositories.caller_checks import caller_check
from quarterdeck.repositories.deliveries import suppression_view
from quarterdeck.repositories.person_records import (
    PERSON,
    Role,
    enrolled,
    enrolment,
    indexed,
    on_roster,
    person_changed,
)
from quarterdeck.repositories.slot_releases import Release, release_writes
from quarterdeck.store import ConditionFailedError, Store, TransactionCanceledError, Write

_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _view(item: Item | None) -> Item | None:
    return None if item is None else {k: v for k, v in item.items() if k not in _KEYS}


@dataclass(frozen=True)
class RosterListing:
    """The People page's read: every person record (as `roster`), and the suppression list by
    lower-cased address (SUPPRESSION_FIELDS, as the delivery log's repository returns it)."""

    people: list[Item]
    suppressed: dict[str, Item]


class PeopleRepository(Protocol):
    def person(self, email: str, *, consistent: bool = False) -> Item | None:
        """The person's record, or None (eventually consistent unless `consistent`)."""
        ...

    def roster(self) -> list[Item]:
        """Every person record (guests included), ordered by address: one Query of the index."""
        ...

    def roster_listing(self) -> RosterListing:
        """Every person record (as `roster`) and whose mail bounces, in that same one Query."""
        ...

    def enrol(self, email: str, *, admin: bool, name: str | None, added_by: str, at: str) -> Item:
        """Put someone on the roster as crew (or admin): a new record, or a guest's or a removed
        person's record made crew again. PersonExistsError (carrying the record) if they are
        already crew or admin."""
        ...

    def update_person(
        self, email: str, *, admin: bool | None = None, name: str | None = None, current: Item | None = None
    ) -> Item:
        """Grant or withdraw admin and/or rename; the record afterwards (`person_changed` of
        `current`, the record as just read, when given: no read back). PersonNotFoundError if
        there is no such person or they were removed."""
        ...

    def remove(
        self, email: str, *, by: str, at: str, crew_only: bool = False, releasing: Sequence[Release] = ()
    ) -> bool:
        """Mark the person removed (their record, name and history stay; admin, calendar feed
        and sessions go); True. PersonNotFoundError if there is no such person or they were
        removed. With `crew_only`, an admin (granted in the app) is left as they are and False
        returned: removing an admin needs the last-admin check first. The slots of `releasing`
        (at most RELEASES_AT_ONCE, held by this person) open in the same transaction; if one of
        them changed meanwhile nothing is written and SlotChangedError is raised."""
        ...

    def set_nudge_kinds(self, email: str, *, enabled: bool, kinds_off: Sequence[str]) -> Item:
        """Write the person's whole nudge setting (`nudges` and `nudges_off`); the record
        afterwards. PersonNotFoundError if there is none."""
        ...

    def end_sessions(self, email: str, *, before: int) -> None:
        """Every session issued before `before` (epoch milliseconds) is signed out.
        PersonNotFoundError if there is no such person."""
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

    def revoke_session(
        self,
        email: str,
        jti: str,
        expires: int,
        *,
        prune: Sequence[str] = (),
        sessions_before: int | None = None,
        no_map_yet: bool = False,
    ) -> Item | None:
        """Remember a signed-out token id until `expires` (epoch seconds), without reading first and
        without losing a sign-out made at the same moment elsewhere; in the same write forget the
        ids in `prune` (expired ones) and, with `sessions_before` (epoch milliseconds), sign out
        every session issued before it ("sign out everywhere"). `no_map_yet`: the record as last
        seen had no signed-out ids (the first write then creates their map; a wrong guess costs a
        second write). The record as it is afterwards, or None if there is no such person (no
        session of theirs can be used anyway)."""
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

    def caller_check(self, email: str, *, jti: str, issued_ms: int, role: Role | None) -> Write:
        """The condition a request's writes carry (`store.Guard`): the caller's record exists, is
        not removed, has not revoked this session (`jti`) nor ended sessions issued at
        `issued_ms` or before, and (unless `role` is None) still gives `role`: `admin` needs the
        admin granted in the app, `crew` crew or admin on record."""
        ...


class DynamoPeopleRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def person(self, email: str, *, consistent: bool = False) -> Item | None:
        return _view(self._store.get(*keys.person(email), consistent=consistent))

    def roster(self) -> list[Item]:
        return self.roster_listing().people

    def roster_listing(self) -> RosterListing:
        found = self._store.query(keys.PEOPLE, index="gsi1")
        return RosterListing(
            people=[_view(item) or {} for item in found if item.get("type") == "person"],
            suppressed={str(i["email"]): suppression_view(i) for i in found if i.get("type") == "suppression"},
        )

    def enrol(self, email: str, *, admin: bool, name: str | None, added_by: str, at: str) -> Item:
        was: Item | None = None  # a new address (the usual case): the answer is known without a read back
        for _ in range(2):  # then, once, over the guest's or removed person's record that came back
            try:
                self._store.update(
                    *keys.person(email),
                    **enrolment(email, admin=admin, name=name, added_by=added_by, at=at, over=was is not None),
                    returning=False,
                )
                return enrolled(was, email, admin=admin, name=name, added_by=added_by, at=at)
            except ConditionFailedError as lost:
                was = _view(lost.current) or self.person(email, consistent=True) or {}
            if on_roster(was):
                break
        raise PersonExistsError("This person is already on the roster.", current=was)

    def update_person(
        self, email: str, *, admin: bool | None = None, name: str | None = None, current: Item | None = None
    ) -> Item:
        sets: list[str] = []
        removes: list[str] = []
        names = {"#status": "status"}
        values: dict[str, Any] = {":removed": "removed"}
        if admin is not None:
            names.update({"#admin": "admin", "#role": "role"})
            if admin:
                sets += ["#admin = :true", "#role = :admin"]
                values.update({":true": True, ":admin": "admin"})
            else:
                sets.append("#role = :crew")
                removes.append("#admin")
                values[":crew"] = "crew"
        if name is not None:
            names["#name"] = "name"
            sets.append("#name = :name")
            values[":name"] = name
        if not sets and not removes:
            found = self.person(email, consistent=True)
            if found is None or found.get("status") == "removed":
                raise PersonNotFoundError("There is no such person.")
            return found
        update = (f"SET {', '.join(sets)}" if sets else "") + (f" REMOVE {', '.join(removes)}" if removes else "")
        try:
            updated = self._store.update(
                *keys.person(email),
                update.strip(),
                condition="attribute_exists(pk) AND (attribute_not_exists(#status) OR #status <> :removed)",
                names=names,
                values=values,
                returning=current is None,
            )
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None
        return person_changed(current, admin=admin, name=name) if current is not None else _view(updated) or {}

    def remove(
        self, email: str, *, by: str, at: str, crew_only: bool = False, releasing: Sequence[Release] = ()
    ) -> bool:
        condition = "attribute_exists(pk) AND (attribute_not_exists(#status) OR #status <> :removed)"
        values: dict[str, Any] = {":removed": "removed", ":at": at, ":by": by.lower()}
        if crew_only:  # no read first: the record as it was comes back only if the condition fails
            condition += " AND (attribute_not_exists(#admin) OR #admin <> :true)"
            values[":true"] = True
        pk, sk = keys.person(email)
        removal = Write(
            "Update",
            key={"pk": pk, "sk": sk},
            name=PERSON,
            update="SET #status = :removed, removed_at = :at, removed_by = :by"
            " REMOVE #admin, calendar_token, calendar_token_at, calendar_sail_id",
            condition=condition,
            names={"#status": "status", "#admin": "admin"},
            values=values,
            return_old=True,
        )
        try:  # the slots (if any) open in the same transaction: all or nothing
            self._store.transact([removal, *(w for release in releasing for w in release_writes(email, release))])
        except TransactionCanceledError as lost:
            if PERSON not in lost.failed:
                raise SlotChangedError({}) from None
            was = lost.item_of(PERSON) or {}
            if crew_only and was and was.get("status") != "removed" and was.get("admin") is True:
                return False
            raise PersonNotFoundError("There is no such person.") from None
        return True

    def set_nudge_kinds(self, email: str, *, enabled: bool, kinds_off: Sequence[str]) -> Item:
        try:
            updated = self._store.update(
                *keys.person(email),
                "SET nudges = :enabled, nudges_off = :off",
                condition="attribute_exists(pk)",
                values={":enabled": enabled, ":off": sorted(set(kinds_off))},
            )
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None
        return _view(updated) or {}

    def end_sessions(self, email: str, *, before: int) -> None:
        try:
            self._store.update(
                *keys.person(email),
                "SET sessions_after = :before",
                condition="attribute_exists(pk)",
                values={":before": before},
            )
        except ConditionFailedError:
            raise PersonNotFoundError("There is no such person.") from None

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
            self._store.put({"pk": pk, "sk": sk, **item, **indexed(email)}, condition="attribute_not_exists(pk)")
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

    def revoke_session(
        self,
        email: str,
        jti: str,
        expires: int,
        *,
        prune: Sequence[str] = (),
        sessions_before: int | None = None,
        no_map_yet: bool = False,
    ) -> Item | None:
        pk, sk = keys.person(email)
        also = ", sessions_after = :before" if sessions_before is not None else ""
        before = {":before": sessions_before} if sessions_before is not None else {}
        dropped = {f"#old{n}": old for n, old in enumerate(old for old in prune if old != jti)}
        add = (  # the usual case: the map exists, one write adds to it (and forgets the expired)
            "SET #revoked.#jti = :expires"
            + also
            + (" REMOVE " + ", ".join(f"#revoked.{name}" for name in dropped) if dropped else ""),
            "attribute_exists(pk) AND attribute_exists(#revoked)",
            {"#revoked": "revoked", "#jti": jti, **dropped},
            {":expires": expires, **before},
        )
        create = (  # the first sign-out ever creates the map
            "SET #revoked = :revoked" + also,
            "attribute_exists(pk) AND attribute_not_exists(#revoked)",
            {"#revoked": "revoked"},
            {":revoked": {jti: expires}, **before},
        )
        first, second = (create, add) if no_map_yet else (add, create)
        for update, condition, names, values in (first, second, first):  # the map came or went meanwhile
            try:
                return _view(self._store.update(pk, sk, update, condition=condition, names=names, values=values))
            except ConditionFailedError as lost:
                if lost.current is None:  # no such person (or deleted meanwhile)
                    return None
        return None

    def set_nudges(self, email: str, enabled: bool, *, created_at: str) -> None:
        self._store.update(
            *keys.person(email),
            "SET nudges = :enabled, #type = if_not_exists(#type, :person), email = :email, "
            "created_at = if_not_exists(created_at, :now), #role = if_not_exists(#role, :guest),"
            " gsi1pk = :gpk, gsi1sk = :gsk",
            names={"#type": "type", "#role": "role"},
            values={
                ":gpk": keys.people_index(email)[0],
                ":gsk": keys.people_index(email)[1],
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

    def caller_check(self, email: str, *, jti: str, issued_ms: int, role: Role | None) -> Write:
        return caller_check(email, jti=jti, issued_ms=issued_ms, role=role)
