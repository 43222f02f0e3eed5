"""The roster: everyone who can sign in, as admins see and manage it (issue 20).

The deploy's `ADMIN_EMAILS` are the first admins and stay admins; everyone else's role is on
their person record (`people.effective_role`). Removing someone marks their record removed
(their name stays on history, signatures and past claims) and opens their slots on upcoming
sails in the same transaction (`PeopleRepository.remove`); their sessions stop at their next
request (`auth.authenticate`). The last admin cannot be removed or demoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.crew import CLAIMED, DESIGNATED, HELD, load_slot
from quarterdeck.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    PersonNotFoundError,
    ServiceUnavailableError,
    SlotChangedError,
)
from quarterdeck.magic_codes import Purpose
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import (
    admin_addresses,
    clean_name,
    effective_role,
    is_removed,
    nudges_off,
    recent_admins,
    recent_people,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.people import PeopleRepository
from quarterdeck.repositories.sails import Change, SailRepository, confirmed_of, holders_of
from quarterdeck.repositories.sign_in import SignInRepository
from quarterdeck.repositories.slot_releases import RELEASES_AT_ONCE, Release
from quarterdeck.validation import email_address

ROLES = ("admin", "crew")
UPCOMING_DAYS = 120  # how far ahead the roster looks for someone's claimed slots


@dataclass(frozen=True)
class Roster:
    """What the roster's changes need besides the people."""

    people: PeopleRepository
    sails: SailRepository
    sign_in: SignInRepository | None = None
    mailer: MailSender | None = None


def _status(person: Item) -> str:
    if is_removed(person):
        return "removed"
    if person.get("last_sign_in"):
        return "active"
    if person.get("added_by") or person.get("invited_sail"):
        return "invited"
    return "active"


