"""Guests and their waiver signatures: the GUEST# and WAIVER# items of a sail's partition, the
sail's `guest_count`, the owed-copies index (GSI1 `keys.owed_waiver_copy`, a sparse index a
signature is in while its signed copy is owed) and the history entries of those changes.

Items cross as plain dicts without pk/sk: a signature's index key becomes `copy_owed: True`
(and back), so the domain never reads a GSI attribute.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

from quarterdeck import keys
from quarterdeck.auth import NewCode, code_pointer_key
from quarterdeck.clock import Clock
from quarterdeck.errors import (
    AlreadySignedError,
    ConflictError,
    GuestExistsError,
    GuestNotFoundError,
    SailFullError,
    SailNotFoundError,
    WaiverLinkInFlightError,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.history import history_write
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.sails import get_sail_meta
from quarterdeck.store import ConditionFailedError, Store, TransactionCanceledError, Write

ON_HOLD = "on_hold"
CONFIRMED = "confirmed"
COPY_OWED = "copy_owed"  # the boundary's name for "listed in the owed-copies index"
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


@dataclass(frozen=True)
class SailReading:
    """What one read of a sail brought back (None: not there): its META, one guest, that
    guest's signature and the pointer to the live code of a waiver link (`code_link`)."""

    sail: Item | None
    guest: Item | None = None
    signature: Item | None = None
    code_pointer: Item | None = None


class GuestRepository(Protocol):
    def read(
        self, sail_id: str, *, guest_id: str | None = None, signature: bool = False, code_link: str | None = None
    ) -> SailReading:
        """The sail and what else is asked for, in one round trip."""
        ...

    def sail_meta(self, sail_id: str) -> Item:
        """The sail's own record; raises SailNotFoundError."""
        ...

    def guests_of(self, sail_id: str) -> list[Item]:
        """Every guest of the sail (one Query)."""
        ...

    def signature(self, sail_id: str, guest_id: str) -> Item | None:
        """The guest's signature as it is now (a consistent read)."""
        ...

    def add_guest(self, sail_id: str, guest: Item, *, capacity: int, actor: str, code: NewCode, clock: Clock) -> None:
        """Put the guest on the sail, raising `guest_count` by its party within `capacity`, with
        its waiver code and a history entry, all or nothing. Raises GuestExistsError,
        WaiverLinkInFlightError, SailNotFoundError, ConflictError(sail_cancelled) or SailFullError."""
        ...

    def reissue_waiver_link(self, sail_id: str, guest: Item, *, actor: str, code: NewCode, clock: Clock) -> None:
        """Store a new waiver code for a guest still on hold, with a history entry. Raises
        AlreadySignedError or WaiverLinkInFlightError."""
        ...

    def record_signature(self, signature: Item, *, actor: str, clock: Clock) -> Item | None:
        """Write the signature (if none is there yet), confirm the guest (if on hold) on a sail not
        cancelled, with a history entry. Returns None, or the signature that was there first.
        Raises GuestNotFoundError or ConflictError(sail_cancelled)."""
        ...

    def take_copy_lease(self, signature: Item, *, now: int, until: int) -> tuple[bool, Item | None]:
        """Own the copy's delivery until `until` unless a lease runs past `now`. Returns (taken,
        the signature as it is now; None if it could not be read back)."""
        ...

    def release_copy_lease(self, signature: Item, flags: dict[str, bool]) -> bool:
        """End this lease (the one `signature` holds), recording `flags` and, with them, listing the
        copy as owed. False if the lease is not ours any more."""
        ...

    def record_copy_delivery(self, signature: Item, *, stored: bool, emailed_at: str | None, message_id: str) -> None:
        """Record a delivery under the lease: emailed (now, if `emailed_at`), stored or still owed."""
        ...

    def unlist_copy(self, signature: Item) -> bool:
        """Record a copy found delivered, out of the owed index. False if it was not listed."""
        ...

    def owed_copies(self, *, limit: int) -> list[Item]:
        """The signatures whose copy is owed, oldest first (one Query of the index)."""
        ...


def sail_full(current: Item, capacity: int, size: int) -> ConflictError:
    """Why a party did not fit, from the sail as it is now (its capacity may have changed since
    it was read: then, if the party fits now, that is what it says)."""
    now_capacity = int(current.get("guest_capacity") or capacity)
    room = max(now_capacity - int(current.get("guest_count") or 0), 0)
    if now_capacity != capacity and size <= room:
        return ConflictError(
            f"The sail's capacity was changed meanwhile (now {now_capacity}); try again.", code="capacity_changed"
        )
    return SailFullError(now_capacity, room)


def plain(item: Item | None) -> Item | None:
    """An item as the domain sees it: no table or index keys; a signature says `copy_owed`."""
    if item is None:
        return None
    view = {name: value for name, value in item.items() if name not in _KEYS}
    if item.get("type") == "waiver":
        view[COPY_OWED] = bool(item.get("gsi1pk"))
    return view


