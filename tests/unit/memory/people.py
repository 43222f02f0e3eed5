"""People and sign-in in memory: `PeopleRepository` and `SignInRepository` as dicts, their
conditions as plain Python (tests/integration/test_repository_people.py holds them to the
DynamoDB implementations). The roster's listing takes the suppression list from the in-memory
delivery log it is given (DynamoDB keeps both in one index partition)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import timedelta

from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.errors import LimitReachedError, PersonExistsError, PersonNotFoundError, ServiceUnavailableError
from quarterdeck.magic_codes import Purpose, code_rejection, fresh_code, hash_code
from quarterdeck.repositories import Item
from quarterdeck.repositories.caller_checks import caller_check
from quarterdeck.repositories.people import RosterListing
from quarterdeck.repositories.person_records import Role, enrolled, on_roster, person_changed
from quarterdeck.repositories.sign_in import UNREAD, CodeLookup, Limit, Unread, code_item
from quarterdeck.repositories.slot_releases import Release
from quarterdeck.store import Write
from tests.unit.memory.deliveries import MemoryDeliveryRepository
from tests.unit.memory.sails import MemorySailRepository


class MemoryPeopleRepository:
    def __init__(
        self, *, sails: MemorySailRepository | None = None, deliveries: MemoryDeliveryRepository | None = None
    ) -> None:
        self.records: dict[str, Item] = {}
        self.sails = sails  # where `remove` opens the slots it is given (its transaction, in memory)
        self.deliveries = deliveries or MemoryDeliveryRepository()  # whose suppressions the roster shows
        self.reads = 0  # how many times a record was read (what a warm request must not do)

    def person(self, email: str, *, consistent: bool = False) -> Item | None:
        self.reads += 1
        found = self.records.get(email.lower())
        return copy.deepcopy(found) if found is not None else None

    def roster(self) -> list[Item]:
        return [copy.deepcopy(self.records[email]) for email in sorted(self.records)]

    def roster_listing(self) -> RosterListing:
        suppressed = {str(entry["email"]): entry for entry in self.deliveries.suppressed_addresses()}
        return RosterListing(self.roster(), suppressed)

    def enrol(self, email: str, *, admin: bool, name: str | None, added_by: str, at: str) -> Item:
        address = email.lower()
        record = self.records.get(address)
        if on_roster(record):
            raise PersonExistsError("This person is already on the roster.", current=copy.deepcopy(record))
        self.records[address] = enrolled(record, address, admin=admin, name=name, added_by=added_by, at=at)
        return copy.deepcopy(self.records[address])

    def _active(self, email: str) -> Item:
        found = self.records.get(email.lower())
        if found is None or found.get("status") == "removed":
            raise PersonNotFoundError("There is no such person.")
        return found

    def update_person(
        self, email: str, *, admin: bool | None = None, name: str | None = None, current: Item | None = None
    ) -> Item:
        record = self._active(email)
        self.records[email.lower()] = person_changed(record, admin=admin, name=name)
        return copy.deepcopy(self.records[email.lower()])

    def remove(
        self, email: str, *, by: str, at: str, crew_only: bool = False, releasing: Sequence[Release] = ()
    ) -> bool:
        record = self._active(email)
        if crew_only and record.get("admin") is True:
            return False
        if releasing:  # every slot checked before anything changes, as in one transaction
            assert self.sails is not None, "MemoryPeopleRepository(sails=...) opens the slots a removal releases"
            self.sails.release_slots(email, releasing)
        record.update(status="removed", removed_at=at, removed_by=by.lower())
        for name in ("admin", "calendar_token", "calendar_token_at", "calendar_sail_id"):
            record.pop(name, None)
        return True

    def set_nudge_kinds(self, email: str, *, enabled: bool, kinds_off: Sequence[str]) -> Item:
        record = self._existing(email)
        record.update(nudges=enabled, nudges_off=sorted(set(kinds_off)))
        return copy.deepcopy(record)

    def end_sessions(self, email: str, *, before: int) -> None:
        self._existing(email)["sessions_after"] = before

    def invited(self, email: str, sail_id: str, *, created_at: str) -> None:
        """What `person_invited` does inside an invite's transaction."""
        record = self.records.setdefault(email.lower(), {"created_at": created_at, "nudges": True})
        record.update(type="person", email=email.lower())
        record.setdefault("role", "crew")
        record.setdefault("invited_sail", sail_id)

    def people(self, emails: Iterable[str]) -> dict[str, Item]:
        wanted = {email.lower() for email in emails}
        return {email: copy.deepcopy(item) for email, item in self.records.items() if email in wanted}

    def add_person(self, email: str, role: Role, *, created_at: str) -> Item:
        address = email.lower()
        if address in self.records:
            raise PersonExistsError("This person is already on record.", current=copy.deepcopy(self.records[address]))
        self.records[address] = {
            "type": "person",
            "email": address,
            "role": role,
            "created_at": created_at,
            "nudges": True,
        }
        return copy.deepcopy(self.records[address])

    def _existing(self, email: str) -> Item:
        found = self.records.get(email.lower())
        if found is None:
            raise PersonNotFoundError("There is no such person.")
        return found

    def set_role(self, email: str, role: Role) -> Item:
        record = self._existing(email)
        record["role"] = role
        return copy.deepcopy(record)

    def upsert(self, email: str, role: Role, *, created_at: str, signed_in: bool = False) -> None:
        """What `person_upsert` does inside a transaction."""
        record = self.records.setdefault(email.lower(), {"created_at": created_at, "nudges": True})
        record.update(type="person", email=email.lower())
        if role != "guest" or "role" not in record:
            record["role"] = role
        if signed_in:
            record["last_sign_in"] = created_at

    def revoke_session(
        self,
        email: str,
        jti: str,
        expires: int,
        *,
        prune: Sequence[str] = (),
        sessions_before: int | None = None,
        no_map_yet: bool = False,
    ) -> Item | None:
        record = self.records.get(email.lower())
        if record is None:
            return None
        revoked = record.setdefault("revoked", {})
        for old in prune:
            revoked.pop(old, None)
        revoked[jti] = expires
        if sessions_before is not None:
            record["sessions_after"] = sessions_before
        return copy.deepcopy(record)

    def set_nudges(self, email: str, enabled: bool, *, created_at: str) -> None:
        record = self.records.setdefault(email.lower(), {"created_at": created_at, "role": "guest"})
        record.update(type="person", email=email.lower(), nudges=enabled)

    def set_calendar_token(self, email: str, token_hash: str, *, at: str, sail_id: str | None = None) -> None:
        record = self._existing(email)
        record.update(calendar_token=token_hash, calendar_token_at=at)
        if sail_id:
            record["calendar_sail_id"] = sail_id

    def clear_calendar_token(self, email: str) -> None:
        record = self._existing(email)
        for name in ("calendar_token", "calendar_token_at", "calendar_sail_id"):
            record.pop(name, None)

    def delete_person(self, email: str) -> None:
        self.records.pop(email.lower(), None)

    def caller_check(self, email: str, *, jti: str, issued_ms: int, role: str | None) -> Write:
        return caller_check(email, jti=jti, issued_ms=issued_ms, role=role)


