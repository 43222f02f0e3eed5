"""Sign-in: magic codes (stored under their SHA-256), the pointers that keep one live code per
link, and the counters that limit how often codes are asked for and guessed.

`SignInRepository` is what the domain asks for; `DynamoSignInRepository` keeps codes at
`CODE#<sha256>/META`, pointers at `CODEREF#<link>/META` and counters at `RATE#<counter>/<window>`.
`new_code` builds the writes that store a code inside another aggregate's transaction (an invite
to a slot, a waiver link); a cancellation names `CODE_POINTER` when another code won the link.

A limit is a `Limit` (a counter, its window, its ceiling), so a new one (issue 20: per source as
well as per address) is one more element of the `limits` a method is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from quarterdeck import keys
from quarterdeck.clock import Clock, epoch, iso, system_clock
from quarterdeck.errors import CodeRejectedError, LimitReachedError, ServiceUnavailableError
from quarterdeck.magic_codes import CodeGrant, Purpose, check_code_text, code_rejection, fresh_code, hash_code
from quarterdeck.repositories import Item
from quarterdeck.repositories.person_records import Role, person_upsert
from quarterdeck.store import ConditionFailedError, Store, TransactionCanceledError, Write

CODE = "code"
CODE_POINTER = "code_pointer"  # in `failed` when another code was issued for the link meanwhile
PREVIOUS_CODE = "previous_code"
_LIMIT = "limit:"


@dataclass(frozen=True)
class Limit:
    """At most `limit` counts of `counter` (`login#<email>`, `magic#<source>`) in `window`; the
    window's counter is deleted (TTL) at `expires_at`."""

    counter: str
    window: str
    limit: int
    expires_at: int


@dataclass(frozen=True)
class CodeLookup:
    """A code as stored (None if unknown) and the current count of each limit's counter."""

    code: Item | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NewCode:
    """A code not stored yet: `writes` store it (and revoke the link's previous code) inside the
    caller's own transaction. `code` is the only copy in clear. The pointer's write is named
    `CODE_POINTER` (`pointer_index` is its position, for callers not yet deciding by name)."""

    code: str
    writes: list[Write]
    pointer_index: int | None = None


class Unread:
    """The link's pointer was not read by the caller: the repository reads it."""


UNREAD = Unread()


class SignInRepository(Protocol):
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
        """Store a new one-time code and return it (the only time it exists in clear).

        `replaces` names a link that has one live code at a time (an invite, a waiver link): the
        previous code is revoked in the same write; `pointer` is that link's pointer if the caller
        read it already (its own batch read: `code_pointer_key`), saving a read. Each of `limits`
        is counted in the same transaction; LimitReachedError (naming the counters) if one is at
        its ceiling, and then nothing is stored."""
        ...

    def count_within(self, limits: Sequence[Limit]) -> None:
        """Count each of `limits` in one write, all or none: LimitReachedError (naming the
        counters) if one is at its ceiling."""
        ...

    def look_up(self, code: str | None, limits: Sequence[Limit] = ()) -> CodeLookup:
        """The code and the limits' counts in one consistent read (none if there is nothing to read)."""
        ...

    def redeem(
        self, code: str, *, email: str, role: Role, limits: Sequence[Limit] = (), clock: Clock = system_clock
    ) -> None:
        """Use the code once and give `email` a person record with `role`, while each of `limits`
        is under its ceiling. LimitReachedError if one is not; CodeRejectedError (saying why) if
        the code was used, replaced or expired meanwhile; nothing is written then."""
        ...

    def count(self, limit: Limit) -> None:
        """Add one to the limit's counter in its window."""
        ...


def code_item(email: str, purpose: Purpose, valid_for: timedelta, *, clock: Clock) -> Item:
    """What is stored of a code (never the code itself)."""
    now = clock()
    return {
        "type": "code",
        "email": email.lower(),
        "purpose": str(purpose),
        "used": False,
        "created_at": iso(now),
        "expires_at": epoch(now + valid_for),
    }


