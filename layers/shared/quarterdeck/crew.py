"""Crew roles on a sail: invite, claim, release, designate.

A slot (`captain`, `crew-1`, ...) is one item in the sail's partition, `open → claimed →
designated`, with `release` back to `open`. Who holds it is also written as a marker item
(`HOLDER#<email>`) so a person holds at most one slot per sail: every change that gives a
slot a holder puts the marker with `attribute_not_exists`, in the same transaction as the
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

from quarterdeck import keys
from quarterdeck.auth import Caller, Purpose, code_pointer_key, new_code
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
)
from quarterdeck.formatting import sail_for_email
from quarterdeck.mail import MailSender, render_email
from quarterdeck.observability import logger
from quarterdeck.people import person_upsert, recent_people
from quarterdeck.repositories.history import history_write
from quarterdeck.store import Item, Store, TransactionCanceledError, Write
from quarterdeck.validation import email_address

OPEN, CLAIMED, DESIGNATED = "open", "claimed", "designated"
STATES = (OPEN, CLAIMED, DESIGNATED)
HELD = (CLAIMED, DESIGNATED)
_SLOT = re.compile(r"^(captain|crew-[1-9][0-9]?)$")
_STATE = {"#state": "state"}


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


def load_slot(store: Store, sail_id: str, slot: str) -> tuple[Item, Item]:
    """The sail's META and the slot, in one round trip (BatchGetItem, strongly consistent enough:
    every decision is re-checked by the conditional write itself)."""
    meta, role, _ = _load_slot_and(store, sail_id, slot, None)
    return meta, role


def _load_slot_and(
    store: Store, sail_id: str, slot: str, extra: tuple[str, str] | None
) -> tuple[Item, Item, Item | None]:
    """`load_slot`, plus one more item of the table (`extra`) in the same BatchGetItem."""
    _checked_slot(slot)
    if not sail_id or len(sail_id) > 64:
        raise SailNotFoundError("There is no such sail.")
    wanted = [keys.sail(sail_id), keys.role(sail_id, slot)] + ([extra] if extra else [])
    found = {(item["pk"], item["sk"]): item for item in store.batch_get(wanted)}
    meta = found.get(wanted[0])
    if meta is None:
        raise SailNotFoundError("There is no such sail.")
    role = found.get(wanted[1])
    if role is None:
        raise NotFoundError(f"There is no slot called {slot!r} on this sail.", field="slot", code="role_not_found")
    return meta, role, found.get(extra) if extra else None


def _reload_role(store: Store, sail_id: str, slot: str) -> Item:
    return store.get(*keys.role(sail_id, slot), consistent=True) or {"slot": slot, "state": OPEN}


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


def _sail_is_scheduled(sail_id: str, holder: tuple[str, str] | None = None) -> Write:
    """Guard in the transaction: the sail was not cancelled between our read and our write.
    With `holder` (email, slot), META's `holders` set also gains them (the calendar feed)."""
    pk, sk = keys.sail(sail_id)
    names, values = {"#status": "status"}, {":cancelled": "cancelled"}
    if holder is None:
        return Write(
            "ConditionCheck",
            key={"pk": pk, "sk": sk},
            condition="attribute_exists(pk) AND #status <> :cancelled",
            names=names,
            values=values,
        )
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update="ADD holders :holder",
        condition="attribute_exists(pk) AND #status <> :cancelled",
        names=names,
        values={**values, ":holder": {keys.holder_tag(*holder)}},
    )


def _holder_left(sail_id: str, email: str, slot: str) -> Write:
    """META's `holders` set loses (email, slot), with the slot's release."""
    pk, sk = keys.sail(sail_id)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update="DELETE holders :holder",
        condition="attribute_exists(pk)",
        values={":holder": {keys.holder_tag(email, slot)}},
    )


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


def _admins_except(settings: Settings, actor: str) -> list[str]:
    return [address for address in settings.admin_emails if address != actor.lower()]


def _role_update(
    sail_id: str, slot: str, update: str, condition: str, values: dict[str, Any], names: dict[str, str] | None = None
) -> Write:
    pk, sk = keys.role(sail_id, slot)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        update=update,
        condition=f"attribute_exists(pk) AND {condition}",
        names={**_STATE, **(names or {})},
        values=values,
    )


def _holder_marker(sail_id: str, slot: str, email: str, now: str) -> Write:
    pk, sk = keys.role_holder(sail_id, email)
    return Write(
        "Put",
        item={"pk": pk, "sk": sk, "type": "holder", "slot": slot, "email": email, "since": now},
        condition="attribute_not_exists(pk)",
    )


def _already_holding(store: Store, sail_id: str, email: str) -> RoleStateError:
    marker = store.get(*keys.role_holder(sail_id, email), consistent=True) or {}
    held = marker.get("slot", "another slot")
    return RoleStateError(
        f"{email} already holds {held} on this sail; one slot per person per sail. Release {held} first.",
        code="already_holding",
    )


