"""Sails and their roles: the sail's partition (`SAIL#<id>`), its META, role slots, holder
markers and history, the GSI1 list of every sail by departure, (the calendar-feed token is the
person's: repositories/people.py).

Every transaction's actions are named (`sail`, `slot`, `holder`); a cancellation becomes the
domain's error by those names. Items cross without their keys (`pk`, `sk`, `gsi1pk`, `gsi1sk`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.checklists import SailCancelledError, new_checklist_items
from quarterdeck.clock import iso
from quarterdeck.errors import (
    ConflictError,
    RoleStateError,
    SlotChangedError,
    StaleVersionError,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.history import history_write
from quarterdeck.repositories.person_records import person_upsert
from quarterdeck.repositories.sign_in import code_pointer_key
from quarterdeck.repositories.slot_releases import Release, release_writes
from quarterdeck.store import TRANSACTION_ROOM, Store, TransactionCanceledError, Write, unguarded

GSI = "gsi1"
KEY_FIELDS = ("pk", "sk", "gsi1pk", "gsi1sk")
OPEN = "open"


@dataclass(frozen=True)
class Change:
    """Who did what, when, and its details: the history entry a change's transaction carries."""

    actor: str
    action: str
    at: datetime
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class SlotRead:
    """A sail's META and one of its slots, read together (None where absent); for an invite also
    the `CODEREF#` pointer of its link (the one live claim code)."""

    meta: Item | None
    role: Item | None
    pointer: Item | None = None


class SailRepository(Protocol):
    # --- sails ------------------------------------------------------------------------
    def add_sail(self, meta: Item, slots: Sequence[str], change: Change) -> None:
        """The sail (its `id`, fields, `departure`), its open slots, the checklists and its first
        history entry, all or nothing."""

    def add_sails(self, sails: Sequence[tuple[Item, Sequence[str], Change]]) -> None:
        """Several sails (a weekly series) as `add_sail` each, all or nothing: when one cannot be
        written, none of them stays."""

    def sail_meta(self, sail_id: str, *, consistent: bool = False) -> Item | None:
        """The sail's own record, or None."""

    def sail_items(self, sail_id: str, *, with_history: bool = False) -> list[Item]:
        """META, roles, holder markers, guests and checklist items of the sail (one Query); with
        history also the waiver signatures and the history entries (last, in the order they
        happened). Empty when there is no such sail."""

    def sails_between(self, first: date, last: date) -> list[Item]:
        """The META of every sail whose local date is in [first, last] (one GSI1 Query)."""

    def edit_sail(
        self,
        sail_id: str,
        sets: Mapping[str, Any],
        *,
        version: int,
        change: Change,
        add_slots: Sequence[str] = (),
        remove_slots: Sequence[str] = (),
        seats_at_most: int | None = None,
    ) -> None:
        """`sets` (None removes a field) and the next version on a sail scheduled at `version`; open
        slots added, unheld ones removed; with `seats_at_most`, only while no more seats are taken.
        Raises SailCancelled/StaleVersion, RoleState (slot taken), `capacity_below_taken`."""

    def cancel_sail(self, sail_id: str, sets: Mapping[str, Any], *, version: int, change: Change) -> None:
        """As `edit_sail`, for the cancellation: StaleVersionError when META moved on."""

    # --- roles ------------------------------------------------------------------------
    def read_slot(self, sail_id: str, slot: str, *, invite_link: str | None = None) -> SlotRead:
        """META and the slot (and the invite link's code pointer) in one round trip."""

    def current_role(self, sail_id: str, slot: str) -> Item:
        """The slot as it is now (strongly consistent); an absent one reads as open."""

    def offer_slot(
        self,
        sail_id: str,
        slot: str,
        email: str,
        *,
        invited: Mapping[str, str],
        change: Change,
        code_writes: Sequence[Write],
    ) -> None:
        """An open slot records whom it was offered to; the claim code (`auth.new_code`'s writes)
        is stored in the same transaction. SlotChangedError, sail cancelled, or invite_in_flight."""

    def claim_slot(self, sail_id: str, slot: str, email: str, change: Change) -> None:
        """`open → claimed` by `email`, its holder marker, META's `holders`. SlotChangedError,
        already_holding, or sail cancelled."""

    def release_slot(self, sail_id: str, slot: str, *, state: str, holder: str, change: Change) -> None:
        """A slot held (`state`) by `holder` back to open; marker and `holders` entry gone.
        SlotChangedError."""

    def release_slots(self, holder: str, releases: Sequence[Release]) -> None:
        """`release_slot` of each (sail_id, slot, state, change), at most RELEASES_AT_ONCE on as many
        sails, in one transaction: all or nothing. SlotChangedError (`current` empty)."""

    def designate_slot(
        self, sail_id: str, slot: str, email: str, *, was: str, person_role: str, change: Change
    ) -> None:
        """`claimed → designated` (same holder) or `open → designated` (with its marker); the
        person gets a record (`person_role`). SlotChangedError, already_holding, or sail cancelled."""