def person_view(
    person: Item,
    email: str,
    settings: Settings,
    upcoming: Iterable[Item] = (),
    suppression: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """How the roster shows a person; `suppression`: why no mail reaches them (a hard bounce or
    a complaint, from the delivery log), if so."""
    off = nudges_off(person)
    return {
        "email": email.lower(),
        "name": str(person.get("name") or ""),
        "role": effective_role({**person, "status": None}, email, settings),
        "status": _status(person),
        "configured_admin": settings.is_admin(email),
        "last_sign_in": person.get("last_sign_in"),
        "added_by": person.get("added_by"),
        "invited_sail": person.get("invited_sail"),
        "upcoming": list(upcoming),
        "bounced": suppression is not None,
        "mail_stopped": str(suppression.get("reason") or "") if suppression else None,
        "nudges_off": sorted(off),
    }


def _upcoming_sails(sails: SailRepository, settings: Settings, clock: Clock) -> list[Item]:
    """The META of the sails still to come, not cancelled (one Query of the sails by date)."""
    now = clock()
    today = now.astimezone(settings.timezone).date()
    return [
        meta
        for meta in sails.sails_between(today, today + timedelta(days=UPCOMING_DAYS))
        if meta.get("status") != "cancelled" and str(meta.get("departure", "")) >= iso(now)
    ]


def _claim(meta: Item, slot: str) -> Item:
    return {"sail_id": meta["id"], "slot": slot, "departure": meta.get("departure"), "title": meta.get("title")}


def _upcoming_claims(sails: SailRepository, settings: Settings, clock: Clock) -> dict[str, list[Item]]:
    """`{email: [{sail_id, slot, departure, title}]}` of the slots held on sails still to come
    (one Query of the sails by date)."""
    claims: dict[str, list[Item]] = {}
    for meta in _upcoming_sails(sails, settings, clock):
        for email, slot in holders_of(meta).items():
            claims.setdefault(email, []).append(_claim(meta, slot))
    return claims


def list_people(
    people: PeopleRepository,
    sails: SailRepository,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Everyone who can sign in (and those removed, marked so), with their upcoming slots and
    whose mail bounces (the suppression list, read with the roster in one Query)."""
    settings = settings or get_settings()
    listing = people.roster_listing()
    records = {str(p["email"]): p for p in listing.people}
    for admin in settings.admin_emails:  # the configured admins, even before their first sign-in
        records.setdefault(admin, {"email": admin, "role": "admin"})
    claims = _upcoming_claims(sails, settings, clock)
    listed = [
        person_view(person, email, settings, claims.get(email, ()), listing.suppressed.get(email.lower()))
        for email, person in sorted(records.items())
        if is_removed(person) or effective_role(person, email, settings) != "guest"
    ]
    return {"people": listed}


def _role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError("A role is admin or crew.", field="role")
    return role


def _welcome(roster: Roster, address: str, person: Item, actor: str, settings: Settings, clock: Clock) -> bool:
    """Mail the welcome with a sign-in link; a failure is logged (and answered: the page says
    the mail did not go), the person stays added."""
    if roster.sign_in is None or roster.mailer is None:
        return False
    from quarterdeck.sessions import magic_link  # sessions imports auth, which imports people

    try:
        code = roster.sign_in.issue_code(
            address, Purpose.login(), timedelta(hours=settings.claim_link_hours), clock=clock
        )
        context = {
            "link": magic_link(code, settings),
            "hours": settings.claim_link_hours,
            "name": person.get("name") or "",
            "role": effective_role(person, address, settings),
            "added_by": actor,
            "app_url": settings.app_url,
        }
        roster.mailer.send(render_email("welcome", [address], context))
    except (ServiceUnavailableError, ConfigurationError):
        logger.exception("welcome email not sent")
        return False
    return True


def add_person(
    roster: Roster,
    actor: str,
    email: str,
    role: str,
    name: str | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Put someone on the roster as crew or admin and mail them a welcome with a sign-in link.
    Someone already on it is a 409 (PersonExistsError); a guest or a removed person is enrolled."""
    settings = settings or get_settings()
    address = email_address(email)
    person = roster.people.enrol(
        address,
        admin=_role(role) == "admin",
        name=clean_name(name) if name else None,
        added_by=actor,
        at=iso(clock()),
    )
    recent_people.forget(address)
    recent_admins.forget()  # who gets the admins' mail may have changed
    sent = _welcome(roster, address, person, actor, settings, clock)
    return {**person_view(person, address, settings), "welcome_sent": sent}


def _not_the_last_admin(people: PeopleRepository, address: str, settings: Settings, doing: str) -> None:
    if settings.is_admin(address):
        raise ConflictError(
            f"{address} is an admin by the deployment's configuration (ADMIN_EMAILS); they cannot be {doing} here.",
            field="email",
        )
    if admin_addresses(people, settings) <= {address}:
        raise ConflictError(f"{address} is the last admin; make someone else an admin first.", field="email")


def _not_on_roster(address: str) -> PersonNotFoundError:
    return PersonNotFoundError(f"{address} is not on the roster.", field="email")


def _current(people: PeopleRepository, address: str) -> Item:
    person = people.person(address, consistent=True)
    if person is None or is_removed(person):
        raise _not_on_roster(address)
    return person


def change_person(
    people: PeopleRepository,
    email: str,
    *,
    role: str | None = None,
    name: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Change someone's role and/or name; demoting the last admin is a 409."""
    settings = settings or get_settings()
    address = email_address(email)
    person = _current(people, address)
    admin = None if role is None else _role(role) == "admin"
    if admin is False and effective_role(person, address, settings) == "admin":
        _not_the_last_admin(people, address, settings, "demoted")
    updated = people.update_person(
        address, admin=admin, name=clean_name(name) if name is not None else None, current=person
    )
    recent_people.forget(address)
    recent_admins.forget()  # who gets the admins' mail may have changed
    return person_view(updated, address, settings)


def remove_person(
    roster: Roster,
    actor: str,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Take someone off the roster: their record is marked removed, their sessions stop at their
    next request, and their slots on upcoming sails are open again (each release recorded in
    that sail's history). Removing the last admin is a 409."""
    settings = settings or get_settings()
    address = email_address(email)
    if settings.is_admin(address):  # a configured admin stays: 404 without a record, else 409
        _current(roster.people, address)
        _not_the_last_admin(roster.people, address, settings, "removed")
    held = _held_slots(roster.sails, address, settings, clock)  # first, so one write removes and opens
    try:
        released = _remove_opening(roster, actor, address, held[:RELEASES_AT_ONCE], settings, clock)
    except PersonNotFoundError:
        raise _not_on_roster(address) from None
    recent_people.forget(address)
    recent_admins.forget()  # who gets the admins' mail may have changed
    released += _open_held(roster.sails, actor, address, held[RELEASES_AT_ONCE:], clock)
    # A receipt, not the record: reading it back would cost a round trip the page does not need
    return {"email": address, "status": "removed", "released": released}


HeldSlot = tuple[Item, str]  # (the sail's META as the sails' Query showed it, the slot held there)


def _held_slots(sails: SailRepository, address: str, settings: Settings, clock: Clock) -> list[HeldSlot]:
    """The slots `address` holds on sails still to come (one Query of the sails by date). The
    index lags a write by a moment: a claim made in that moment before a removal stays held."""
    return [
        (meta, holders_of(meta)[address])
        for meta in _upcoming_sails(sails, settings, clock)
        if address in holders_of(meta)
    ]


def _remove_opening(
    roster: Roster, actor: str, address: str, held: list[HeldSlot], settings: Settings, clock: Clock
) -> list[Item]:
    """Remove them and open `held` in one write; the slots opened. If one changed since the
    Query: the removal alone, then each slot read and opened as it is now."""
    try:
        _take_off(roster.people, actor, address, [_release(actor, address, h, clock) for h in held], settings, clock)
        return [_claim(meta, slot) for meta, slot in held]
    except SlotChangedError:
        _take_off(roster.people, actor, address, [], settings, clock)
    return _open_each(roster.sails, actor, address, held, clock)


def _take_off(
    people: PeopleRepository, actor: str, address: str, releasing: list[Release], settings: Settings, clock: Clock
) -> None:
    """Mark them removed, opening `releasing` in the same write. Crew are removed without a read
    of their record (the write says if there was no one to remove); an admin granted in the app
    is left as is by the first write, for the last-admin check, then removed."""
    at = iso(clock())
    if not people.remove(address, by=actor, at=at, crew_only=True, releasing=releasing):
        _not_the_last_admin(people, address, settings, "removed")
        people.remove(address, by=actor, at=at, releasing=releasing)


def _release(actor: str, address: str, held: HeldSlot, clock: Clock) -> Release:
    meta, slot = held
    state = DESIGNATED if confirmed_of(meta).get(address) == slot else CLAIMED
    return str(meta["id"]), slot, state, _released(actor, address, slot, clock)


def _open_held(sails: SailRepository, actor: str, address: str, held: list[HeldSlot], clock: Clock) -> list[Item]:
    """Open each slot of `held` (a removed person's), RELEASES_AT_ONCE per transaction; a slot
    that changed meanwhile is left as it now is. The slots opened."""
    released: list[Item] = []
    for start in range(0, len(held), RELEASES_AT_ONCE):
        chunk = held[start : start + RELEASES_AT_ONCE]
        try:
            sails.release_slots(address, [_release(actor, address, h, clock) for h in chunk])
            released += [_claim(meta, slot) for meta, slot in chunk]
        except SlotChangedError:
            released += _open_each(sails, actor, address, chunk, clock)
    return released


def _open_each(sails: SailRepository, actor: str, address: str, held: list[HeldSlot], clock: Clock) -> list[Item]:
    """Each slot of `held` read and opened as it is now (one of them changed since the Query)."""
    return [_claim(meta, slot) for meta, slot in held if _release_one(sails, actor, address, meta, slot, clock)]


def _released(actor: str, address: str, slot: str, clock: Clock) -> Change:
    return Change(actor, "role_released", clock(), {"slot": slot, "holder": address, "reason": "removed"})


def _release_one(sails: SailRepository, actor: str, address: str, meta: Item, slot: str, clock: Clock) -> bool:
    """Open the slot if `address` still holds it, read as it is now; whether it was."""
    sail_id = str(meta["id"])
    role = load_slot(sails, sail_id, slot).role or {}
    state = str(role.get("state") or "")
    if state not in HELD or role.get("holder") != address:
        return False
    try:
        sails.release_slot(sail_id, slot, state=state, holder=address, change=_released(actor, address, slot, clock))
    except SlotChangedError:
        logger.info("a removed person's slot changed meanwhile", extra={"sail_id": sail_id})
        return False
    return True
