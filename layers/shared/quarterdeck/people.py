"""People: someone who has proved their email at least once (or whom we mailed).

The records live behind `quarterdeck.repositories.people.PeopleRepository`; this module holds
what is decided about them: who a role goes to, how long a container trusts what it read, and
when the list of signed-out sessions is tidied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import InvalidInputError, PersonExistsError, PersonNotFoundError
from quarterdeck.repositories import Item
from quarterdeck.repositories.people import PeopleRepository
from quarterdeck.repositories.person_records import Role


class RecentPeople:
    """Person records this container read lately, so a warm request checks its caller without a
    DynamoDB call. A record is trusted for `max_age` seconds; changes made in this container
    (sign-out, deletion) forget it at once, changes made elsewhere show within `max_age`.
    Only found records are kept: someone who does not exist is looked up every time."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._records: dict[str, tuple[float, Item]] = {}

    def get(self, people: PeopleRepository, email: str, *, max_age: float) -> Item | None:
        """The record, from memory when younger than `max_age`; `max_age=0` reads it (consistently:
        a change that has just been made elsewhere is seen) and remembers what it read."""
        key = email.lower()
        now = self._monotonic()
        remembered = self._records.get(key)
        if remembered is not None and now - remembered[0] < max_age:
            return remembered[1]
        person = people.person(key, consistent=max_age <= 0)
        if person is None:
            self._records.pop(key, None)
        else:
            self._records[key] = (now, person)
        return person

    def forget(self, email: str) -> None:
        self._records.pop(email.lower(), None)


# One per container (module state lives as long as the Lambda execution environment).
recent_people = RecentPeople()


def admin_addresses(people: PeopleRepository, settings: Settings) -> frozenset[str]:
    """Everyone who is an admin now: the deployment's (ADMIN_EMAILS) and the roster's."""
    found = set(settings.admin_emails)
    for person in people.roster():
        email = str(person["email"]).lower()
        if not is_removed(person) and effective_role(person, email, settings) == "admin":
            found.add(email)
    return frozenset(found)


