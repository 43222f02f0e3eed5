"""GuestRepository in memory: a dict per kind of item, the conditions as plain Python.

Fault hooks: `fail_next[method]` raises that error before the method does anything (a failed
write or read); `lose_answer` holds methods whose write lands and whose answer is then lost
(ServiceUnavailableError after the commit, as a timeout after DynamoDB committed)."""

from __future__ import annotations

import copy
from typing import Any

from quarterdeck.clock import Clock, iso
from quarterdeck.errors import (
    AlreadySignedError,
    ConflictError,
    GuestExistsError,
    GuestNotFoundError,
    SailNotFoundError,
    ServiceUnavailableError,
    WaiverLinkInFlightError,
)
from quarterdeck.repositories import Item
from quarterdeck.repositories.guest_changes import BookingMove, sail_full, seats, who
from quarterdeck.repositories.guests import CONFIRMED, COPY_OWED, GONE, ON_HOLD, REMOVED, SailReading
from quarterdeck.repositories.sign_in import NewCode

Key = tuple[str, str]


def _copy(item: Item | None) -> Item | None:
    return copy.deepcopy(item) if item is not None else None


class MemoryGuestRepository:
    def __init__(self) -> None:
        self.sails: dict[str, Item] = {}
        self.guests: dict[Key, Item] = {}
        self.signatures: dict[Key, Item] = {}
        self.codes: dict[str, Item] = {}  # by the code item's pk (`CODE#<sha256>`)
        self.code_pointers: dict[str, Item] = {}  # by link
        self.history: list[Item] = []
        self.waiver_texts: dict[str, Item] = {}  # by version, and the current one at "CURRENT"
        self.calls: list[str] = []
        self.fail_next: dict[str, Exception] = {}
        self.lose_answer: set[str] = set()

    # --- test helpers --------------------------------------------------------------------------
    def put_sail(self, meta: Item) -> Item:
        self.sails[str(meta["id"])] = {"type": "sail", **meta}
        return self.sails[str(meta["id"])]

    def _begin(self, method: str) -> None:
        self.calls.append(method)
        if method in self.fail_next:
            raise self.fail_next.pop(method)

    def _answer(self, method: str) -> None:
        if method in self.lose_answer:
            self.lose_answer.discard(method)
            raise ServiceUnavailableError("The database is busy; please try again.")

    def _history(self, sail_id: str, actor: str, action: str, detail: dict[str, Any], clock: Clock) -> None:
        self.history.append(
            {"sail_id": sail_id, "at": iso(clock()), "actor": actor, "action": action, "detail": detail}
        )

    def _code_holds(self, code: NewCode) -> bool:
        """The conditions of `auth.new_code`'s writes: a new code, the pointer still naming the
        code read (or absent), the previous code still there."""
        new, *rest = code.writes
        if new.item is None or new.item["pk"] in self.codes:
            return False
        if rest:
            pointer = rest[0].item or {}
            current = self.code_pointers.get(str(pointer.get("link")))
            previous = rest[0].values.get(":previous")
            if (current is None) != (previous is None) or (current and current.get("code_hash") != previous):
                return False
        return all(str((w.key or {}).get("pk")) in self.codes for w in rest[1:])

    def _store_code(self, code: NewCode) -> None:
        new, *rest = code.writes
        self.codes[str((new.item or {})["pk"])] = dict(new.item or {})
        if rest:
            pointer = dict(rest[0].item or {})
            self.code_pointers[str(pointer["link"])] = pointer
        for revoke in rest[1:]:
            self.codes[str((revoke.key or {})["pk"])].update(used=True, revoked=True)

    # --- reads ---------------------------------------------------------------------------------
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
        self._begin("read")
        return SailReading(
            sail=_copy(self.sails.get(sail_id)),
            guest=_copy(self.guests.get((sail_id, guest_id))) if guest_id is not None else None,
            signature=_copy(self.signatures.get((sail_id, guest_id))) if guest_id is not None and signature else None,
            code_pointer=_copy(self.code_pointers.get(code_link)) if code_link is not None else None,
            code_pointers={link: dict(self.code_pointers[link]) for link in code_links if link in self.code_pointers},
            current_waiver=_copy(self.waiver_texts.get("CURRENT")) if current_waiver else None,
        )

    def sail_meta(self, sail_id: str) -> Item:
        self._begin("sail_meta")
        meta = self.sails.get(sail_id)
        if not sail_id or len(sail_id) > 64 or meta is None:
            raise SailNotFoundError("There is no such sail.")
        return copy.deepcopy(meta)

    def guests_of(self, sail_id: str) -> list[Item]:
        self._begin("guests_of")
        return [copy.deepcopy(g) for (s, _), g in sorted(self.guests.items()) if s == sail_id]

    def signature(self, sail_id: str, guest_id: str) -> Item | None:
        self._begin("signature")
        return _copy(self.signatures.get((sail_id, guest_id)))

    # --- guests --------------------------------------------------------------------------------
    def _room(self, sail_id: str, people: list[Item], capacity: int) -> Item:
        meta = self.sails.get(sail_id)
        for person in people:
            there = self.guests.get((sail_id, str(person["id"])))
            if there is not None and there.get("status") not in GONE:
                raise GuestExistsError(str(person.get("email") or person.get("name")))
        if meta is None:
            raise SailNotFoundError("There is no such sail.")
        if meta.get("status") == "cancelled":
            raise ConflictError("This sail was cancelled.", code="sail_cancelled")
        count, size = int(meta.get("guest_count") or 0), seats(people)
        pinned = "guest_capacity" not in meta or int(meta["guest_capacity"]) == capacity
        if not pinned or ("guest_count" in meta and count > capacity - size):
            raise sail_full(meta, capacity, size)
        return meta

    def _put_people(self, sail_id: str, people: list[Item], meta: Item) -> None:
        for person in people:
            item = {"type": "guest", **{k: v for k, v in copy.deepcopy(person).items() if v is not None}}
            self.guests[(sail_id, str(person["id"]))] = item
        meta["guest_count"] = int(meta.get("guest_count") or 0) + seats(people)

    def _still(self, sail_id: str, people: list[Item]) -> list[Item]:
        current = [self.guests.get((sail_id, str(p["id"]))) for p in people]
        if any(c is None or c.get("status") != p.get("status") for c, p in zip(current, people, strict=True)):
            raise ConflictError("This guest was changed by someone else meanwhile.", code="guest_changed")
        return [c for c in current if c is not None]

    def add_booking(
        self, sail_id: str, people: list[Item], *, capacity: int, actor: str, codes: list[NewCode], clock: Clock
    ) -> None:
        self._begin("add_booking")
        meta = self._room(sail_id, people, capacity)
        if not all(self._code_holds(code) for code in codes):
            raise WaiverLinkInFlightError()
        self._put_people(sail_id, people, meta)
        lead = people[0]
        detail = {"guest_id": lead["id"], "name": lead["name"], "party_size": seats(people), "people": who(people)}
        self._history(sail_id, actor, "guest_added", detail, clock)
        for code in codes:
            self._store_code(code)
        self._answer("add_booking")

    def edit_guest(
        self, sail_id: str, guest: Item, changes: Item, *, actor: str, code: NewCode | None, clock: Clock
    ) -> None:
        self._begin("edit_guest")
        (current,) = self._still(sail_id, [guest])
        if current.get("email") != guest.get("email"):
            raise ConflictError("This guest was changed by someone else meanwhile.", code="guest_changed")
        if code is not None and not self._code_holds(code):
            raise WaiverLinkInFlightError()
        current.update(copy.deepcopy(changes))
        detail = {"guest_id": guest["id"], "name": guest.get("name", ""), "changes": changes}
        self._history(sail_id, actor, "guest_edited", detail, clock)
        if code is not None:
            self._store_code(code)
        self._answer("edit_guest")

    def remove_guests(self, sail_id: str, people: list[Item], *, actor: str, clock: Clock) -> None:
        self._begin("remove_guests")
        current = self._still(sail_id, people)
        meta = self.sails.get(sail_id)
        if meta is None:
            raise ConflictError("This guest was changed by someone else meanwhile.", code="guest_changed")
        for person in current:
            person.update(status=REMOVED, removed_by=actor, removed_at=iso(clock()))
        meta["guest_count"] = int(meta.get("guest_count", seats(people))) - seats(people)
        self._history(sail_id, actor, "guest_removed", {"removed_by": actor, "people": who(people)}, clock)
        self._answer("remove_guests")

    def move_booking(self, move: BookingMove, *, clock: Clock) -> None:
        self._begin("move_booking")
        current = self._still(move.from_sail, list(move.leaving))
        source = self.sails.get(move.from_sail)
        if source is None:
            raise ConflictError("This booking was changed by someone else meanwhile.", code="guest_changed")
        meta = self._room(move.to_sail, list(move.arriving), move.capacity)
        if not all(self._code_holds(code) for code in move.codes):
            raise WaiverLinkInFlightError()
        for person in current:
            person.update(move.moved(iso(clock())))
        source["guest_count"] = int(source.get("guest_count", seats(move.leaving))) - seats(move.leaving)
        self._history(move.from_sail, move.actor, "booking_moved", move.out_detail(), clock)
        self._put_people(move.to_sail, list(move.arriving), meta)
        self._history(move.to_sail, move.actor, "booking_moved_in", move.in_detail(), clock)
        for code in move.codes:
            self._store_code(code)
        self._answer("move_booking")

    def published_waiver(self, version: str | None = None) -> Item | None:
        self._begin("published_waiver")
        return _copy(self.waiver_texts.get(version or "CURRENT"))

    def publish_waiver(self, text: Item, *, previous: str | None) -> None:
        self._begin("publish_waiver")
        current = self.waiver_texts.get("CURRENT")
        if str(text["version"]) in self.waiver_texts or (current or {}).get("version") != previous:
            raise ConflictError("Someone published a waiver version meanwhile.", code="waiver_changed")
        self.waiver_texts[str(text["version"])] = {"type": "waiver_text", **copy.deepcopy(text)}
        self.waiver_texts["CURRENT"] = {"type": "waiver_text", **copy.deepcopy(text)}
        self._answer("publish_waiver")

    def reissue_waiver_link(self, sail_id: str, guest: Item, *, actor: str, code: NewCode, clock: Clock) -> None:
        self._begin("reissue_waiver_link")
        current = self.guests.get((sail_id, str(guest["id"])))
        if not current or current.get("status") != ON_HOLD:
            raise AlreadySignedError(str(guest.get("name", "This guest")))
        if not self._code_holds(code):
            raise WaiverLinkInFlightError()
        self._history(sail_id, actor, "waiver_link_issued", {"guest_id": guest["id"]}, clock)
        self._store_code(code)
        self._answer("reissue_waiver_link")

    # --- signatures ----------------------------------------------------------------------------
    def record_signature(self, signature: Item, *, actor: str, clock: Clock) -> Item | None:
        self._begin("record_signature")
        sail_id, guest_id = str(signature["sail_id"]), str(signature["guest_id"])
        key = (sail_id, guest_id)
        guest, meta = self.guests.get(key), self.sails.get(sail_id)
        minors = [self.guests.get((sail_id, str(m))) for m in signature.get("covers") or []]
        minors_hold = all(
            m
            and m.get("status") == ON_HOLD
            and m.get("minor") is True
            and m.get("booking_id") == signature.get("booking_id")
            for m in minors
        )
        if key in self.signatures or not guest or guest.get("status") != ON_HOLD or not minors_hold:
            if key in self.signatures:
                return copy.deepcopy(self.signatures[key])
            if not guest:
                raise GuestNotFoundError("There is no such guest on this sail.")
            if guest.get("status") in GONE:
                raise ConflictError("You are no longer on this sail's manifest.", code="guest_gone")
            if not minors_hold and guest.get("status") == ON_HOLD:
                raise ConflictError("A minor you signed for was covered or changed meanwhile.", code="minor_changed")
            raise ConflictError("This sail was cancelled.", code="sail_cancelled")
        if meta is None or meta.get("status") == "cancelled":
            raise ConflictError("This sail was cancelled.", code="sail_cancelled")
        stored = {"type": "waiver", **{k: v for k, v in copy.deepcopy(signature).items() if v is not None}}
        stored[COPY_OWED] = bool(signature.get(COPY_OWED))
        self.signatures[key] = stored
        confirmed = {"status": CONFIRMED, "signed_at": signature["signed_at"], "signed_version": signature["version"]}
        guest.update(confirmed)
        for minor in minors:
            (minor or {}).update(confirmed, covered_by=guest_id)
        detail = {"guest_id": guest_id, "version": signature["version"], "text_sha256": signature["text_sha256"]}
        if signature.get("covers"):
            detail["covers"] = list(signature["covers"])
        self._history(sail_id, actor, "waiver_signed", detail, clock)
        self._answer("record_signature")
        return None

    # --- the signed copy's delivery --------------------------------------------------------------
    def _signature_of(self, signature: Item) -> Item | None:
        return self.signatures.get((str(signature["sail_id"]), str(signature["guest_id"])))

    def take_copy_lease(self, signature: Item, *, now: int, until: int) -> tuple[bool, Item | None]:
        self._begin("take_copy_lease")
        current = self._signature_of(signature)
        if current is None or int(current.get("copy_lease_until", now - 1)) >= now:
            return False, _copy(current)
        current["copy_lease_until"] = until
        self._answer("take_copy_lease")
        return True, copy.deepcopy(current)

    def release_copy_lease(self, signature: Item, flags: dict[str, bool]) -> bool:
        self._begin("release_copy_lease")
        current = self._signature_of(signature)
        mine = signature.get("copy_lease_until")
        if current is None or mine is None or current.get("copy_lease_until") != mine:
            return False
        current.update(flags)
        if flags:
            current[COPY_OWED] = True
        current.pop("copy_lease_until")
        self._answer("release_copy_lease")
        return True

    def record_copy_delivery(self, signature: Item, *, stored: bool, emailed_at: str | None, message_id: str) -> None:
        self._begin("record_copy_delivery")
        current = self._signature_of(signature)
        if current is None:
            return
        current.update(copy_stored=stored, copy_emailed=True)
        if emailed_at:
            current.update(copy_emailed_at=emailed_at, copy_message_id=message_id)
        current[COPY_OWED] = not stored
        current.pop("copy_lease_until", None)
        self._answer("record_copy_delivery")

    def unlist_copy(self, signature: Item) -> bool:
        self._begin("unlist_copy")
        current = self._signature_of(signature)
        if current is None or not current.get(COPY_OWED):
            return False
        current.update(copy_stored=True, copy_emailed=True, copy_owed=False)
        self._answer("unlist_copy")
        return True

    def owed_copies(self, *, limit: int) -> list[Item]:
        self._begin("owed_copies")
        owed = [s for s in self.signatures.values() if s.get(COPY_OWED)]
        owed.sort(key=lambda s: (str(s["signed_at"]), str(s["sail_id"]), str(s["guest_id"])))
        return [copy.deepcopy(s) for s in owed[:limit]]
