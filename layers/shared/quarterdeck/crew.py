"""Crew roles on a sail: invite, claim, release, designate.

A slot (`captain`, `crew-1`, ...) is one item in the sail's partition, `open → claimed →
designated`, with `release` back to `open`. Who holds it is also written as a marker item
(`HOLDER#<email>`) so a person holds at most one slot per sail: every change that gives a
slot a holder puts the marker only where there is none, in the same transaction as the
slot's conditional update and its history entry. Of many simultaneous claims exactly one
transaction commits; the others are cancelled and told who holds the slot now.

Notifications go out after the change is committed. A failing mail server does not undo
(or misreport) a committed change: the failure is logged and the answer stays a success.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from quarterdeck.auth import Caller
from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings, get_settings
from quarterdeck.errors import (
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RoleStateError,
    SailNotFoundError,
    ServiceUnavailableError,
    SlotChangedError,
)
from quarterdeck.formatting import sail_for_email
from quarterdeck.magic_codes import Purpose
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import recent_admins, recent_people
from quarterdeck.repositories import Item
from quarterdeck.repositories.people import PeopleRepository
from quarterdeck.repositories.person_records import person_invited
from quarterdeck.repositories.sails import Change, SailRepository, SlotRead
from quarterdeck.repositories.sign_in import new_code
from quarterdeck.validation import email_address

OPEN, CLAIMED, DESIGNATED = "open", "claimed", "designated"
STATES = (OPEN, CLAIMED, DESIGNATED)
HELD = (CLAIMED, DESIGNATED)
_SLOT = re.compile(r"^(captain|crew-[1-9][0-9]?)$")


# --- views -------------------------------------------------------------------------
def slot_label(slot: str) -> str:
    """`captain` → `Captain`, `crew-2` → `Crew 2`."""
    return slot.replace("-", " ").capitalize()


def role_view(item: Item, *, for_admin: bool = False) -> dict[str, Any]:
    """What the API shows of a slot; admins also see whom it was offered to (`invited`)."""
    view: dict[str, Any] = {"slot": item["slot"], "state": item.get("state", OPEN)}
    for name in ("holder", "claimed_at", "designated_at"):
        if item.get(name):
            view[name] = item[name]
    if for_admin and item.get("invited"):
        view["invited"] = dict(item["invited"])
    return view


def describe(item: Item) -> str:
    """The slot's current state in words, for 409 answers: `crew-1 is claimed, held by ann@...`."""
    state = item.get("state", OPEN)
    if state in HELD and item.get("holder"):
        return f"{item['slot']} is {state}, held by {item['holder']}"
    return f"{item['slot']} is {state}"


# --- loading ------------------------------------------------------------------------
def _checked_slot(slot: str) -> str:
    if not _SLOT.match(slot or ""):
        raise NotFoundError(f"There is no slot called {slot[:40]!r} on this sail.", field="slot", code="role_not_found")
    return slot


def load_slot(sails: SailRepository, sail_id: str, slot: str, *, invite_link: str | None = None) -> SlotRead:
    """The sail's META and the slot (and an invite link's code pointer) in one round trip
    (BatchGetItem; every decision is re-checked by the conditional write itself)."""
    _checked_slot(slot)
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    found = sails.read_slot(sail_id, slot, invite_link=invite_link)
    if found.meta is None:
        raise SailNotFoundError("There is no such sail.")
    if found.role is None:
        raise NotFoundError(f"There is no slot called {slot!r} on this sail.", field="slot", code="role_not_found")
    return found


def _departure(meta: Item, settings: Settings) -> datetime | None:
    raw = meta.get("departure")
    if not raw:
        return None
    moment = datetime.fromisoformat(str(raw))
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.timezone)


def require_upcoming(meta: Item, now: datetime, settings: Settings) -> None:
    """Roles change only on sails that are still to come and not cancelled (409 otherwise)."""
    if meta.get("status") == "cancelled":
        raise ConflictError("This sail is cancelled; its roles cannot change.", code="sail_cancelled")
    departure = _departure(meta, settings)
    if departure is not None and departure <= now:
        raise ConflictError("This sail has already departed; its roles cannot change.", code="sail_departed")


# --- mail ---------------------------------------------------------------------------
def sail_context(meta: Item, slot: str, settings: Settings) -> dict[str, Any]:
    """The sail as a role email shows it (formatting.sail_for_email), with the slot."""
    sail = sail_for_email(meta, tz=settings.timezone, app_url=settings.app_url)
    return {
        "title": sail["title"],
        "date_text": sail["date"],
        "departure_text": sail["departure"],
        "return_text": sail["return"],
        "slot": slot,
        "slot_label": slot_label(slot),
        "sail_url": sail["link"],
    }


