"""DynamoDB adapter: the one table, spoken to with the low-level client.

Items go in and out as plain Python dicts; (de)serialisation to DynamoDB's typed JSON
happens here only. Every read path is a GetItem, a Query or a BatchGetItem: no Scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from quarterdeck.clients import client
from quarterdeck.config import get_settings
from quarterdeck.errors import ServiceUnavailableError

Item = dict[str, Any]

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


class ConditionFailedError(Exception):
    """A conditional write lost: the item was not in the expected state."""

    def __init__(self, current: Item | None = None) -> None:
        super().__init__("condition failed")
        self.current = current


class TransactionCanceledError(Exception):
    """A transaction was cancelled; `reasons` holds one code per action ('None' where it passed)
    and `failed` the names (`Write.name`) of the actions whose condition failed: repositories
    decide what went wrong by those names, never by an action's position. `items` holds, per
    action, the item as it was when its condition failed, where the action asked for it."""

    def __init__(self, reasons: list[str], names: Sequence[str] = (), items: Sequence[Item | None] = ()) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.items: list[Item | None] = list(items) or [None] * len(reasons)
        self.failed: frozenset[str] = frozenset(
            name for name, reason in zip(names, reasons, strict=False) if name and reason == "ConditionalCheckFailed"
        )
        self._names = list(names)

    def item_of(self, name: str) -> Item | None:
        """The item as it was of the action named `name`, if its condition failed and it asked."""
        return next((item for n, item in zip(self._names, self.items, strict=False) if n == name), None)


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    ser = _serializer()
    return {k: ser.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    des = _deserializer()
    return {k: _from_dynamo(des.deserialize(v)) for k, v in raw.items()}


def _values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return serialize(values) if values else None


@dataclass
class Write:
    """One action of a transaction: put, update, delete or condition check."""

    kind: str  # "Put" | "Update" | "Delete" | "ConditionCheck"
    key: Item | None = None
    name: str = ""  # what this action stands for (`slot`, `holder`, `sail`): in `failed` when its condition fails
    item: Item | None = None
    update: str | None = None
    condition: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    return_old: bool = False  # a failed condition answers with the item as it was (`items`)

    @property
    def target(self) -> tuple[Any, Any]:
        """The (pk, sk) this action writes or checks."""
        keyed = self.item if self.kind == "Put" else self.key
        assert keyed is not None  # nosec B101 - narrows the type: every action is built with its item or key
        return keyed["pk"], keyed["sk"]

    def to_request(self, table: str) -> dict[str, Any]:
        body: dict[str, Any] = {"TableName": table}
        if self.kind == "Put":
            assert self.item is not None  # nosec B101 - narrows the type: a Put is built with its item
            body["Item"] = serialize(self.item)
        else:
            assert self.key is not None  # nosec B101 - narrows the type: other writes are built with a key
            body["Key"] = serialize(self.key)
        if self.update:
            body["UpdateExpression"] = self.update
        if self.condition:
            body["ConditionExpression"] = self.condition
        if self.names:
            body["ExpressionAttributeNames"] = self.names
        if self.values:
            body["ExpressionAttributeValues"] = serialize(self.values)
        if self.return_old and self.condition:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {self.kind: body}


TRANSACTION_LIMIT = 100  # actions in one TransactWriteItems (DynamoDB's limit)
GUARD_ROOM = 1  # of them, kept for a request's guard (`guarded`)
TRANSACTION_ROOM = TRANSACTION_LIMIT - GUARD_ROOM  # the most actions a repository packs in one


@dataclass(frozen=True)
class Guard:
    """A condition every write of one request carries: the caller may still act (issue 20).

    `check` is a ConditionCheck on one item (the caller's person record). A single write becomes
    a TransactWriteItems of the write and the check, a transaction gets the check appended, and
    a write to the checked item itself takes the check into its own condition (a transaction
    holds one action per item). `refusal` says, from the checked item as it was when a condition
    failed (None: there is none), which error the request gets, or None if the item still lets
    the caller act (then the write's own condition is what failed)."""

    check: Write
    refusal: Callable[[Item | None], Exception | None]

    def refused(self, current: Item | None) -> Exception:
        """The error for a failed `check`."""
        return self.refusal(current) or ServiceUnavailableError("Your account changed just now; please try again.")

    def merged_into(self, write: Write) -> Write:
        """`write` (to the checked item) with the check's condition joined to its own."""
        clash = (set(write.names) & set(self.check.names)) | (set(write.values) & set(self.check.values))
        if clash:  # the guard's placeholders are its own (`#qdg_`, `:qdg_`): a clash is a bug
            raise ValueError(f"expression placeholders used twice: {sorted(clash)}")
        own = write.condition
        condition = f"({own}) AND ({self.check.condition})" if own else self.check.condition
        return replace(
            write,
            condition=condition,
            names={**write.names, **self.check.names},
            values={**write.values, **self.check.values},
            return_old=True,
        )


_guard: ContextVar[Guard | None] = ContextVar("quarterdeck_write_guard", default=None)


@contextmanager
def guarded(guard: Guard | None) -> Iterator[None]:
    """Every write made inside (in this thread or task) carries `guard`; reset on the way out
    whatever happens, so it never reaches the next request a container or a thread serves."""
    token = _guard.set(guard)
    try:
        yield
    finally:
        _guard.reset(token)


def _lift(guard: Guard) -> None:
    """A write that passed the guard changed the guarded record itself (a sign-out, an admin
    removing or demoting themselves): the request was admitted by the record as it was, and its
    later writes are not refused for what it has just done."""
    if _guard.get() is guard:
        _guard.set(None)  # the `guarded` block's reset still restores what was before it


def unguarded() -> Any:
    """Writes made inside carry no guard (undoing a half-done change must not be refused)."""
    return guarded(None)


class Store:
    """The table. Domain modules take a Store so tests can point it anywhere."""

    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or get_settings().table_name

    @property
    def _client(self) -> Any:
        return client("dynamodb")

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = getattr(self._client, operation)(**kwargs)
            return response
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raw = error.response.get("Item")
                raise ConditionFailedError(deserialize(raw) if raw else None) from error
            if code == "TransactionCanceledException":
                cancelled = error.response.get("CancellationReasons", [])
                reasons = [r.get("Code", "None") for r in cancelled]
                if any(r not in ("None", "ConditionalCheckFailed") for r in reasons):
                    raise ServiceUnavailableError("The database is busy; please try again.") from error
                items = [deserialize(r["Item"]) if r.get("Item") else None for r in cancelled]
                raise TransactionCanceledError(reasons, items=items) from error
            if code in _RETRYABLE or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                raise ServiceUnavailableError("The database is busy; please try again.") from error
            raise
        except BotoCoreError as error:  # timeouts, connection errors after botocore's own retries
            raise ServiceUnavailableError("The database could not be reached; please try again.") from error

    # --- reads -----------------------------------------------------------------
    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        response = self._call(
            "get_item", TableName=self.table_name, Key=serialize({"pk": pk, "sk": sk}), ConsistentRead=consistent
        )
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def batch_get(self, keys: Sequence[tuple[str, str]], *, consistent: bool = False) -> list[Item]:
        found: list[Item] = []
        pending = [serialize({"pk": pk, "sk": sk}) for pk, sk in keys]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self.table_name: {"Keys": chunk, "ConsistentRead": consistent}}
            while request:
                response = self._call("batch_get_item", RequestItems=request)
                found.extend(deserialize(raw) for raw in response.get("Responses", {}).get(self.table_name, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    def query(self, pk: str, **options: Any) -> list[Item]:
        """All items of one partition (of the table or of GSI1); options as `iter_query`."""
        return list(self.iter_query(pk, **options))

    def iter_query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        sk_before: str | None = None,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        consistent: bool = False,
    ) -> Iterator[Item]:
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": pk}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = sk_prefix
        elif sk_between is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            names["#sk"] = sk_name
            values[":lo"], values[":hi"] = sk_between
        elif sk_before is not None:  # the partition's head, up to (not including) sk_before
            condition += " AND #sk < :before"
            names["#sk"] = sk_name
            values[":before"] = sk_before
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        returned = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - returned
            response = self._call("query", **kwargs)
            for raw in response.get("Items", []):
                returned += 1
                yield deserialize(raw)
            last = response.get("LastEvaluatedKey")
            if not last or (limit is not None and returned >= limit):
                return
            kwargs["ExclusiveStartKey"] = last

    # --- writes ----------------------------------------------------------------
    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self._write(
            Write("Put", item=item, condition=condition, names=names or {}, values=values or {}, return_old=True)
        )

    def update(
        self,
        pk: str,
        sk: str,
        update: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        returning: bool = True,
    ) -> Item:
        """Apply an update expression; returns the item as it is afterwards (`returning=False`:
        an empty dict, which spares a guarded write its read back: see `_write`)."""
        key = {"pk": pk, "sk": sk}
        write = Write("Update", key=key, update=update, condition=condition, names=names or {}, values=values or {})
        return self._write(replace(write, return_old=True), returning=returning)

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> None:
        self._write(Write("Delete", key={"pk": pk, "sk": sk}, condition=condition))

    def _single(self, write: Write, *, returning: bool = False) -> Item:
        """One PutItem, UpdateItem or DeleteItem; the item afterwards when `returning` (updates)."""
        operation = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[write.kind]
        body = write.to_request(self.table_name)[write.kind]
        if returning:
            body["ReturnValues"] = "ALL_NEW"
        response = self._call(operation, **body)
        return deserialize(response.get("Attributes", {}))

    def _write(self, write: Write, *, returning: bool = False) -> Item:
        """One write, carrying the request's guard if there is one (`guarded`): on the guarded item
        itself one call with both conditions; elsewhere a TransactWriteItems of the write and the
        check. A transaction returns no values, so an update that wants the item afterwards reads
        it back (consistently) in that case. A failed condition of the write's own is still a
        ConditionFailedError carrying the item as it was (put, update)."""
        guard = _guard.get()
        if guard is None:
            return self._single(write, returning=returning)
        if write.target == guard.check.target:
            try:
                done = self._single(guard.merged_into(write), returning=returning)
            except ConditionFailedError as lost:  # the guard's condition, or the write's own?
                refused = guard.refusal(lost.current) if write.condition else guard.refused(lost.current)
                raise (refused or ConditionFailedError(lost.current if write.return_old else None)) from None
            _lift(guard)
            return done
        try:
            self._transact([write, guard.check])
        except TransactionCanceledError as lost:
            if guard.check.name in lost.failed:
                raise guard.refused(lost.items[1]) from None
            raise ConditionFailedError(lost.items[0] if write.return_old else None) from None
        if not returning:
            return {}
        return self.get(*write.target, consistent=True) or {}

    def transact(self, writes: Sequence[Write]) -> None:
        """All or nothing: up to 100 actions in one TransactWriteItems (99 while a request's guard
        is set: its check takes the last place; with no room left the checked item is read
        consistently just before instead, and a change in between is not seen).

        The request token makes botocore's own retry of a transaction that did commit (a read
        timeout after the write) a no-op instead of a failed condition on our own write."""
        guard = _guard.get()
        if guard is None:
            self._transact(writes)
            return
        actions = list(writes)
        at = next((n for n, write in enumerate(writes) if write.target == guard.check.target), None)
        if at is not None:  # one action per item: the check joins that action's condition
            actions[at] = guard.merged_into(writes[at])
        elif len(writes) < TRANSACTION_LIMIT:
            actions.append(guard.check)
        else:
            refused = guard.refusal(self.get(*guard.check.target, consistent=True))
            if refused is not None:
                raise refused
            self._transact(writes)
            return
        checked = len(writes) if at is None else at
        try:
            self._transact(actions)
            if at is not None:
                _lift(guard)
        except TransactionCanceledError as lost:
            if lost.reasons[checked] == "ConditionalCheckFailed":
                current = lost.items[checked]
                own = at is not None and writes[at].condition  # then the action's own condition may be it
                refused = guard.refusal(current) if own else guard.refused(current)
                if refused is not None:
                    raise refused from None
            count = len(writes)  # the repository sees its own actions only
            items = [item if write.return_old else None for write, item in zip(writes, lost.items, strict=False)]
            raise TransactionCanceledError(lost.reasons[:count], [w.name for w in writes], items) from None

    def _transact(self, writes: Sequence[Write]) -> None:
        import uuid

        try:
            self._call(
                "transact_write_items",
                TransactItems=[w.to_request(self.table_name) for w in writes],
                ClientRequestToken=uuid.uuid4().hex,
            )
        except TransactionCanceledError as error:
            raise TransactionCanceledError(error.reasons, [w.name for w in writes], error.items) from error

    def put_many(self, items: Sequence[Item]) -> None:
        """Unconditional bulk load (seeding, imports)."""
        pending = [{"PutRequest": {"Item": serialize(item)}} for item in items]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            request: dict[str, Any] = {self.table_name: chunk}
            while request:
                response = self._call("batch_write_item", RequestItems=request)
                request = response.get("UnprocessedItems") or {}