def _commit(
    store: Store,
    sail_id: str,
    slot: str,
    writes: Sequence[Write],
    *,
    unchanged: Callable[[Item], bool],
    landed: Callable[[Item], bool] = lambda _: False,
    attempts: int = 3,
) -> None:
    """Run a slot's transaction. DynamoDB cancels a transaction that collides with another
    one on the same item (`TransactionConflict`), which the store reports as unavailable:
    while the slot is still as we read it, try again after a short random pause; once it has
    moved on, answer as a lost condition (the caller names the new state). A failure after
    which our own change is found in place (`landed`) counts as done."""
    for attempt in range(1, attempts + 1):
        try:
            store.transact(writes)
            return
        except ServiceUnavailableError:
            current = _reload_role(store, sail_id, slot)
            if landed(current):
                return
            if not unchanged(current):
                raise TransactionCanceledError(["ConditionalCheckFailed"]) from None
            if attempt == attempts:
                raise
            logger.info("role transaction collided; trying again", extra={"slot": slot, "attempt": attempt})
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # nosec B311 - full jitter for a retry, not a secret


# --- invite -------------------------------------------------------------------------
def invite_to_role(
    store: Store,
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
    meta, role, pointer = _load_slot_and(store, sail_id, slot, code_pointer_key(link))
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
        pointer=pointer,
        clock=clock,
    )
    writes = [
        _role_update(sail_id, slot, "SET invited = :invited", "#state = :open", {":invited": invited, ":open": OPEN}),
        _sail_is_scheduled(sail_id),
        history_write(sail_id, actor.email, "role_invited", {"slot": slot, "email": address}, clock=clock),
    ]
    try:
        _commit(
            store,
            sail_id,
            slot,
            [*writes, *issued.writes],
            unchanged=lambda current: current.get("state", OPEN) == OPEN,
            landed=lambda current: (current.get("invited") or {}).get(address) == invited[address],
        )
    except TransactionCanceledError as lost:
        reasons = lost.reasons + ["None"] * (len(writes) + len(issued.writes))
        if reasons[0] != "None":
            raise RoleStateError(
                f"{describe(_reload_role(store, sail_id, slot))}; only an open slot can be offered."
            ) from None
        if reasons[1] != "None":
            raise ConflictError("This sail is cancelled; its roles cannot change.", code="sail_cancelled") from None
        raise ConflictError(
            f"Another invite to {address} for {slot} was sent at the same moment; that link is the live one.",
            field="email",
            code="invite_in_flight",
        ) from None
    code = issued.code
    from quarterdeck.sessions import magic_link

    context = {
        **sail_context(meta, slot, settings),
        "link": magic_link(code, settings),
        "hours": settings.claim_link_hours,
    }
    # The invite itself is the point of this call: if it cannot be sent, say so (503) and
    # let the admin send it again (which revokes the unsent code).
    mailer.send(render_email("role_invite", [address], context))
    return role_view({**role, "invited": invited}, for_admin=True)


