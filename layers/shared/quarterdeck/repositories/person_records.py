"""How a person record is written (the record is documented in `repositories.people`): the
actions other aggregates put in their own transaction (a claim, a redeemed code, an invite)
to give someone a record without reading it first, and what the roster's changes leave on a
record, so a write can answer without reading it back."""

from __future__ import annotations

from typing import Any

from quarterdeck import keys
from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.repositories import Item
from quarterdeck.store import Write

Role = str  # "admin" | "crew" | "guest"

PERSON = "person"
"""The name of `person_upsert`'s action (and of a removal's) in a transaction."""


def person_changed(person: Item, *, admin: bool | None, name: str | None) -> Item:
    """The record `person` after `update_person`: admin granted or withdrawn, renamed."""
    record = {key: value for key, value in person.items() if not (key == "admin" and admin is False)}
    if admin is not None:
        record.update({"role": "admin", "admin": True} if admin else {"role": "crew"})
    if name is not None:
        record["name"] = name
    return record


def on_roster(record: Item | None) -> bool:
    """Whether `record` is crew or admin already (enrolling them is refused); a guest's or a
    removed person's record is enrolled over (`enrolment(over=True)`'s condition)."""
    return record is not None and record.get("role") != "guest" and record.get("status") != "removed"


def enrolled(current: Item | None, email: str, *, admin: bool, name: str | None, added_by: str, at: str) -> Item:
    """The record after `enrol` of `current` (the record as it was; None: there was none)."""
    dropped = {"status", "removed_at", "removed_by", *(() if admin else ("admin",))}
    record = {key: value for key, value in (current or {}).items() if key not in dropped}
    record.setdefault("created_at", at)
    record.setdefault("nudges", True)
    record.update(type="person", email=email.lower(), role="admin" if admin else "crew", added_by=added_by.lower())
    record["added_at"] = at
    if admin:
        record["admin"] = True
    if name:
        record["name"] = name
    return record


def enrolment(email: str, *, admin: bool, name: str | None, added_by: str, at: str, over: bool) -> dict[str, Any]:
    """`enrol`'s update (what `enrolled` computes): of a new record, or `over` a guest's or a
    removed person's."""
    sets = (
        "SET #type = :person, email = :email, created_at = if_not_exists(created_at, :now),"
        " nudges = if_not_exists(nudges, :true), #role = :role, added_by = :by, added_at = :now,"
        " gsi1pk = :gpk, gsi1sk = :gsk"
    )
    values: dict[str, Any] = {
        ":person": "person",
        ":email": email.lower(),
        ":now": at,
        ":true": True,
        ":role": "admin" if admin else "crew",
        ":by": added_by.lower(),
        ":gpk": keys.people_index(email)[0],
        ":gsk": keys.people_index(email)[1],
    }
    names = {"#type": "type", "#role": "role", "#admin": "admin", "#status": "status"}
    if admin:
        sets += ", #admin = :true"
    if name:
        sets += ", #name = :name"
        values[":name"] = name
        names["#name"] = "name"
    condition = "attribute_not_exists(pk)"
    if over:
        condition = "#role = :guest OR #status = :removed"
        values.update({":guest": "guest", ":removed": "removed"})
    removes = " REMOVE #status, removed_at, removed_by" + ("" if admin else ", #admin")
    return {"update": sets + removes, "condition": condition, "names": names, "values": values}


def indexed(email: str) -> Item:
    """The GSI1 fields that put a record on the roster (`keys.people_index`)."""
    gsi1pk, gsi1sk = keys.people_index(email)
    return {"gsi1pk": gsi1pk, "gsi1sk": gsi1sk}


def person_upsert(email: str, role: Role, *, clock: Clock = system_clock, signed_in: bool = False) -> Write:
    """The transaction action (named `person`) that gives `email` a person record without reading
    it first: created on first use; a guest's record is never made to outrank its holder (`guest`
    only fills a missing role), while crew/admin (decided by the caller from the deploy's admin
    list) is written as is, so a guest later invited or designated becomes crew. An admin made
    in the app keeps `admin` (another field), and a removed person stays removed.
    `signed_in` also records the time as their last sign-in."""
    pk, sk = keys.person(email)
    role_value = "if_not_exists(#role, :role)" if role == "guest" else ":role"
    gsi1pk, gsi1sk = keys.people_index(email)
    values: dict[str, Any] = {
        ":person": "person",
        ":email": email.lower(),
        ":now": iso(clock()),
        ":true": True,
        ":role": role,
        ":gpk": gsi1pk,
        ":gsk": gsi1sk,
    }
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        name=PERSON,
        update=(
            "SET #type = :person, email = :email, created_at = if_not_exists(created_at, :now),"
            f" nudges = if_not_exists(nudges, :true), #role = {role_value}, gsi1pk = :gpk, gsi1sk = :gsk"
            + (", last_sign_in = :now" if signed_in else "")
        ),
        names={"#type": "type", "#role": "role"},
        values=values,
    )


def person_invited(email: str, sail_id: str, *, clock: Clock = system_clock) -> Write:
    """The transaction action (named `invited_person`) an invite to a slot carries: the address
    joins the roster as crew marked with the sail it came from, unless it is on record already
    (then nothing changes but the index fields)."""
    pk, sk = keys.person(email)
    gsi1pk, gsi1sk = keys.people_index(email)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        name="invited_person",
        update=(
            "SET #type = :person, email = :email, created_at = if_not_exists(created_at, :now),"
            " nudges = if_not_exists(nudges, :true), #role = if_not_exists(#role, :crew),"
            " invited_sail = if_not_exists(invited_sail, :sail), gsi1pk = :gpk, gsi1sk = :gsk"
        ),
        names={"#type": "type", "#role": "role"},
        values={
            ":person": "person",
            ":email": email.lower(),
            ":now": iso(clock()),
            ":true": True,
            ":crew": "crew",
            ":sail": sail_id,
            ":gpk": gsi1pk,
            ":gsk": gsi1sk,
        },
    )
