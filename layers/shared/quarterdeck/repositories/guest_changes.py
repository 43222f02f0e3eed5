"""The DynamoDB writes that change a sail's manifest (add a booking, edit, remove or move people)
and the waiver texts published from the app: part of `DynamoGuestRepository` (a mixin, so the
guests module stays small). Every change is one transaction with the sail's `guest_count` and a
history entry; nothing is deleted (a removed person is marked, and keeps its signature).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quarterdeck import keys
from quarterdeck.clock import Clock
from quarterdeck.errors import (
    ConflictError,
    GuestExistsError,
    SailFullError,
    SailNotFoundError,
    WaiverLinkInFlightError,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.history import history_write
from quarterdeck.repositories.sign_in import NewCode
from quarterdeck.store import Store, TransactionCanceledError, Write

REMOVED, MOVED = "removed", "moved"
_GUEST = "guest:"  # a person's action is named `guest:<n>`, n its position in the list given


def key_of(pair: tuple[str, str]) -> Item:
    return {"pk": pair[0], "sk": pair[1]}


def named_codes(codes: list[NewCode]) -> list[Write]:
    return [dataclasses.replace(write, name="code") for code in codes for write in code.writes]


def seats(people: Sequence[Item]) -> int:
    return sum(int(p.get("party_size") or 1) for p in people)


def changed(what: str = "This guest") -> ConflictError:
    return ConflictError(f"{what} was changed by someone else meanwhile; reload and try again.", code="guest_changed")


def _person_put(sail_id: str, person: Item, n: int) -> Write:
    item = {**key_of(keys.guest(sail_id, str(person["id"]))), "type": "guest", **person}
    return Write(
        "Put",
        name=f"{_GUEST}{n}",
        item={k: v for k, v in item.items() if v is not None},
        # A person once removed (or moved away) may be added again: the item is replaced, history keeps it.
        condition="attribute_not_exists(pk) OR #status IN (:removed, :moved)",
        names={"#status": "status"},
        values={":removed": REMOVED, ":moved": MOVED},
    )


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


def _count_up(sail_id: str, size: int, capacity: int) -> Write:
    return Write(
        "Update",
        key=key_of(keys.sail(sail_id)),
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
    )


def _count_down(sail_id: str, size: int) -> Write:
    return Write(
        "Update",
        key=key_of(keys.sail(sail_id)),
        name="from_sail",
        update="SET guest_count = if_not_exists(guest_count, :size) - :size",
        condition="attribute_exists(pk)",
        values={":size": size},
    )


def _leave(sail_id: str, person: Item, n: int, fields: Item) -> Write:
    """Mark a person gone (removed / moved) if its status is still the one read."""
    sets = ", ".join(f"#{name} = :{name}" for name in fields)
    return Write(
        "Update",
        key=key_of(keys.guest(sail_id, str(person["id"]))),
        name=f"{_GUEST}{n}",
        update=f"SET {sets}",
        condition="attribute_exists(pk) AND #status = :was",
        names={f"#{name}": name for name in fields},
        values={**{f":{name}": value for name, value in fields.items()}, ":was": person.get("status")},
    )


def who(people: Sequence[Item]) -> list[dict[str, Any]]:
    """The people a history entry names."""
    return [{"guest_id": p["id"], "name": p.get("name", "")} for p in people]


@dataclass(frozen=True)
class BookingMove:
    """A booking moving sails: `leaving` as read on `from_sail`, `arriving` as they will be on
    `to_sail` (within its `capacity`), with the arriving people's waiver codes."""

    from_sail: str
    leaving: tuple[Item, ...]
    to_sail: str
    arriving: tuple[Item, ...]
    capacity: int
    actor: str
    codes: tuple[NewCode, ...] = ()

    def moved(self, at: str) -> Item:
        """What a leaving person's item becomes."""
        return {"status": MOVED, "moved_to": self.to_sail, "moved_by": self.actor, "moved_at": at}

    def out_detail(self) -> Item:
        """The history detail on `from_sail` (`booking_moved`)."""
        return {"to": self.to_sail, "people": who(self.leaving)}

    def in_detail(self) -> Item:
        """The history detail on `to_sail` (`booking_moved_in`)."""
        return {"from": self.from_sail, "people": who(self.arriving)}