# --- claim --------------------------------------------------------------------------
def claim_role(
    store: Store,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """`open → claimed` for the caller, as one transaction; 409 naming the state if it lost."""
    settings = settings or get_settings()
    meta, role = load_slot(store, sail_id, slot)
    now = clock()
    require_upcoming(meta, now, settings)
    if role.get("state", OPEN) != OPEN:
        raise RoleStateError(f"{describe(role)}; it can only be claimed when open.")
    email, at = actor.email.lower(), iso(now)
    try:
        _commit(
            store,
            sail_id,
            slot,
            [
                _role_update(
                    sail_id,
                    slot,
                    "SET #state = :claimed, holder = :holder, claimed_at = :at REMOVE designated_at",
                    "#state = :open",
                    {":claimed": CLAIMED, ":holder": email, ":at": at, ":open": OPEN},
                ),
                _holder_marker(sail_id, slot, email, at),
                _sail_is_scheduled(sail_id, holder=(email, slot)),
                history_write(sail_id, email, "role_claimed", {"slot": slot}, clock=clock),
            ],
            unchanged=lambda current: current.get("state", OPEN) == OPEN,
            landed=lambda current: current.get("holder") == email and current.get("claimed_at") == at,
        )
    except TransactionCanceledError as lost:
        reasons = lost.reasons + ["None"] * 3
        if reasons[0] != "None":
            raise RoleStateError(
                f"{describe(_reload_role(store, sail_id, slot))}; it can only be claimed when open."
            ) from None
        if reasons[1] != "None":
            raise _already_holding(store, sail_id, email) from None
        raise ConflictError("This sail is cancelled; its roles cannot change.", code="sail_cancelled") from None
    claimed = {**role, "state": CLAIMED, "holder": email, "claimed_at": at}
    claimed.pop("designated_at", None)
    context = {**sail_context(meta, slot, settings), "holder": email}
    _send(mailer, "role_claimed", [email], context)
    _send(mailer, "role_claimed_admin", _admins_except(settings, email), context)
    return role_view(claimed, for_admin=actor.is_admin)


# --- release ------------------------------------------------------------------------
def release_role(
    store: Store,
    mailer: MailSender,
    actor: Caller,
    sail_id: str,
    slot: str,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Free a held slot: its holder or an admin. Crew cannot release after departure."""
    settings = settings or get_settings()
    meta, role = load_slot(store, sail_id, slot)
    state, holder = role.get("state", OPEN), str(role.get("holder") or "")
    if state not in HELD or not holder:
        raise RoleStateError(f"{describe(role)}; there is nothing to release.")
    if not actor.is_admin:
        if holder != actor.email.lower():
            raise ForbiddenError(f"Only {slot}'s holder or an admin can release it.")
        require_upcoming(meta, clock(), settings)
    marker_pk, marker_sk = keys.role_holder(sail_id, holder)
    try:
        _commit(
            store,
            sail_id,
            slot,
            [
                _role_update(
                    sail_id,
                    slot,
                    "SET #state = :open REMOVE holder, claimed_at, designated_at",
                    "#state = :was AND holder = :holder",
                    {":open": OPEN, ":was": state, ":holder": holder},
                ),
                Write("Delete", key={"pk": marker_pk, "sk": marker_sk}),
                history_write(sail_id, actor.email, "role_released", {"slot": slot, "holder": holder}, clock=clock),
                _holder_left(sail_id, holder, slot),
            ],
            unchanged=lambda current: current.get("state") == state and current.get("holder") == holder,
        )
    except TransactionCanceledError:
        raise RoleStateError(f"{describe(_reload_role(store, sail_id, slot))}; it changed meanwhile.") from None
    released = {k: v for k, v in role.items() if k not in ("holder", "claimed_at", "designated_at")}
    released["state"] = OPEN
    context = {
        **sail_context(meta, slot, settings),
        "holder": holder,
        "actor": actor.email,
        "by_holder": actor.email.lower() == holder,
        "to_holder": False,
    }
    _send(mailer, "role_released", _admins_except(settings, actor.email), context)
    if actor.email.lower() != holder:
        _send(mailer, "role_released", [holder], {**context, "to_holder": True})
    return role_view(released, for_admin=actor.is_admin)


# --- designate ----------------------------------------------------------------------
def designate_role(
    store: Store,
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
    slot directly (`open → designated`). A slot held by someone else must be released first."""
    settings = settings or get_settings()
    address = email_address(email)
    meta, role = load_slot(store, sail_id, slot)
    now = clock()
    require_upcoming(meta, now, settings)
    state, holder, at = role.get("state", OPEN), role.get("holder"), iso(now)
    writes: list[Write]
    if state == CLAIMED and holder == address:
        writes = [
            _role_update(
                sail_id,
                slot,
                "SET #state = :designated, designated_at = :at",
                "#state = :claimed AND holder = :holder",
                {":designated": DESIGNATED, ":at": at, ":claimed": CLAIMED, ":holder": address},
            )
        ]
    elif state == OPEN:
        writes = [
            _role_update(
                sail_id,
                slot,
                "SET #state = :designated, holder = :holder, designated_at = :at REMOVE claimed_at",
                "#state = :open",
                {":designated": DESIGNATED, ":holder": address, ":at": at, ":open": OPEN},
            ),
            _holder_marker(sail_id, slot, address, at),
        ]
    elif state == DESIGNATED and holder == address:
        raise RoleStateError(f"{describe(role)}: already designated.")
    else:
        raise RoleStateError(f"{describe(role)}; release it before designating {address}.")
    writes += [
        _sail_is_scheduled(sail_id, holder=(address, slot)),
        history_write(sail_id, actor.email, "role_designated", {"slot": slot, "holder": address}, clock=clock),
        # Someone assigned directly may never have signed in: give them a record, so a login
        # link can reach them (created or updated without a read, in the same transaction).
        person_upsert(address, "admin" if settings.is_admin(address) else "crew", clock=clock),
    ]
    try:
        _commit(
            store,
            sail_id,
            slot,
            writes,
            unchanged=lambda current: current.get("state", OPEN) == state and current.get("holder") == holder,
            landed=lambda current: current.get("holder") == address and current.get("designated_at") == at,
        )
    except TransactionCanceledError as lost:
        if lost.reasons and lost.reasons[0] != "None":
            raise RoleStateError(f"{describe(_reload_role(store, sail_id, slot))}; it changed meanwhile.") from None
        if state == OPEN and len(lost.reasons) > 1 and lost.reasons[1] != "None":
            raise _already_holding(store, sail_id, address) from None
        raise ConflictError("This sail is cancelled; its roles cannot change.", code="sail_cancelled") from None
    recent_people.forget(address)
    designated = {**role, "state": DESIGNATED, "holder": address, "designated_at": at}
    if state == OPEN:
        designated.pop("claimed_at", None)
    context = {**sail_context(meta, slot, settings), "holder": address, "confirmed": state == CLAIMED}
    if address != actor.email.lower():
        _send(mailer, "role_designated", [address], context)
    return role_view(designated, for_admin=True)
