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
from quarterdeck.clock import Clock
from quarterdeck.errors import (
    AlreadySignedError,
    ConflictError,
    GuestNotFoundError,
    WaiverLinkInFlightError,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.guest_changes import MOVED, REMOVED, BookingMove, GuestChanges
from quarterdeck.repositories.history import history_write
from quarterdeck.repositories.sails import DynamoSailRepository
from quarterdeck.repositories.sign_in import NewCode, code_pointer_key
from quarterdeck.sails import get_sail_meta
from quarterdeck.store import ConditionFailedError, Store, TransactionCanceledError, Write

ON_HOLD = "on_hold"
CONFIRMED = "confirmed"
GONE = (REMOVED, MOVED)  # removed by an admin / its booking moved to another sail: kept, off the count
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
    code_pointers: dict[str, Item] = dataclasses.field(default_factory=dict)  # by link, of `code_links` found
    current_waiver: Item | None = None  # the waiver text published from the app as current, if asked and any


class GuestRepository(Protocol):
    def read(
        self,
        sail_id: str,
        *,
        guest_id: str | None = None,
        signature: bool = False,
        code_link: str | None = None,
        code_links: tuple[str, ...] = (),
        current_waiver: bool = False,
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

    def add_booking(
        self, sail_id: str, people: list[Item], *, capacity: int, actor: str, codes: list[NewCode], clock: Clock
    ) -> None:
        """Put a booking's people on the sail (over a removed or moved person's item of the same id),
        raising `guest_count` by their seats within `capacity`, with their waiver codes and a
        history entry, all or nothing. Raises GuestExistsError, WaiverLinkInFlightError,
        SailNotFoundError, ConflictError(sail_cancelled) or SailFullError."""
        ...

    def edit_guest(
        self, sail_id: str, guest: Item, changes: Item, *, actor: str, code: NewCode | None, clock: Clock
    ) -> None:
        """Change a person's `name` / `email` if it is as read (`guest`), with a new waiver code if
        given and a history entry. Raises ConflictError(guest_changed) or WaiverLinkInFlightError."""
        ...

    def remove_guests(self, sail_id: str, people: list[Item], *, actor: str, clock: Clock) -> None:
        """Mark the people removed (by `actor`), lowering `guest_count` by their seats, with a
        history entry naming them; nothing is deleted. Raises ConflictError(guest_changed)."""
        ...

    def move_booking(self, move: BookingMove, *, clock: Clock) -> None:
        """Mark `leaving` moved on `from_sail` and put `arriving` on `to_sail` within its capacity,
        both counts and both histories in one transaction. Raises ConflictError(guest_changed),
        GuestExistsError, SailNotFoundError, ConflictError(sail_cancelled), SailFullError or
        WaiverLinkInFlightError."""
        ...

    def published_waiver(self, version: str | None = None) -> Item | None:
        """A waiver text published from the app (the current one by default); None if none is."""
        ...

    def publish_waiver(self, text: Item, *, previous: str | None) -> None:
        """Publish `text` ({version, text, sha256, published_at, published_by}) as the current
        version if the current one is still `previous` (None: none published from the app).
        Raises ConflictError(waiver_changed)."""
        ...

    def reissue_waiver_link(self, sail_id: str, guest: Item, *, actor: str, code: NewCode, clock: Clock) -> None:
        """Store a new waiver code for a guest still on hold, with a history entry. Raises
        AlreadySignedError or WaiverLinkInFlightError."""
        ...

    def record_signature(self, signature: Item, *, actor: str, clock: Clock) -> Item | None:
        """Write the signature (if none is there yet), confirm the guest (if on hold) and the
        minors it `covers` (on hold, of its booking) on a sail not cancelled, with a history entry.
        Returns None, or the signature that was there first. Raises GuestNotFoundError,
        ConflictError(guest_gone | minor_changed | sail_cancelled)."""
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


class DynamoGuestRepository(GuestChanges):
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- reads -----------------------------------------------------------------------------
    def read(
        self,
        sail_id: str,
        *,
        guest_id: str | None = None,
        signature: bool = False,
        code_link: str | None = None,
        code_links: tuple[str, ...] = (),
        current_waiver: bool = False,
    ) -> SailReading:
        wanted = [keys.sail(sail_id)]
        if guest_id is not None:
            wanted.append(keys.guest(sail_id, guest_id))
            if signature:
                wanted.append(keys.waiver(sail_id, guest_id))
        if code_link is not None:
            wanted.append(code_pointer_key(code_link))
        wanted += [code_pointer_key(link) for link in code_links]
        if current_waiver:
            wanted.append(keys.waiver_text())
        found = {(item["pk"], item["sk"]): item for item in self.store.batch_get(list(dict.fromkeys(wanted)))}
        meta = found.get(keys.sail(sail_id))
        return SailReading(
            sail=plain(meta) if meta and meta.get("type") == "sail" else None,
            guest=plain(found.get(keys.guest(sail_id, guest_id))) if guest_id is not None else None,
            signature=plain(found.get(keys.waiver(sail_id, guest_id))) if guest_id is not None else None,
            code_pointer=plain(found.get(code_pointer_key(code_link))) if code_link is not None else None,
            code_pointers={
                link: plain(found[code_pointer_key(link)]) or {}
                for link in code_links
                if code_pointer_key(link) in found
            },
            current_waiver=plain(found.get(keys.waiver_text())) if current_waiver else None,
        )

    def sail_meta(self, sail_id: str) -> Item:
        return plain(get_sail_meta(DynamoSailRepository(self.store), sail_id)) or {}

    def guests_of(self, sail_id: str) -> list[Item]:
        pk, _ = keys.guest(sail_id, "")
        return [plain(item) or {} for item in self.store.query(pk, sk_prefix="GUEST#")]

    def signature(self, sail_id: str, guest_id: str) -> Item | None:
        return plain(self.store.get(*keys.waiver(sail_id, guest_id), consistent=True))

    # --- guests (adding, editing, removing and moving people: GuestChanges) -------------------
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
        fields = {name: value for name, value in signature.items() if name != COPY_OWED and value is not None}
        item = {**_key(keys.waiver(sail_id, guest_id)), "type": "waiver", **fields}
        if signature.get(COPY_OWED):
            item.update(_owed_key(signature))
        confirmed = {":confirmed": CONFIRMED, ":on_hold": ON_HOLD, ":at": signature["signed_at"]}
        confirmed[":version"] = signature["version"]
        writes = [
            Write("Put", name="signature", item=item, condition="attribute_not_exists(pk)"),
            Write(
                "Update",
                key=_key(keys.guest(sail_id, guest_id)),
                name="guest",
                update="SET #status = :confirmed, signed_at = :at, signed_version = :version",
                condition="attribute_exists(pk) AND #status = :on_hold",
                names={"#status": "status"},
                values=confirmed,
            ),
            *(
                # A minor of the signer's booking, still on hold, is covered by this signature.
                Write(
                    "Update",
                    key=_key(keys.guest(sail_id, str(minor))),
                    name="minor",
                    update="SET #status = :confirmed, signed_at = :at, signed_version = :version, covered_by = :by",
                    condition="attribute_exists(pk) AND #status = :on_hold AND minor = :true AND booking_id = :booking",
                    names={"#status": "status"},
                    values={**confirmed, ":by": guest_id, ":true": True, ":booking": signature.get("booking_id")},
                )
                for minor in signature.get("covers") or []
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
                {
                    "guest_id": guest_id,
                    "version": signature["version"],
                    "text_sha256": signature["text_sha256"],
                    **({"covers": list(signature["covers"])} if signature.get("covers") else {}),
                },
                clock=clock,
            ),
        ]
        try:
            self.store.transact(writes)
            return None
        except TransactionCanceledError as lost:
            # Whichever failed, a signature in place (a double submit) is the answer; then the guest.
            current = self.signature(sail_id, guest_id)
            if current:
                return current
            guest = self.store.get(*keys.guest(sail_id, guest_id), consistent=True)
            if not guest:
                raise GuestNotFoundError("There is no such guest on this sail.") from None
            if guest.get("status") in GONE:
                raise ConflictError("You are no longer on this sail's manifest.", code="guest_gone") from None
            if "minor" in lost.failed:
                raise ConflictError(
                    "A minor you signed for was covered or changed meanwhile; reload and sign again.",
                    code="minor_changed",
                ) from None
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