def _owed_key(signature: Item) -> dict[str, str]:
    pk, sk = keys.owed_waiver_copy(str(signature["signed_at"]), str(signature["sail_id"]), str(signature["guest_id"]))
    return {"gsi1pk": pk, "gsi1sk": sk}


def _key(pair: tuple[str, str]) -> Item:
    return {"pk": pair[0], "sk": pair[1]}


def _waiver_key(signature: Item) -> tuple[str, str]:
    return keys.waiver(str(signature["sail_id"]), str(signature["guest_id"]))


def _named(code: NewCode) -> list[Write]:
    return [dataclasses.replace(write, name="code") for write in code.writes]


class DynamoGuestRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- reads -----------------------------------------------------------------------------
    def read(
        self, sail_id: str, *, guest_id: str | None = None, signature: bool = False, code_link: str | None = None
    ) -> SailReading:
        wanted = [keys.sail(sail_id)]
        if guest_id is not None:
            wanted.append(keys.guest(sail_id, guest_id))
            if signature:
                wanted.append(keys.waiver(sail_id, guest_id))
        if code_link is not None:
            wanted.append(code_pointer_key(code_link))
        found = {(item["pk"], item["sk"]): item for item in self.store.batch_get(wanted)}
        meta = found.get(keys.sail(sail_id))
        return SailReading(
            sail=plain(meta) if meta and meta.get("type") == "sail" else None,
            guest=plain(found.get(keys.guest(sail_id, guest_id))) if guest_id is not None else None,
            signature=plain(found.get(keys.waiver(sail_id, guest_id))) if guest_id is not None else None,
            code_pointer=plain(found.get(code_pointer_key(code_link))) if code_link is not None else None,
        )

    def sail_meta(self, sail_id: str) -> Item:
        return plain(get_sail_meta(DynamoSailRepository(self.store), sail_id)) or {}

    def guests_of(self, sail_id: str) -> list[Item]:
        pk, _ = keys.guest(sail_id, "")
        return [plain(item) or {} for item in self.store.query(pk, sk_prefix="GUEST#")]

    def signature(self, sail_id: str, guest_id: str) -> Item | None:
        return plain(self.store.get(*keys.waiver(sail_id, guest_id), consistent=True))

    # --- guests ----------------------------------------------------------------------------
    def add_guest(self, sail_id: str, guest: Item, *, capacity: int, actor: str, code: NewCode, clock: Clock) -> None:
        size = int(guest["party_size"])
        meta_key = keys.sail(sail_id)
        item = {**_key(keys.guest(sail_id, str(guest["id"]))), "type": "guest", **guest}
        writes = [
            Write("Put", name="guest", item=item, condition="attribute_not_exists(pk)"),
            Write(
                "Update",
                key=_key(meta_key),
                name="sail",
                update="SET guest_count = if_not_exists(guest_count, :zero) + :size",
                # No arithmetic in conditions: `count + size <= capacity` is `count <= capacity - size`;
                # the sail's own capacity is pinned at what was read (an admin may change it).
                condition=(
                    "attribute_exists(pk) AND #status <> :cancelled"
                    " AND (attribute_not_exists(guest_count) OR guest_count <= :room)"
                    " AND (attribute_not_exists(guest_capacity) OR guest_capacity = :capacity)"
                ),
                names={"#status": "status"},
                values={
                    ":zero": 0,
                    ":size": size,
                    ":room": capacity - size,
                    ":capacity": capacity,
                    ":cancelled": "cancelled",
                },
            ),
            history_write(
                sail_id,
                actor,
                "guest_added",
                {"guest_id": guest["id"], "name": guest["name"], "party_size": size},
                clock=clock,
            ),
            *_named(code),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "guest" in lost.failed:
                raise GuestExistsError(str(guest["email"])) from None
            if "code" in lost.failed:
                raise WaiverLinkInFlightError() from None
            current = self.store.get(*meta_key, consistent=True)
            if not current:
                raise SailNotFoundError("There is no such sail.") from None
            if current.get("status") == "cancelled":
                raise ConflictError("This sail was cancelled.", code="sail_cancelled") from None
            raise sail_full(current, capacity, size) from None

    def reissue_waiver_link(self, sail_id: str, guest: Item, *, actor: str, code: NewCode, clock: Clock) -> None:
        guest_id = str(guest["id"])
        writes = [
            Write(
                "ConditionCheck",
                key=_key(keys.guest(sail_id, guest_id)),
                name="guest",
                condition="attribute_exists(pk) AND #status = :on_hold",
                names={"#status": "status"},
                values={":on_hold": ON_HOLD},
            ),
            history_write(sail_id, actor, "waiver_link_issued", {"guest_id": guest_id}, clock=clock),
            *_named(code),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "guest" in lost.failed:
                raise AlreadySignedError(str(guest.get("name", "This guest"))) from None
            raise WaiverLinkInFlightError() from None

    # --- signatures ------------------------------------------------------------------------
    def record_signature(self, signature: Item, *, actor: str, clock: Clock) -> Item | None:
        sail_id, guest_id = str(signature["sail_id"]), str(signature["guest_id"])
        fields = {name: value for name, value in signature.items() if name != COPY_OWED}
        item = {**_key(keys.waiver(sail_id, guest_id)), "type": "waiver", **fields}
        if signature.get(COPY_OWED):
            item.update(_owed_key(signature))
        writes = [
            Write("Put", name="signature", item=item, condition="attribute_not_exists(pk)"),
            Write(
                "Update",
                key=_key(keys.guest(sail_id, guest_id)),
                name="guest",
                update="SET #status = :confirmed, signed_at = :at",
                condition="attribute_exists(pk) AND #status = :on_hold",
                names={"#status": "status"},
                values={":confirmed": CONFIRMED, ":on_hold": ON_HOLD, ":at": signature["signed_at"]},
            ),
            Write(
                "ConditionCheck",
                key=_key(keys.sail(sail_id)),
                name="sail",
                condition="attribute_exists(pk) AND #status <> :cancelled",
                names={"#status": "status"},
                values={":cancelled": "cancelled"},
            ),
            history_write(
                sail_id,
                actor,
                "waiver_signed",
                {"guest_id": guest_id, "version": signature["version"], "text_sha256": signature["text_sha256"]},
                clock=clock,
            ),
        ]
        try:
            self.store.transact(writes)
            return None
        except TransactionCanceledError:
            # Whichever failed, a signature in place (a double submit) is the answer; then the guest.
            current = self.signature(sail_id, guest_id)
            if current:
                return current
            if not self.store.get(*keys.guest(sail_id, guest_id), consistent=True):
                raise GuestNotFoundError("There is no such guest on this sail.") from None
            raise ConflictError("This sail was cancelled.", code="sail_cancelled") from None

    # --- the signed copy's delivery ----------------------------------------------------------
    def take_copy_lease(self, signature: Item, *, now: int, until: int) -> tuple[bool, Item | None]:
        try:
            fresh = self.store.update(
                *_waiver_key(signature),
                "SET copy_lease_until = :until",
                condition=(
                    "attribute_exists(pk) AND (attribute_not_exists(copy_lease_until) OR copy_lease_until < :now)"
                ),
                values={":until": until, ":now": now},
            )
            return True, plain(fresh)
        except ConditionFailedError as lost:
            return False, plain(lost.current)

    def release_copy_lease(self, signature: Item, flags: dict[str, bool]) -> bool:
        fields: dict[str, Any] = {**flags, **_owed_key(signature)} if flags else {}
        sets = ", ".join(f"{name} = :{name}" for name in fields)
        try:
            self.store.update(
                *_waiver_key(signature),
                (f"SET {sets} " if sets else "") + "REMOVE copy_lease_until",
                condition="copy_lease_until = :mine",
                values={":mine": signature.get("copy_lease_until"), **{f":{k}": v for k, v in fields.items()}},
            )
            return True
        except ConditionFailedError:
            return False

    def record_copy_delivery(self, signature: Item, *, stored: bool, emailed_at: str | None, message_id: str) -> None:
        values: dict[str, Any] = {":stored": stored, ":true": True}
        update = "SET copy_stored = :stored, copy_emailed = :true"
        if emailed_at:
            update += ", copy_emailed_at = :at, copy_message_id = :id"
            values.update({":at": emailed_at, ":id": message_id})
        if stored:
            update += " REMOVE copy_lease_until, gsi1pk, gsi1sk"
        else:
            owed = _owed_key(signature)
            update += ", gsi1pk = :owed_pk, gsi1sk = :owed_sk REMOVE copy_lease_until"
            values.update({":owed_pk": owed["gsi1pk"], ":owed_sk": owed["gsi1sk"]})
        with contextlib.suppress(ConditionFailedError):  # (a signature is never deleted: nothing to record on)
            self.store.update(*_waiver_key(signature), update, condition="attribute_exists(pk)", values=values)

    def unlist_copy(self, signature: Item) -> bool:
        try:
            self.store.update(
                *_waiver_key(signature),
                "SET copy_stored = :true, copy_emailed = :true REMOVE gsi1pk, gsi1sk",
                condition="attribute_exists(gsi1pk)",
                values={":true": True},
            )
            return True
        except ConditionFailedError:
            return False

    def owed_copies(self, *, limit: int) -> list[Item]:
        return [plain(item) or {} for item in self.store.query(keys.OWED_WAIVER_COPIES, index="gsi1", limit=limit)]