def _send(mailer: MailSender, kind: str, to: Sequence[str], context: dict[str, Any]) -> None:
    """Send a notification about a change that is already committed; never fail the change."""
    recipients = [address for address in dict.fromkeys(to) if address]
    if not recipients:
        return
    try:
        mailer.send(render_email(kind, recipients, context))
    except (ServiceUnavailableError, ConfigurationError):
        logger.exception("role notification not sent", extra={"kind": kind})


def _admins_except(people: PeopleRepository, settings: Settings, actor: str) -> list[str]:
    """Every admin (the deployment's and the roster's, as this container read them lately) but the actor."""
    admins = recent_admins.get(people, settings, max_age=settings.person_cache_seconds)
    return sorted(address for address in admins if address != actor.lower())


def _commit(
    sails: SailRepository,
    sail_id: str,
    slot: str,
    write: Callable[[], None],
    *,
    unchanged: Callable[[Item], bool],
    landed: Callable[[Item], bool] = lambda _: False,
    attempts: int = 3,
) -> None:
    """Run a slot's change (`write`, one transaction). DynamoDB cancels a transaction that
    collides with another one on the same item (`TransactionConflict`), which the store reports
    as unavailable: while the slot is still as we read it, try again after a short random pause;
    once it has moved on, answer as a lost condition (SlotChangedError, naming the new state). A
    failure after which our own change is found in place (`landed`) counts as done."""
    for attempt in range(1, attempts + 1):
        try:
            write()
            return
        except ServiceUnavailableError:
            current = sails.current_role(sail_id, slot)
            if landed(current):
                return
            if not unchanged(current):
                raise SlotChangedError(current) from None
            if attempt == attempts:
                raise
            logger.info("role transaction collided; trying again", extra={"slot": slot, "attempt": attempt})
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # nosec B311 - full jitter for a retry, not a secret