# --- errors a repository raises, shared with the memory one ------------------------------
def sail_cancelled() -> ConflictError:
    return ConflictError("This sail is cancelled; its roles cannot change.", code="sail_cancelled")


def already_holding(email: str, held: str | None) -> RoleStateError:
    held = held or "another slot"
    return RoleStateError(
        f"{email} already holds {held} on this sail; one slot per person per sail. Release {held} first.",
        code="already_holding",
    )


def invite_in_flight(email: str, slot: str) -> ConflictError:
    return ConflictError(
        f"Another invite to {email} for {slot} was sent at the same moment; that link is the live one.",
        field="email",
        code="invite_in_flight",
    )


EDIT_STALE = "Someone else changed this sail meanwhile. Reload it and try again."
EDIT_CANCELLED = "This sail is cancelled; it cannot be edited."
SLOT_TAKEN = "A crew slot being removed was taken meanwhile. Release it first, then try again."
CANCEL_STALE = "This sail kept changing; reload it and try again."


def capacity_below_taken(taken: int) -> ConflictError:
    return ConflictError(
        f"{taken} guest seat{'s are' if taken != 1 else ' is'} taken on this sail; "
        "the capacity cannot be lower than that. Remove guests first.",
        field="guest_capacity",
        code="capacity_below_taken",
    )


def holders_of(meta: Mapping[str, Any]) -> dict[str, str]:
    """`{email: slot}` of the people holding a role on this sail, from META's `holders`."""
    return dict(keys.holder_of_tag(str(tag)) for tag in meta.get("holders") or ())


def confirmed_of(meta: Mapping[str, Any]) -> dict[str, str]:
    """`{email: slot}` of the holders whose slot is designated (confirmed), from META's `confirmed`."""
    return dict(keys.holder_of_tag(str(tag)) for tag in meta.get("confirmed") or ())


def _bare(item: Item) -> Item:
    return {name: value for name, value in item.items() if name not in KEY_FIELDS}


def _key(pair: tuple[str, str]) -> Item:
    return {"pk": pair[0], "sk": pair[1]}


def _index_fields(sail_id: str, departure: str) -> Item:
    return {"gsi1pk": keys.sails_by_date(), "gsi1sk": keys.sail_index_sk(departure, sail_id)}


def _history(sail_id: str, change: Change) -> Write:
    return history_write(sail_id, change.actor, change.action, change.detail, clock=lambda: change.at)


def _role_record(sail_id: str, slot: str) -> Item:
    return {**_key(keys.role(sail_id, slot)), "type": "role", "slot": slot, "state": OPEN}


class DynamoSailRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- sails ------------------------------------------------------------------------
    @staticmethod
    def _new_sail_writes(meta: Item, slots: Sequence[str], change: Change) -> list[Write]:
        sail_id = str(meta["id"])
        item = {**_key(keys.sail(sail_id)), **meta, "type": "sail", **_index_fields(sail_id, str(meta["departure"]))}
        writes = [Write("Put", item=item, name="sail", condition="attribute_not_exists(pk)")]
        writes += [Write("Put", item=_role_record(sail_id, slot)) for slot in slots]
        writes += [Write("Put", item=check) for check in new_checklist_items(sail_id)]
        writes.append(_history(sail_id, change))
        return writes

    def add_sail(self, meta: Item, slots: Sequence[str], change: Change) -> None:
        self.store.transact(self._new_sail_writes(meta, slots, change))

    def add_sails(self, sails: Sequence[tuple[Item, Sequence[str], Change]]) -> None:
        """Whole sails packed into transactions of at most 99 actions; if a later one fails, what
        the earlier ones wrote is deleted again (their ids are new: nobody else holds them yet)."""
        batches: list[list[Write]] = []
        for meta, slots, change in sails:
            writes = self._new_sail_writes(meta, slots, change)
            if not batches or len(batches[-1]) + len(writes) > TRANSACTION_ROOM:
                batches.append([])
            batches[-1].extend(writes)
        done: list[list[Write]] = []
        try:
            for batch in batches:
                self.store.transact(batch)
                done.append(batch)
        except Exception:
            with unguarded():  # undone even when it was the caller's standing that stopped it
                for batch in done:
                    for write in batch:
                        if write.item:
                            self.store.delete(str(write.item["pk"]), str(write.item["sk"]))
            raise

    def sail_meta(self, sail_id: str, *, consistent: bool = False) -> Item | None:
        item = self.store.get(*keys.sail(sail_id), consistent=consistent)
        return _bare(item) if item and item.get("type") == "sail" else None

    def sail_items(self, sail_id: str, *, with_history: bool = False) -> list[Item]:
        partition = keys.sail_partition(sail_id)
        if with_history:
            found = self.store.query(partition)
        else:
            found = self.store.query(partition, sk_before=keys.sail_shared_end())
        if not any(i.get("sk") == "META" and i.get("type") == "sail" for i in found):
            return []
        history = sorted((i for i in found if i.get("type") == "history"), key=lambda i: keys.history_order(i["sk"]))
        return [_bare(i) for i in found if i.get("type") != "history"] + [_bare(i) for i in history]

    def sails_between(self, first: date, last: date) -> list[Item]:
        bounds = keys.sail_dates(first.isoformat(), last.isoformat())
        found = self.store.query(keys.sails_by_date(), sk_between=bounds, index=GSI)
        return [_bare(item) for item in found if item.get("type") == "sail"]

    def _meta_write(
        self, sail_id: str, sets: Mapping[str, Any], version: int, at: datetime, seats_at_most: int | None = None
    ) -> Write:
        """META gets `sets` and its next version while `scheduled` at `version` (and seats fit)."""
        fields = {name: value for name, value in sets.items() if value is not None}
        gone = [name for name, value in sets.items() if value is None]
        if "departure" in fields:
            fields.update(_index_fields(sail_id, str(fields["departure"])))
        names = {f"#{name}": name for name in [*fields, *gone]}
        values = {f":{name}": value for name, value in fields.items()}
        assignments = "".join(f"#{name} = :{name}, " for name in fields)
        removals = f" REMOVE {', '.join(f'#{name}' for name in gone)}" if gone else ""
        names.update({"#version": "version", "#status": "status", "#updated_at": "updated_at"})
        values.update({":expected": version, ":one": 1, ":scheduled": "scheduled", ":now": iso(at)})
        condition = "attribute_exists(pk) AND #status = :scheduled AND #version = :expected"
        if seats_at_most is not None:
            # (The guests' adds do not move the version: the seats taken are pinned here.)
            names["#guest_count"] = "guest_count"
            values[":seats_at_most"] = seats_at_most
            condition += " AND (attribute_not_exists(#guest_count) OR #guest_count <= :seats_at_most)"
        return Write(
            "Update",
            key=_key(keys.sail(sail_id)),
            name="sail",
            update=f"SET {assignments}#updated_at = :now, #version = #version + :one{removals}",
            condition=condition,
            names=names,
            values=values,
        )

    def edit_sail(
        self,
        sail_id: str,
        sets: Mapping[str, Any],
        *,
        version: int,
        change: Change,
        add_slots: Sequence[str] = (),
        remove_slots: Sequence[str] = (),
        seats_at_most: int | None = None,
    ) -> None:
        writes = [self._meta_write(sail_id, sets, version, change.at, seats_at_most)]
        writes += [Write("Put", item=_role_record(sail_id, slot)) for slot in add_slots]
        writes += [
            Write(
                "Delete",
                key=_key(keys.role(sail_id, slot)),
                name="slot",
                condition="attribute_not_exists(pk) OR (#state = :open AND attribute_not_exists(holder))",
                names={"#state": "state"},
                values={":open": OPEN},
            )
            for slot in remove_slots
        ]
        writes.append(_history(sail_id, change))
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "sail" in lost.failed:
                latest = self.store.get(*keys.sail(sail_id), consistent=True)
                if latest and latest.get("status") != "scheduled":
                    raise SailCancelledError(EDIT_CANCELLED) from None
                taken = int((latest or {}).get("guest_count") or 0)
                if latest and int(latest.get("version", 1)) == version and seats_at_most is not None:
                    raise capacity_below_taken(taken) from None
                raise StaleVersionError(EDIT_STALE, field="version") from None
            raise RoleStateError(SLOT_TAKEN, field="crew_slots") from None

    def cancel_sail(self, sail_id: str, sets: Mapping[str, Any], *, version: int, change: Change) -> None:
        try:
            self.store.transact([self._meta_write(sail_id, sets, version, change.at), _history(sail_id, change)])
        except TransactionCanceledError:
            raise StaleVersionError(CANCEL_STALE) from None

    # --- roles ------------------------------------------------------------------------
    def read_slot(self, sail_id: str, slot: str, *, invite_link: str | None = None) -> SlotRead:
        meta_key, role_key = keys.sail(sail_id), keys.role(sail_id, slot)
        pointer_key = code_pointer_key(invite_link) if invite_link else None
        wanted = [meta_key, role_key] + ([pointer_key] if pointer_key else [])
        found = {(item["pk"], item["sk"]): item for item in self.store.batch_get(wanted)}
        meta, role = found.get(meta_key), found.get(role_key)
        return SlotRead(
            meta=_bare(meta) if meta else None,
            role=_bare(role) if role else None,
            pointer=found.get(pointer_key) if pointer_key else None,
        )

    def current_role(self, sail_id: str, slot: str) -> Item:
        found = self.store.get(*keys.role(sail_id, slot), consistent=True)
        return _bare(found) if found else {"slot": slot, "state": OPEN}

    def _role_update(self, sail_id: str, slot: str, update: str, condition: str, values: dict[str, Any]) -> Write:
        return Write(
            "Update",
            key=_key(keys.role(sail_id, slot)),
            name="slot",
            update=update,
            condition=f"attribute_exists(pk) AND {condition}",
            names={"#state": "state"},
            values=values,
        )

    @staticmethod
    def _holder_marker(sail_id: str, slot: str, email: str, at: str) -> Write:
        item = {**_key(keys.role_holder(sail_id, email)), "type": "holder", "slot": slot, "email": email, "since": at}
        return Write("Put", item=item, name="holder", condition="attribute_not_exists(pk)")

    @staticmethod
    def _sail_open(sail_id: str, holder: tuple[str, str] | None = None, *, confirmed: bool = False) -> Write:
        """The sail was not cancelled between our read and our write; with `holder` (email, slot)
        META's `holders` set also gains them (what the calendar feed reads), and `confirmed` too
        when the slot is designated (the feed's CONFIRMED, a claim alone being TENTATIVE)."""
        names = {"#status": "status"}
        values: dict[str, Any] = {":cancelled": "cancelled"}
        condition = "attribute_exists(pk) AND #status <> :cancelled"
        key = _key(keys.sail(sail_id))
        if holder is None:
            return Write("ConditionCheck", key=key, name="sail", condition=condition, names=names, values=values)
        values = {**values, ":holder": {keys.holder_tag(*holder)}}
        return Write(
            "Update",
            key=key,
            name="sail",
            update="ADD holders :holder, confirmed :holder" if confirmed else "ADD holders :holder",
            condition=condition,
            names=names,
            values=values,
        )

    def _held_by(self, sail_id: str, email: str) -> str | None:
        marker = self.store.get(*keys.role_holder(sail_id, email), consistent=True) or {}
        return str(marker["slot"]) if marker.get("slot") else None

    def offer_slot(
        self,
        sail_id: str,
        slot: str,
        email: str,
        *,
        invited: Mapping[str, str],
        change: Change,
        code_writes: Sequence[Write],
    ) -> None:
        writes = [
            self._role_update(
                sail_id, slot, "SET invited = :invited", "#state = :open", {":invited": dict(invited), ":open": OPEN}
            ),
            self._sail_open(sail_id),
            _history(sail_id, change),
            *code_writes,
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "slot" in lost.failed:
                raise SlotChangedError(self.current_role(sail_id, slot)) from None
            if "sail" in lost.failed:
                raise sail_cancelled() from None
            raise invite_in_flight(email, slot) from None

    def claim_slot(self, sail_id: str, slot: str, email: str, change: Change) -> None:
        at = iso(change.at)
        writes = [
            self._role_update(
                sail_id,
                slot,
                "SET #state = :claimed, holder = :holder, claimed_at = :at REMOVE designated_at",
                "#state = :open",
                {":claimed": "claimed", ":holder": email, ":at": at, ":open": OPEN},
            ),
            self._holder_marker(sail_id, slot, email, at),
            self._sail_open(sail_id, holder=(email, slot)),
            _history(sail_id, change),
        ]
        self._holding_transaction(sail_id, slot, email, writes)

    def _holding_transaction(self, sail_id: str, slot: str, email: str, writes: Sequence[Write]) -> None:
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "slot" in lost.failed:
                raise SlotChangedError(self.current_role(sail_id, slot)) from None
            if "holder" in lost.failed:
                raise already_holding(email, self._held_by(sail_id, email)) from None
            raise sail_cancelled() from None

    def release_slot(self, sail_id: str, slot: str, *, state: str, holder: str, change: Change) -> None:
        try:
            self.store.transact(release_writes(holder, (sail_id, slot, state, change)))
        except TransactionCanceledError:
            raise SlotChangedError(self.current_role(sail_id, slot)) from None

    def release_slots(self, holder: str, releases: Sequence[Release]) -> None:
        try:  # more than RELEASES_AT_ONCE is refused by DynamoDB itself (100 actions)
            self.store.transact([write for release in releases for write in release_writes(holder, release)])
        except TransactionCanceledError:
            raise SlotChangedError({}) from None

    def designate_slot(
        self, sail_id: str, slot: str, email: str, *, was: str, person_role: str, change: Change
    ) -> None:
        at = iso(change.at)
        if was == OPEN:
            writes = [
                self._role_update(
                    sail_id,
                    slot,
                    "SET #state = :designated, holder = :holder, designated_at = :at REMOVE claimed_at",
                    "#state = :open",
                    {":designated": "designated", ":holder": email, ":at": at, ":open": OPEN},
                ),
                self._holder_marker(sail_id, slot, email, at),
            ]
        else:
            writes = [
                self._role_update(
                    sail_id,
                    slot,
                    "SET #state = :designated, designated_at = :at",
                    "#state = :claimed AND holder = :holder",
                    {":designated": "designated", ":at": at, ":claimed": "claimed", ":holder": email},
                )
            ]
        writes += [
            self._sail_open(sail_id, holder=(email, slot), confirmed=True),
            _history(sail_id, change),
            # Someone assigned directly may never have signed in: give them a record, so a login
            # link can reach them (created or updated without a read, in the same transaction).
            person_upsert(email, person_role, clock=lambda: change.at),
        ]
        self._holding_transaction(sail_id, slot, email, writes)
