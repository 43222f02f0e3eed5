"""DynamoDB adapter: the one table, spoken to with the low-level client.

Items go in and out as plain Python dicts; (de)serialisation to DynamoDB's typed JSON
happens here only. Every read path is a GetItem, a Query or a BatchGetItem: no Scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    decide what went wrong by those names, never by an action's position."""

    def __init__(self, reasons: list[str], names: Sequence[str] = ()) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.failed: frozenset[str] = frozenset(
            name for name, reason in zip(names, reasons, strict=False) if name and reason == "ConditionalCheckFailed"
        )


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
        return {self.kind: body}


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
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                if any(r not in ("None", "ConditionalCheckFailed") for r in reasons):
                    raise ServiceUnavailableError("The database is busy; please try again.") from error
                raise TransactionCanceledError(reasons) from error
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
        kwargs: dict[str, Any] = {"TableName": self.table_name, "Item": serialize(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        self._call("put_item", **kwargs)

    def update(
        self,
        pk: str,
        sk: str,
        update: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Item:
        """Apply an update expression; returns the item as it is afterwards."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": serialize({"pk": pk, "sk": sk}),
            "UpdateExpression": update,
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        response = self._call("update_item", **kwargs)
        return deserialize(response.get("Attributes", {}))

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.table_name, "Key": serialize({"pk": pk, "sk": sk})}
        if condition:
            kwargs["ConditionExpression"] = condition
        self._call("delete_item", **kwargs)

    def transact(self, writes: Sequence[Write]) -> None:
        """All or nothing: up to 100 actions in one TransactWriteItems.

        The request token makes botocore's own retry of a transaction that did commit (a read
        timeout after the write) a no-op instead of a failed condition on our own write."""
        import uuid

        try:
            self._call(
                "transact_write_items",
                TransactItems=[w.to_request(self.table_name) for w in writes],
                ClientRequestToken=uuid.uuid4().hex,
            )
        except TransactionCanceledError as error:
            raise TransactionCanceledError(error.reasons, [w.name for w in writes]) from error

    def put_many(self, items: Sequence[Item]) -> None:
        """Unconditional bulk load (seeding, imports)."""
        pending = [{"PutRequest": {"Item": serialize(item)}} for item in items]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            request: dict[str, Any] = {self.table_name: chunk}
            while request:
                response = self._call("batch_write_item", RequestItems=request)
                request = response.get("UnprocessedItems") or {}
