"""People: someone who has proved their email at least once (or whom we mailed).

The records live behind `quarterdeck.repositories.people.PeopleRepository`; this module holds
what is decided about them: who a role goes to, how long a container trusts what it read, and
when the list of signed-out sessions is tidied.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.errors import PersonExistsError
from quarterdeck.repositories import Item
from quarterdeck.repositories.people import PeopleRepository, Role, get_person, person_key, person_upsert

# get_person, person_key and person_upsert are re-exported while calendar_feed, crew and nudges
# still import them from here (they live in quarterdeck.repositories.people).
__all__ = [
    "RecentPeople",
    "Role",
    "delete_person",
    "ensure_person",
    "get_person",
    "person_key",
    "person_upsert",
    "recent_people",
    "revoke_session",
]


class RecentPeople:
    """Person records this container read lately, so a warm request checks its caller without a
    DynamoDB call. A record is trusted for `max_age` seconds; changes made in this container
    (sign-out, deletion) forget it at once, changes made elsewhere show within `max_age`.
    Only found records are kept: someone who does not exist is looked up every time."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._records: dict[str, tuple[float, Item]] = {}

    def get(self, people: PeopleRepository, email: str, *, max_age: float) -> Item | None:
        key = email.lower()
        now = self._monotonic()
        remembered = self._records.get(key)
        if remembered is not None and now - remembered[0] < max_age:
            return remembered[1]
        person = people.person(key)
        if person is None:
            self._records.pop(key, None)
        elif max_age > 0:
            self._records[key] = (now, person)
        return person

    def forget(self, email: str) -> None:
        self._records.pop(email.lower(), None)


# One per container (module state lives as long as the Lambda execution environment).
recent_people = RecentPeople()


def ensure_person(people: PeopleRepository, email: str, role: Role, *, clock: Clock = system_clock) -> Item:
    """Create the person on first use; an existing record keeps its role unless it was a guest's."""
    try:
        return people.add_person(email, role, created_at=iso(clock()))
    except PersonExistsError as exists:
        current = exists.current
    if role != "guest" and current.get("role") == "guest":
        # A guest who is later invited as crew (or made admin) gets that role.
        return people.set_role(email, role)
    return current


# Expired entries are dropped from `revoked` once this many have piled up (one extra write, rarely).
_REVOKED_PRUNE_AT = 20


def revoke_session(
    people: PeopleRepository, email: str, jti: str, expires: int, *, clock: Clock = system_clock
) -> None:
    """Remember a logged-out token id until it would have expired anyway (one write, usually)."""
    person = people.revoke_session(email, jti, expires)
    recent_people.forget(email)
    if person is None:  # no such person: no session of theirs can be used anyway
        return
    now = epoch(clock())
    expired = [k for k, v in (person.get("revoked") or {}).items() if int(v) <= now]
    if len(expired) >= _REVOKED_PRUNE_AT:
        people.drop_revoked(email, expired)


def delete_person(people: PeopleRepository, email: str) -> None:
    people.delete_person(email)
    recent_people.forget(email)
