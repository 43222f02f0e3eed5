"""SailRepository in memory: a dict per kind of thing on a sail, the conditions as plain Python.

All or nothing like the real one: every condition of a change is checked before anything is
written, and a lost condition raises the same domain error, chosen in the same order (slot,
then holder, then sail). Fault injection for the tests that need it, per method name:
`before_next` runs a function first (someone else's change), `fail_next` raises instead of
writing, `lose_answer_next` writes and then raises (the answer was lost, the change landed).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from quarterdeck import keys
from quarterdeck.checklists import SailCancelledError, new_checklist_items
from quarterdeck.clock import iso
from quarterdeck.errors import RoleStateError, SlotChangedError, StaleVersionError
from quarterdeck.repositories import Item
from quarterdeck.repositories.sails import (
    CANCEL_STALE,
    EDIT_CANCELLED,
    EDIT_STALE,
    KEY_FIELDS,
    OPEN,
    SLOT_TAKEN,
    Change,
    SlotRead,
    already_holding,
    capacity_below_taken,
    invite_in_flight,
    sail_cancelled,
)
from quarterdeck.repositories.sign_in import code_pointer_key
from quarterdeck.repositories.slot_releases import RELEASES_AT_ONCE, Release
from quarterdeck.repositories.slot_releases import Change as AnyChange
from quarterdeck.store import TransactionCanceledError, Write


def _bare(item: Mapping[str, Any]) -> Item:
    return {name: copy.deepcopy(value) for name, value in item.items() if name not in KEY_FIELDS}


class MemorySailRepository:
    def __init__(self) -> None:
        self.metas: dict[str, Item] = {}
        self.roles: dict[str, dict[str, Item]] = {}  # sail id → slot → role
        self.markers: dict[str, dict[str, Item]] = {}  # sail id → holder's email → HOLDER# marker
        self.history: dict[str, list[Item]] = {}  # sail id → entries, in the order they happened
        self.others: dict[str, list[Item]] = {}  # other areas' items of the partition: checks, guests, waivers
        self.people: dict[str, Item] = {}  # email → person record (its calendar token)
        self.codes: dict[tuple[str, str], Item] = {}  # what `auth.new_code`'s writes stored: codes, pointers
        self.before_next: dict[str, Callable[[], object]] = {}
        self.fail_next: dict[str, Exception] = {}
        self.lose_answer_next: dict[str, Exception] = {}
        self.calls: list[str] = []

    # --- test helpers -------------------------------------------------------------------
    def add_item(self, sail_id: str, item: Item) -> None:
        """Another area's item in the sail's partition (a guest, a waiver signature)."""
        self.others.setdefault(sail_id, []).append(_bare(item))

    def add_person(self, email: str, role: str = "crew", **fields: Any) -> None:
        self.people[email.lower()] = {"type": "person", "email": email.lower(), "role": role, **fields}

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if name in self.before_next:
            self.before_next.pop(name)()
        if name in self.fail_next:
            raise self.fail_next.pop(name)

    def _leave(self, name: str) -> None:
        if name in self.lose_answer_next:
            raise self.lose_answer_next.pop(name)

    def _history(self, sail_id: str, change: AnyChange) -> None:
        entry: Item = {"type": "history", "at": iso(change.at), "actor": change.actor, "action": change.action}
        if change.detail:
            entry["detail"] = copy.deepcopy(change.detail)
        self.history.setdefault(sail_id, []).append(entry)

    def _open(self, sail_id: str) -> bool:
        meta = self.metas.get(sail_id)
        return meta is not None and meta.get("status") != "cancelled"

    # --- sails ------------------------------------------------------------------------
    def add_sail(self, meta: Item, slots: Sequence[str], change: Change) -> None:
        self._enter("add_sail")
        sail_id = str(meta["id"])
        if sail_id in self.metas:
            raise TransactionCanceledError(["ConditionalCheckFailed"], ["sail"])
        self.metas[sail_id] = {**_bare(meta), "type": "sail"}
        self.roles[sail_id] = {slot: {"type": "role", "slot": slot, "state": OPEN} for slot in slots}
        self.others[sail_id] = [_bare(item) for item in new_checklist_items(sail_id)]
        self._history(sail_id, change)
        self._leave("add_sail")

    def add_sails(self, sails: Sequence[tuple[Item, Sequence[str], Change]]) -> None:
        self._enter("add_sails")
        if len({str(meta["id"]) for meta, _, _ in sails}) < len(sails) or any(
            str(meta["id"]) in self.metas for meta, _, _ in sails
        ):
            raise TransactionCanceledError(["ConditionalCheckFailed"], ["sail"])
        for meta, slots, change in sails:
            sail_id = str(meta["id"])
            self.metas[sail_id] = {**_bare(meta), "type": "sail"}
            self.roles[sail_id] = {slot: {"type": "role", "slot": slot, "state": OPEN} for slot in slots}
            self.others[sail_id] = [_bare(item) for item in new_checklist_items(sail_id)]
            self._history(sail_id, change)
        self._leave("add_sails")

    def sail_meta(self, sail_id: str, *, consistent: bool = False) -> Item | None:
        self._enter("sail_meta")
        meta = self.metas.get(sail_id)
        return _bare(meta) if meta else None

    def sail_items(self, sail_id: str, *, with_history: bool = False) -> list[Item]:
        self._enter("sail_items")
        if sail_id not in self.metas:
            return []
        others = [i for i in self.others.get(sail_id, []) if with_history or i.get("type") != "waiver"]
        items = [self.metas[sail_id], *others, *self.markers.get(sail_id, {}).values()]
        items += self.roles.get(sail_id, {}).values()
        if with_history:
            items += self.history.get(sail_id, [])
        return [_bare(item) for item in items]

    def sails_between(self, first: date, last: date) -> list[Item]:
        self._enter("sails_between")
        low, high = keys.sail_dates(first.isoformat(), last.isoformat())
        found = [
            meta
            for sail_id, meta in self.metas.items()
            if low <= keys.sail_index_sk(str(meta["departure"]), sail_id) <= high
        ]
        return [_bare(meta) for meta in found]

    def _scheduled_at(self, sail_id: str, version: int) -> bool:
        meta = self.metas.get(sail_id)
        return meta is not None and meta.get("status") == "scheduled" and int(meta.get("version", 0)) == version

    def _set_meta(self, sail_id: str, sets: Mapping[str, Any], change: Change) -> None:
        meta = self.metas[sail_id]
        meta.update(copy.deepcopy({name: value for name, value in sets.items() if value is not None}))
        for name in [name for name, value in sets.items() if value is None]:
            meta.pop(name, None)
        meta["updated_at"] = iso(change.at)
        meta["version"] = int(meta.get("version", 0)) + 1

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
        self._enter("edit_sail")
        if not self._scheduled_at(sail_id, version):
            meta = self.metas.get(sail_id)
            if meta and meta.get("status") != "scheduled":
                raise SailCancelledError(EDIT_CANCELLED)
            raise StaleVersionError(EDIT_STALE, field="version")
        taken = int(self.metas[sail_id].get("guest_count") or 0)
        if seats_at_most is not None and taken > seats_at_most:
            raise capacity_below_taken(taken)
        roles = self.roles.setdefault(sail_id, {})
        for slot in remove_slots:
            role = roles.get(slot)
            if role and (role.get("state") != OPEN or role.get("holder")):
                raise RoleStateError(SLOT_TAKEN, field="crew_slots")
        self._set_meta(sail_id, sets, change)
        for slot in add_slots:
            roles[slot] = {"type": "role", "slot": slot, "state": OPEN}
        for slot in remove_slots:
            roles.pop(slot, None)
        self._history(sail_id, change)
        self._leave("edit_sail")

    def cancel_sail(self, sail_id: str, sets: Mapping[str, Any], *, version: int, change: Change) -> None:
        self._enter("cancel_sail")
        if not self._scheduled_at(sail_id, version):
            raise StaleVersionError(CANCEL_STALE)
        self._set_meta(sail_id, sets, change)
        self._history(sail_id, change)
        self._leave("cancel_sail")

    # --- roles ------------------------------------------------------------------------
    def read_slot(self, sail_id: str, slot: str, *, invite_link: str | None = None) -> SlotRead:
        self._enter("read_slot")
        meta, role = self.metas.get(sail_id), self.roles.get(sail_id, {}).get(slot)
        pointer = self.codes.get(code_pointer_key(invite_link)) if invite_link else None
        return SlotRead(
            meta=_bare(meta) if meta else None,
            role=_bare(role) if role else None,
            pointer=copy.deepcopy(pointer) if pointer else None,
        )

    def current_role(self, sail_id: str, slot: str) -> Item:
        self._enter("current_role")
        role = self.roles.get(sail_id, {}).get(slot)
        return _bare(role) if role else {"slot": slot, "state": OPEN}

    def _role(self, sail_id: str, slot: str, test: Callable[[Item], bool]) -> Item:
        """The slot, if it passes `test` (SlotChangedError otherwise)."""
        role = self.roles.get(sail_id, {}).get(slot)
        if role is None or not test(role):
            raise SlotChangedError(_bare(role) if role else {"slot": slot, "state": OPEN})
        return role

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
        """The code writes are kept as written (their conditions are auth's, not this aggregate's):
        Puts land in `codes`, the Update revoking the previous code marks it used and revoked."""
        self._enter("offer_slot")
        role = self._role(sail_id, slot, lambda r: r.get("state") == OPEN)
        if not self._open(sail_id):
            raise sail_cancelled()
        moved = next((w for w in code_writes if w.item and w.item.get("type") == "code_ref"), None)
        if moved is not None and moved.item is not None:  # the link's pointer still names the code read
            now = self.codes.get((moved.item["pk"], moved.item["sk"]), {}).get("code_hash")
            if now != moved.values.get(":previous"):
                raise invite_in_flight(email, slot)
        role["invited"] = dict(invited)
        for write in code_writes:
            if write.kind == "Put" and write.item:
                self.codes[(write.item["pk"], write.item["sk"])] = dict(write.item)
            elif write.kind == "Update" and write.key:
                self.codes.get((write.key["pk"], write.key["sk"]), {}).update(used=True, revoked=True)
        self._history(sail_id, change)
        self._leave("offer_slot")

    def _gain_holder(
        self, sail_id: str, slot: str, email: str, at: str, *, marker: bool, confirmed: bool = False
    ) -> None:
        if marker:
            self.markers.setdefault(sail_id, {})[email] = {"type": "holder", "slot": slot, "email": email, "since": at}
        meta = self.metas[sail_id]
        meta["holders"] = sorted({*meta.get("holders", []), keys.holder_tag(email, slot)})
        if confirmed:
            meta["confirmed"] = sorted({*meta.get("confirmed", []), keys.holder_tag(email, slot)})

    def _check_holder(self, sail_id: str, email: str) -> None:
        held = self.markers.get(sail_id, {}).get(email)
        if held:
            raise already_holding(email, str(held["slot"]))

    def claim_slot(self, sail_id: str, slot: str, email: str, change: Change) -> None:
        self._enter("claim_slot")
        role = self._role(sail_id, slot, lambda r: r.get("state") == OPEN)
        self._check_holder(sail_id, email)
        if not self._open(sail_id):
            raise sail_cancelled()
        at = iso(change.at)
        role.update(state="claimed", holder=email, claimed_at=at)
        role.pop("designated_at", None)
        self._gain_holder(sail_id, slot, email, at, marker=True)
        self._history(sail_id, change)
        self._leave("claim_slot")

    def release_slot(self, sail_id: str, slot: str, *, state: str, holder: str, change: Change) -> None:
        self._enter("release_slot")
        role = self._role(sail_id, slot, lambda r: r.get("state") == state and r.get("holder") == holder)
        if sail_id not in self.metas:
            raise SlotChangedError(_bare(role))
        self._open_slot(sail_id, slot, holder, change)
        self._leave("release_slot")

    def _open_slot(self, sail_id: str, slot: str, holder: str, change: AnyChange) -> None:
        role = self.roles[sail_id][slot]
        role["state"] = OPEN
        for name in ("holder", "claimed_at", "designated_at"):
            role.pop(name, None)
        self.markers.get(sail_id, {}).pop(holder, None)
        meta = self.metas[sail_id]
        for tags in ("holders", "confirmed"):
            left = sorted(set(meta.get(tags, [])) - {keys.holder_tag(holder, slot)})
            if left:
                meta[tags] = left
            else:
                meta.pop(tags, None)
        self._history(sail_id, change)

    def release_slots(self, holder: str, releases: Sequence[Release]) -> None:
        self._enter("release_slots")
        if len(releases) > RELEASES_AT_ONCE:
            raise ValueError(f"at most {RELEASES_AT_ONCE} slots are released at once")
        for sail_id, slot, state, _ in releases:  # all or nothing: every slot checked first
            role = self.roles.get(sail_id, {}).get(slot) or {}
            if sail_id not in self.metas or role.get("state") != state or role.get("holder") != holder:
                raise SlotChangedError({})
        for sail_id, slot, _, change in releases:
            self._open_slot(sail_id, slot, holder, change)
        self._leave("release_slots")

    def designate_slot(
        self, sail_id: str, slot: str, email: str, *, was: str, person_role: str, change: Change
    ) -> None:
        self._enter("designate_slot")
        if was == OPEN:
            role = self._role(sail_id, slot, lambda r: r.get("state") == OPEN)
            self._check_holder(sail_id, email)
        else:
            role = self._role(sail_id, slot, lambda r: r.get("state") == "claimed" and r.get("holder") == email)
        if not self._open(sail_id):
            raise sail_cancelled()
        at = iso(change.at)
        role.update(state="designated", holder=email, designated_at=at)
        if was == OPEN:
            role.pop("claimed_at", None)
        self._gain_holder(sail_id, slot, email, at, marker=was == OPEN, confirmed=True)
        self._history(sail_id, change)
        person = self.people.setdefault(email, {"created_at": at, "nudges": True})
        person.update(type="person", email=email, role=person_role)
        self._leave("designate_slot")