class GuestChanges:
    """The manifest changes of `DynamoGuestRepository` (see the Protocol for their contracts)."""

    store: Store

    def _refused(self, lost: TransactionCanceledError, sail_id: str, people: list[Item], capacity: int) -> Exception:
        for n, person in enumerate(people):
            if f"{_GUEST}{n}" in lost.failed:
                return GuestExistsError(str(person.get("email") or person.get("name")))
        if "code" in lost.failed:
            return WaiverLinkInFlightError()
        current = self.store.get(*keys.sail(sail_id), consistent=True)
        if not current:
            return SailNotFoundError("There is no such sail.")
        if current.get("status") == "cancelled":
            return ConflictError("This sail was cancelled.", code="sail_cancelled")
        return sail_full(current, capacity, seats(people))

    def add_booking(
        self, sail_id: str, people: list[Item], *, capacity: int, actor: str, codes: list[NewCode], clock: Clock
    ) -> None:
        lead = people[0]
        detail = {"guest_id": lead["id"], "name": lead["name"], "party_size": seats(people), "people": who(people)}
        writes = [
            *(_person_put(sail_id, person, n) for n, person in enumerate(people)),
            _count_up(sail_id, seats(people), capacity),
            history_write(sail_id, actor, "guest_added", detail, clock=clock),
            *named_codes(codes),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            raise self._refused(lost, sail_id, people, capacity) from None

    def edit_guest(
        self, sail_id: str, guest: Item, changes: Item, *, actor: str, code: NewCode | None, clock: Clock
    ) -> None:
        sets = ", ".join(f"#{name} = :{name}" for name in changes)
        email_was = "#email = :email_was" if guest.get("email") else "attribute_not_exists(#email)"
        detail = {"guest_id": guest["id"], "name": guest.get("name", ""), "changes": changes}
        writes = [
            Write(
                "Update",
                key=key_of(keys.guest(sail_id, str(guest["id"]))),
                name="guest",
                update=f"SET {sets}",
                condition=f"attribute_exists(pk) AND #status = :was AND {email_was}",
                names={"#status": "status", "#email": "email", **{f"#{name}": name for name in changes}},
                values={
                    **{f":{name}": value for name, value in changes.items()},
                    ":was": guest.get("status"),
                    **({":email_was": guest["email"]} if guest.get("email") else {}),
                },
            ),
            history_write(sail_id, actor, "guest_edited", detail, clock=clock),
            *named_codes([code] if code else []),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if "guest" in lost.failed:
                raise changed(str(guest.get("name") or "This guest")) from None
            raise WaiverLinkInFlightError() from None

    def remove_guests(self, sail_id: str, people: list[Item], *, actor: str, clock: Clock) -> None:
        at = history_write(sail_id, actor, "guest_removed", {"removed_by": actor, "people": who(people)}, clock=clock)
        stamp = str((at.item or {}).get("at"))
        writes = [
            *(
                _leave(sail_id, p, n, {"status": REMOVED, "removed_by": actor, "removed_at": stamp})
                for n, p in enumerate(people)
            ),
            _count_down(sail_id, seats(people)),
            at,
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError:
            raise changed() from None

    def move_booking(self, move: BookingMove, *, clock: Clock) -> None:
        here, there = move.from_sail, move.to_sail
        out = history_write(here, move.actor, "booking_moved", move.out_detail(), clock=clock)
        fields = move.moved(str((out.item or {}).get("at")))
        writes = [
            *(dataclasses.replace(_leave(here, p, n, fields), name=f"left:{n}") for n, p in enumerate(move.leaving)),
            _count_down(here, seats(move.leaving)),
            out,
            *(_person_put(there, person, n) for n, person in enumerate(move.arriving)),
            _count_up(there, seats(move.arriving), move.capacity),
            history_write(there, move.actor, "booking_moved_in", move.in_detail(), clock=clock),
            *named_codes(list(move.codes)),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError as lost:
            if any(name.startswith("left:") for name in lost.failed) or "from_sail" in lost.failed:
                raise changed("This booking") from None
            raise self._refused(lost, there, list(move.arriving), move.capacity) from None

    # --- waiver texts published from the app -----------------------------------------------------
    def published_waiver(self, version: str | None = None) -> Item | None:
        found = self.store.get(*keys.waiver_text(version))
        return {k: v for k, v in found.items() if k not in ("pk", "sk")} if found else None

    def publish_waiver(self, text: Item, *, previous: str | None) -> None:
        fields = {"type": "waiver_text", **text}
        writes = [
            Write(
                "Put",
                name="version",
                item={**key_of(keys.waiver_text(str(text["version"]))), **fields},
                condition="attribute_not_exists(pk)",
            ),
            Write(
                "Put",
                name="current",
                item={**key_of(keys.waiver_text()), **fields},
                condition="#version = :previous" if previous else "attribute_not_exists(pk)",
                names={"#version": "version"} if previous else {},
                values={":previous": previous} if previous else {},
            ),
        ]
        try:
            self.store.transact(writes)
        except TransactionCanceledError:
            raise ConflictError(
                "Someone published a waiver version meanwhile; reload to see it before publishing.",
                code="waiver_changed",
            ) from None