# --- invite -------------------------------------------------------------------------
def invite_to_role(
    sails: SailRepository,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Email a claim link for an open slot. A new invite for the same slot and email revokes
    the previous link (one live code per invite)."""
    settings = settings or get_settings()
    address = email_address(email)
    link = f"invite:{sail_id}:{slot}:{address}"
    found = load_slot(sails, sail_id, slot, invite_link=link)
    meta, role = found.meta or {}, found.role or {}
    now = clock()
    require_upcoming(meta, now, settings)
    if role.get("state", OPEN) != OPEN:
        raise RoleStateError(f"{describe(role)}; only an open slot can be offered. Release it first.")
    invited = {**(role.get("invited") or {}), address: iso(now)}
    # The claim code goes in the same transaction; its link's pointer came with the slot's read.
    issued = new_code(
        address,
        Purpose.claim(sail_id, slot),
        timedelta(hours=settings.claim_link_hours),
        replaces=link,
        pointer=found.pointer,
        clock=clock,
    )
    change = Change(actor.email, "role_invited", now, {"slot": slot, "email": address})
    # A new address joins the roster as crew, marked with this sail (issue 20), in the same transaction.
    writes = [*issued.writes, person_invited(address, sail_id, clock=clock)]
    try:
        _commit(
            sails,
            sail_id,
            slot,
            lambda: sails.offer_slot(sail_id, slot, address, invited=invited, change=change, code_writes=writes),
            unchanged=lambda current: current.get("state", OPEN) == OPEN,
            landed=lambda current: (current.get("invited") or {}).get(address) == invited[address],
        )
    except SlotChangedError as lost:
        raise RoleStateError(f"{describe(lost.current)}; only an open slot can be offered.") from None
    from quarterdeck.sessions import magic_link

    context = {
        **sail_context(meta, slot, settings),
        "link": magic_link(issued.code, settings),
        "hours": settings.claim_link_hours,
    }
    # The invite itself is the point of this call: if it cannot be sent, say so (503) and
    # let the admin send it again (which revokes the unsent code).
    mailer.send(render_email("role_invite", [address], context))
    return role_view({**role, "invited": invited}, for_admin=True)


# --- claim --------------------------------------------------------------------------
def claim_role(
    sails: SailRepository,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    *,
    people: PeopleRepository,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """`open → claimed` for the caller, as one transaction; 409 naming the state if it lost."""
    settings = settings or get_settings()
    found = load_slot(sails, sail_id, slot)
    meta, role = found.meta or {}, found.role or {}
    now = clock()
    require_upcoming(meta, now, settings)
    if role.get("state", OPEN) != OPEN:
        raise RoleStateError(f"{describe(role)}; it can only be claimed when open.")
    email, at = actor.email.lower(), iso(now)
    change = Change(email, "role_claimed", now, {"slot": slot})
    try:
        _commit(
            sails,
            sail_id,
            slot,
            lambda: sails.claim_slot(sail_id, slot, email, change),
            unchanged=lambda current: current.get("state", OPEN) == OPEN,
            landed=lambda current: current.get("holder") == email and current.get("claimed_at") == at,
        )
    except SlotChangedError as lost:
        raise RoleStateError(f"{describe(lost.current)}; it can only be claimed when open.") from None
    claimed = {**role, "state": CLAIMED, "holder": email, "claimed_at": at}
    claimed.pop("designated_at", None)
    context = {**sail_context(meta, slot, settings), "holder": email}
    _send(mailer, "role_claimed", [email], context)
    _send(mailer, "role_claimed_admin", _admins_except(people, settings, email), context)
    return role_view(claimed, for_admin=actor.is_admin)


# --- release ------------------------------------------------------------------------
def release_role(
    sails: SailRepository,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    *,
    people: PeopleRepository,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Free a held slot: its holder or an admin. Crew cannot release after departure."""
    settings = settings or get_settings()
    found = load_slot(sails, sail_id, slot)
    meta, role = found.meta or {}, found.role or {}
    state, holder = role.get("state", OPEN), str(role.get("holder") or "")
    if state not in HELD or not holder:
        raise RoleStateError(f"{describe(role)}; there is nothing to release.")
    if not actor.is_admin:
        if holder != actor.email.lower():
            raise ForbiddenError(f"Only {slot}'s holder or an admin can release it.")
        require_upcoming(meta, clock(), settings)
    change = Change(actor.email, "role_released", clock(), {"slot": slot, "holder": holder})
    try:
        _commit(
            sails,
            sail_id,
            slot,
            lambda: sails.release_slot(sail_id, slot, state=state, holder=holder, change=change),
            unchanged=lambda current: current.get("state") == state and current.get("holder") == holder,
        )
    except SlotChangedError as lost:
        raise RoleStateError(f"{describe(lost.current)}; it changed meanwhile.") from None
    released = {k: v for k, v in role.items() if k not in ("holder", "claimed_at", "designated_at")}
    released["state"] = OPEN
    context = {
        **sail_context(meta, slot, settings),
        "holder": holder,
        "actor": actor.email,
        "by_holder": actor.email.lower() == holder,
        "to_holder": False,
    }
    _send(mailer, "role_released", _admins_except(people, settings, actor.email), context)
    if actor.email.lower() != holder:
        _send(mailer, "role_released", [holder], {**context, "to_holder": True})
    return role_view(released, for_admin=actor.is_admin)


# --- designate ----------------------------------------------------------------------
def designate_role(
    sails: SailRepository,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    email: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Admin: confirm the claimed holder (`claimed → designated`) or assign anyone to an open
    slot directly (`open → designated`). A slot held by someone else must be released first.
    Someone assigned directly gets a person record in the same transaction (a login link can
    reach them)."""
    settings = settings or get_settings()
    address = email_address(email)
    found = load_slot(sails, sail_id, slot)
    meta, role = found.meta or {}, found.role or {}
    now = clock()
    require_upcoming(meta, now, settings)
    state, holder, at = role.get("state", OPEN), role.get("holder"), iso(now)
    if state == DESIGNATED and holder == address:
        raise RoleStateError(f"{describe(role)}: already designated.")
    if not (state == OPEN or (state == CLAIMED and holder == address)):
        raise RoleStateError(f"{describe(role)}; release it before designating {address}.")
    change = Change(actor.email, "role_designated", now, {"slot": slot, "holder": address})
    person_role = "admin" if settings.is_admin(address) else "crew"
    try:
        _commit(
            sails,
            sail_id,
            slot,
            lambda: sails.designate_slot(sail_id, slot, address, was=state, person_role=person_role, change=change),
            unchanged=lambda current: current.get("state", OPEN) == state and current.get("holder") == holder,
            landed=lambda current: current.get("holder") == address and current.get("designated_at") == at,
        )
    except SlotChangedError as lost:
        raise RoleStateError(f"{describe(lost.current)}; it changed meanwhile.") from None
    recent_people.forget(address)
    designated = {**role, "state": DESIGNATED, "holder": address, "designated_at": at}
    if state == OPEN:
        designated.pop("claimed_at", None)
    context = {**sail_context(meta, slot, settings), "holder": address, "confirmed": state == CLAIMED}
    if address != actor.email.lower():
        _send(mailer, "role_designated", [address], context)
    return role_view(designated, for_admin=True)