class MemorySignInRepository:
    def __init__(self, people: MemoryPeopleRepository | None = None) -> None:
        self.people = people or MemoryPeopleRepository()
        self.codes: dict[str, Item] = {}  # by SHA-256 of the code
        self.pointers: dict[str, Item] = {}  # by link
        self.counts: dict[tuple[str, str], int] = {}  # by (counter, window)

    def _reached(self, limits: Sequence[Limit]) -> None:
        full = frozenset(
            limit.counter for limit in limits if self.counts.get((limit.counter, limit.window), 0) >= limit.limit
        )
        if full:
            raise LimitReachedError("Too many sign-in attempts.", counters=full)

    def issue_code(
        self,
        email: str,
        purpose: Purpose,
        valid_for: timedelta,
        *,
        replaces: str | None = None,
        limits: Sequence[Limit] = (),
        clock: Clock = system_clock,
        pointer: Item | Unread | None = UNREAD,
    ) -> str:
        self._reached(limits)
        for limit in limits:
            self.count(limit)
        code = fresh_code()
        item = code_item(email, purpose, valid_for, clock=clock)
        self.codes[hash_code(code)] = item
        if replaces:
            previous = self.pointers.get(replaces)
            if previous and int(previous["expires_at"]) > epoch(clock()) and previous["code_hash"] in self.codes:
                self.codes[previous["code_hash"]].update(used=True, revoked=True)
            self.pointers[replaces] = {"code_hash": hash_code(code), "link": replaces, "expires_at": item["expires_at"]}
        return code

    def look_up(self, code: str | None, limits: Sequence[Limit] = ()) -> CodeLookup:
        stored = self.codes.get(hash_code(code)) if code else None
        counts = {limit.counter: self.counts.get((limit.counter, limit.window), 0) for limit in limits}
        return CodeLookup(copy.deepcopy(stored), counts)

    def redeem(
        self, code: str, *, email: str, role: Role, limits: Sequence[Limit] = (), clock: Clock = system_clock
    ) -> None:
        now = clock()
        stored = self.codes.get(hash_code(code))
        usable = stored is not None and stored.get("used") is False and int(stored["expires_at"]) > epoch(now)
        self._reached(limits)
        if not usable:
            raise code_rejection(stored, now) or ServiceUnavailableError("Signing in did not go through.")
        assert stored is not None  # nosec B101 - narrows the type: `usable` says it is there
        stored.update(used=True, used_at=iso(now))
        self.people.upsert(email, role, created_at=iso(now), signed_in=role != "guest")

    def count_within(self, limits: Sequence[Limit]) -> None:
        self._reached(limits)
        for limit in limits:
            self.count(limit)

    def count(self, limit: Limit) -> None:
        key = (limit.counter, limit.window)
        self.counts[key] = self.counts.get(key, 0) + 1