def new_code(
    email: str,
    purpose: Purpose,
    valid_for: timedelta,
    *,
    replaces: str | None = None,
    pointer: Item | None = None,
    clock: Clock = system_clock,
) -> NewCode:
    """A fresh 256-bit code and the transaction actions that store its SHA-256 (never the code).

    With `replaces` (a link with one live code at a time), `pointer` is the link's `CODEREF#`
    item as the caller read it (in its own batch read; None if absent): the writes move the
    pointer to the new code only if it still names the code read (so of two simultaneous
    issues one is cancelled, never two live codes) and revoke that previous code."""
    code = fresh_code()
    code_hash = hash_code(code)
    pk, sk = keys.magic_code(code_hash)
    item = {"pk": pk, "sk": sk, **code_item(email, purpose, valid_for, clock=clock)}
    writes = [Write("Put", item=item, name=CODE, condition="attribute_not_exists(pk)")]
    if not replaces:
        return NewCode(code, writes)
    pointer_pk, pointer_sk = keys.code_pointer(replaces)
    previous = str((pointer or {}).get("code_hash") or "")
    moved = {"pk": pointer_pk, "sk": pointer_sk, "type": "code_ref", "code_hash": code_hash, "link": replaces}
    moved["expires_at"] = item["expires_at"]
    if previous:
        writes.append(
            Write(
                "Put", item=moved, name=CODE_POINTER, condition="code_hash = :previous", values={":previous": previous}
            )
        )
    else:
        writes.append(Write("Put", item=moved, name=CODE_POINTER, condition="attribute_not_exists(pk)"))
    if previous and int((pointer or {}).get("expires_at") or 0) > epoch(clock()):
        # A pointer still live names a code still live (TTL deletes only after expiry): revoke it.
        writes.append(
            Write(
                "Update",
                key=dict(zip(("pk", "sk"), keys.magic_code(previous), strict=True)),
                name=PREVIOUS_CODE,
                update="SET used = :true, revoked = :true",
                condition="attribute_exists(pk)",
                values={":true": True},
            )
        )
    return NewCode(code, writes, pointer_index=1)


def code_pointer_key(link: str) -> tuple[str, str]:
    """Where a link's pointer is (read in a caller's own batch read, then given to `new_code`)."""
    return keys.code_pointer(link)


def _counted(limit: Limit) -> Write:
    pk, sk = keys.rate_counter(limit.counter, limit.window)
    return Write(
        "Update",
        key={"pk": pk, "sk": sk},
        name=_LIMIT + limit.counter,
        update="ADD #count :one SET expires_at = :expires",
        condition="attribute_not_exists(#count) OR #count < :limit",
        names={"#count": "count"},
        values={":one": 1, ":limit": limit.limit, ":expires": limit.expires_at},
    )


def _under(limit: Limit) -> Write:
    pk, sk = keys.rate_counter(limit.counter, limit.window)
    return Write(
        "ConditionCheck",
        key={"pk": pk, "sk": sk},
        name=_LIMIT + limit.counter,
        condition="attribute_not_exists(#count) OR #count < :limit",
        names={"#count": "count"},
        values={":limit": limit.limit},
    )


def _reached(error: TransactionCanceledError) -> LimitReachedError | None:
    counters = frozenset(name.removeprefix(_LIMIT) for name in error.failed if name.startswith(_LIMIT))
    return LimitReachedError("Too many sign-in attempts.", counters=counters) if counters else None


class DynamoSignInRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def issue_code(
        self,
        email: str,
        purpose: Purpose,
        valid_for: timedelta,
        *,
        replaces: str | None = None,
        limits: Sequence[Limit] = (),
        clock: Clock = system_clock,
        attempts: int = 3,
        pointer: Item | Unread | None = UNREAD,
    ) -> str:
        counted = [_counted(limit) for limit in limits]
        if not replaces and not counted:  # one conditional put, no transaction
            issued = new_code(email, purpose, valid_for, clock=clock)
            self._store.put(issued.writes[0].item or {}, condition="attribute_not_exists(pk)")
            return issued.code
        for attempt in range(1, attempts + 1):
            if isinstance(pointer, Unread) or attempt > 1:
                pointer = self._store.get(*keys.code_pointer(replaces), consistent=True) if replaces else None
            issued = new_code(email, purpose, valid_for, replaces=replaces, pointer=pointer, clock=clock)
            try:
                self._store.transact([*counted, *issued.writes])
                return issued.code
            except TransactionCanceledError as error:
                reached = _reached(error)
                if reached is not None:
                    raise reached from None
                if attempt == attempts:
                    raise ServiceUnavailableError("The link could not be made; please try again.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def look_up(self, code: str | None, limits: Sequence[Limit] = ()) -> CodeLookup:
        code_at = keys.magic_code(hash_code(code)) if code else None
        counters = {keys.rate_counter(limit.counter, limit.window): limit.counter for limit in limits}
        reads = [key for key in (code_at, *counters) if key]
        if not reads:
            return CodeLookup(None)
        found = {(item["pk"], item["sk"]): item for item in self._store.batch_get(reads, consistent=True)}
        stored = found.get(code_at) if code_at else None
        counts = {counter: int(found.get(key, {}).get("count", 0)) for key, counter in counters.items()}
        return CodeLookup(_without_keys(stored), counts)

    def redeem(
        self, code: str, *, email: str, role: Role, limits: Sequence[Limit] = (), clock: Clock = system_clock
    ) -> None:
        now = clock()
        pk, sk = keys.magic_code(hash_code(code))
        use = Write(
            "Update",
            key={"pk": pk, "sk": sk},
            name=CODE,
            update="SET used = :true, used_at = :now_iso",
            condition="attribute_exists(pk) AND used = :false AND expires_at > :now",
            values={":true": True, ":false": False, ":now": epoch(now), ":now_iso": iso(now)},
        )
        try:
            person = person_upsert(email, role, clock=clock, signed_in=role != "guest")
            self._store.transact([use, person, *(_under(limit) for limit in limits)])
        except TransactionCanceledError as error:
            reached = _reached(error)
            if reached is not None:
                raise reached from None
            # The code was used (or replaced) between the read and the write: say which.
            rejected = code_rejection(self._store.get(pk, sk, consistent=True), now)
            if rejected is not None:
                raise rejected from None
            raise ServiceUnavailableError("Signing in did not go through; please open the link again.") from None

    def count_within(self, limits: Sequence[Limit]) -> None:
        if not limits:
            return
        try:
            self._store.transact([_counted(limit) for limit in limits])
        except TransactionCanceledError as error:
            reached = _reached(error)
            if reached is not None:
                raise reached from None
            raise ServiceUnavailableError("Sign-in is busy; please try again.") from None

    def count(self, limit: Limit) -> None:
        self._store.update(
            *keys.rate_counter(limit.counter, limit.window),
            "ADD #count :one SET expires_at = :expires",
            names={"#count": "count"},
            values={":one": 1, ":expires": limit.expires_at},
        )


def _without_keys(item: Item | None) -> Item | None:
    return None if item is None else {k: v for k, v in item.items() if k not in ("pk", "sk")}


# --- until the modules that issue codes take a SignInRepository (guests, nudges, tests) ---------
def issue_code(
    store: Store,
    email: str,
    purpose: Purpose,
    valid_for: timedelta,
    *,
    replaces: str | None = None,
    clock: Clock = system_clock,
    attempts: int = 3,
) -> str:
    return DynamoSignInRepository(store).issue_code(
        email, purpose, valid_for, replaces=replaces, clock=clock, attempts=attempts
    )


def consume_code(store: Store, code: str, *, clock: Clock = system_clock) -> CodeGrant:
    """Use a code once, outside any sign-in (tests of the links other modules mail)."""
    check_code_text(code)
    now = clock()
    try:
        item = store.update(
            *keys.magic_code(hash_code(code)),
            "SET used = :true, used_at = :now_iso",
            condition="attribute_exists(pk) AND used = :false AND expires_at > :now",
            values={":true": True, ":false": False, ":now": epoch(now), ":now_iso": iso(now)},
        )
    except ConditionFailedError as lost:
        rejected = code_rejection(lost.current, now)
        raise rejected or CodeRejectedError("This link has expired. Ask for a new one.", field="code") from None
    return CodeGrant(email=item["email"], purpose=Purpose.parse(item["purpose"]))