class RecentAdmins:
    """The admins as this container read them lately, for the mail that goes to every admin (a
    claim, a release): a warm request sends it without reading the roster. A change to the
    roster made in this container forgets them at once; one made elsewhere shows within `max_age`."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._read: tuple[float, frozenset[str]] | None = None

    def get(self, people: PeopleRepository, settings: Settings, *, max_age: float) -> frozenset[str]:
        now = self._monotonic()
        if self._read is not None and now - self._read[0] < max_age:
            return self._read[1]
        admins = admin_addresses(people, settings)
        self._read = (now, admins)
        return admins

    def forget(self) -> None:
        self._read = None


recent_admins = RecentAdmins()


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
    people: PeopleRepository,
    email: str,
    jti: str,
    expires: int,
    *,
    clock: Clock = system_clock,
    sessions_before: int | None = None,
) -> None:
    """Remember a logged-out token id until it would have expired anyway, in one write: with it
    go the expired ids (once `_REVOKED_PRUNE_AT` have piled up) and, `sessions_before`, every
    session issued before then. One write, not two: a request's writes carry its caller's
    standing (quarterdeck.auth.write_guard), which the first would end. The record as this
    container last saw it (the caller's, just checked: no read) says what to prune."""
    known = recent_people.get(people, email, max_age=get_settings().person_cache_seconds) or {}
    now = epoch(clock())
    expired = [k for k, v in (known.get("revoked") or {}).items() if int(v) <= now]
    people.revoke_session(
        email,
        jti,
        expires,
        prune=expired if len(expired) >= _REVOKED_PRUNE_AT else (),
        sessions_before=sessions_before,
        no_map_yet=bool(known) and "revoked" not in known,
    )
    recent_people.forget(email)


def delete_person(people: PeopleRepository, email: str) -> None:
    people.delete_person(email)
    recent_people.forget(email)


# --- who someone is --------------------------------------------------------------------
def is_removed(person: Mapping[str, Any] | None) -> bool:
    return bool(person) and (person or {}).get("status") == "removed"


def effective_role(person: Mapping[str, Any] | None, email: str, settings: Settings | None = None) -> Role:
    """What a person may do now. The deploy's `ADMIN_EMAILS` are admins whatever their record
    says; after that the record decides: `admin` (granted in the app) makes an admin, a crew or
    admin role on record is crew, anything else (a guest, no record, removed) is a guest."""
    settings = settings or get_settings()
    if settings.is_admin(email):
        return "admin"
    if person is None or is_removed(person):
        return "guest"
    if person.get("admin") is True:
        return "admin"
    return "crew" if person.get("role") in ("admin", "crew") else "guest"


def may_sign_in(person: Mapping[str, Any] | None, email: str, settings: Settings | None = None) -> bool:
    """A login link goes to admins and crew on the roster; never to someone removed."""
    if (settings or get_settings()).is_admin(email):
        return True
    return person is not None and not is_removed(person) and effective_role(person, email, settings) != "guest"


def sessions_ended(person: Mapping[str, Any], issued_ms: int) -> bool:
    """A session issued before the person's last "sign out everywhere" (`sessions_after`, epoch
    milliseconds) is over; the session that asked is revoked by its id as well."""
    after = person.get("sessions_after")
    return after is not None and issued_ms < int(after)


# --- nudges, kind by kind -------------------------------------------------------------------
# The kinds of nudge a person can turn off one by one (quarterdeck.nudges.KINDS; not imported:
# the nudge run imports this module's neighbours, and a cycle would follow).
NUDGE_KINDS = ("unfilled_roles", "waiver_pending", "checklist_open", "day_of")


def nudges_off(person: Mapping[str, Any] | None) -> frozenset[str]:
    """The kinds this person does not get: all of them after an unsubscribe link
    (`nudges: false`, the old single switch), else those turned off on the settings page."""
    if person is None:
        return frozenset()
    if person.get("nudges") is False:
        return frozenset(NUDGE_KINDS)
    return frozenset(str(kind) for kind in person.get("nudges_off") or ())


def nudge_kinds(person: Mapping[str, Any] | None) -> dict[str, bool]:
    off = nudges_off(person)
    return {kind: kind not in off for kind in NUDGE_KINDS}


# --- my settings -------------------------------------------------------------------------------
NAME_MAX = 80


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX or any(not ch.isprintable() for ch in cleaned):
        raise InvalidInputError(f"A name is up to {NAME_MAX} printable characters.", field="name")
    return cleaned


def my_settings(person: Mapping[str, Any] | None, email: str, settings: Settings | None = None) -> dict[str, Any]:
    """What the settings page shows: name, role, each nudge kind on or off, the calendar link's state."""
    return {
        "email": email.lower(),
        "name": str((person or {}).get("name") or ""),
        "role": effective_role(person, email, settings),
        "nudges": nudge_kinds(person),
        "calendar_active": bool((person or {}).get("calendar_token")),
    }


def update_my_settings(
    people: PeopleRepository,
    email: str,
    *,
    name: str | None = None,
    nudges: Mapping[str, bool] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Rename and/or turn nudge kinds on and off (the others keep their state). The page and an
    unsubscribe link write the same fields: turning a kind back on after an unsubscribe turns
    that kind on and leaves the rest off."""
    unknown = sorted(set(nudges or {}) - set(NUDGE_KINDS))
    if unknown:
        raise InvalidInputError(f"There is no kind of nudge called {unknown[0][:40]!r}.", field="nudges")
    person = people.person(email, consistent=True)
    if person is None or is_removed(person):
        raise PersonNotFoundError("There is no such person.")
    if name is not None:
        person = people.update_person(email, name=clean_name(name))
    if nudges:
        wanted = {**nudge_kinds(person), **{kind: bool(on) for kind, on in nudges.items()}}
        off = [kind for kind, on in wanted.items() if not on]
        person = people.set_nudge_kinds(email, enabled=len(off) < len(NUDGE_KINDS), kinds_off=off)
    recent_people.forget(email)
    return my_settings(person, email, settings)


def end_all_sessions(
    people: PeopleRepository, email: str, *, jti: str, expires: int, clock: Clock = system_clock
) -> None:
    """Sign out everywhere: every session issued until now stops at its next request, and the
    one asking (`jti`) is revoked by its id too (a clock elsewhere may be behind ours)."""
    revoke_session(people, email, jti, expires, clock=clock, sessions_before=int(clock().timestamp() * 1000))
