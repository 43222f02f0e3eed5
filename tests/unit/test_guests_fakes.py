"""In-memory fakes of our interfaces for the guests tests (Store, MailSender, DocumentStore),
and tests that the fake store's expressions behave as DynamoDB's do for the ones guests use.

The fake evaluates the condition and update expressions the guests module writes
(attribute_exists / attribute_not_exists, = <> < <= > >=, AND / OR / NOT, parentheses;
SET with `+`/`-` and if_not_exists, REMOVE), and a transaction applies all or nothing and
reports one reason per action, like TransactWriteItems.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.store import ConditionFailedError, Item, TransactionCanceledError, Write

_TOKEN = re.compile(r"\s*(<>|<=|>=|[=<>(),+-]|[#:]?[A-Za-z_][A-Za-z0-9_]*)")
_MISSING = object()


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        assert match, f"cannot read {expression[position:]!r}"
        tokens.append(match.group(1))
        position = match.end()
        while position < len(expression) and expression[position].isspace():
            position += 1
    return tokens


class _Reader:
    def __init__(self, expression: str, item: Item | None, names: dict[str, str], values: dict[str, Any]) -> None:
        self.tokens = _tokens(expression)
        self.at = 0
        self.item = item or {}
        self.names = names
        self.values = values

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.at]
        assert expected is None or token.upper() == expected, (token, expected)
        self.at += 1
        return token

    def name(self, token: str) -> str:
        return self.names[token] if token.startswith("#") else token

    def operand(self) -> Any:
        token = self.take()
        if token.startswith(":"):
            return self.values[token]
        if token.lower() == "if_not_exists":
            self.take("(")
            path = self.name(self.take())
            self.take(",")
            default = self.operand()
            self.take(")")
            return self.item.get(path, default)
        return self.item.get(self.name(token), _MISSING)

    # condition := term (OR term)*
    def condition(self) -> bool:
        result = self.term()
        while (self.peek() or "").upper() == "OR":
            self.take()
            right = self.term()
            result = result or right
        return result

    def term(self) -> bool:
        result = self.factor()
        while (self.peek() or "").upper() == "AND":
            self.take()
            right = self.factor()
            result = result and right
        return result

    def factor(self) -> bool:
        token = self.peek() or ""
        if token.upper() == "NOT":
            self.take()
            return not self.factor()
        if token == "(":
            self.take()
            result = self.condition()
            self.take(")")
            return result
        if token.lower() in ("attribute_exists", "attribute_not_exists"):
            self.take()
            self.take("(")
            present = self.name(self.take()) in self.item
            self.take(")")
            return present if token.lower() == "attribute_exists" else not present
        left = self.operand()
        operator = self.take()
        right = self.operand()
        if left is _MISSING or right is _MISSING:
            return operator == "<>"
        return {
            "=": left == right,
            "<>": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[operator]

    def value(self) -> Any:
        left = self.operand()
        while self.peek() in ("+", "-"):
            operator = self.take()
            right = self.operand()
            left = left + right if operator == "+" else left - right
        return left


def holds(condition: str | None, item: Item | None, names: dict[str, str], values: dict[str, Any]) -> bool:
    if not condition:
        return True
    reader = _Reader(condition, item, names, values)
    result = reader.condition()
    assert reader.peek() is None, f"unread: {reader.tokens[reader.at :]}"
    return result


def apply_update(item: Item, update: str, names: dict[str, str], values: dict[str, Any]) -> Item:
    """SET a = <value>, ... [REMOVE b, ...] on a copy of `item`."""
    result = copy.deepcopy(item)
    clauses = re.split(r"\b(SET|REMOVE)\b", update)
    for keyword, body in zip(clauses[1::2], clauses[2::2], strict=True):
        parts = [part.strip() for part in body.split(",")]
        if keyword == "REMOVE":
            for part in parts:
                result.pop(names.get(part, part), None)
            continue
        # a SET list may hold if_not_exists(a, :b): rejoin the pieces that split inside parentheses
        assignments: list[str] = []
        for part in parts:
            if assignments and assignments[-1].count("(") > assignments[-1].count(")"):
                assignments[-1] += ", " + part
            else:
                assignments.append(part)
        evaluated = []
        for assignment in assignments:
            target, _, expression = assignment.partition("=")
            reader = _Reader(expression, item, names, values)
            evaluated.append((names.get(target.strip(), target.strip()), reader.value()))
        for target, value in evaluated:
            result[target] = copy.deepcopy(value)
    return result


class FakeStore:
    """The parts of quarterdeck.store.Store the guests module uses, in memory."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        self.calls: list[str] = []
        self.fail_next: dict[str, Exception] = {}

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if operation in self.fail_next:
            raise self.fail_next.pop(operation)

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        self._call("get")
        found = self.items.get((pk, sk))
        return copy.deepcopy(found) if found else None

    def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Item]:
        self._call("batch_get")
        return [copy.deepcopy(self.items[key]) for key in keys if key in self.items]

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int | None = None,
        **_: Any,
    ) -> list[Item]:
        self._call("query")
        if index:  # GSI1: only the items carrying its key (a sparse index), by its sort key
            listed = sorted((i for i in self.items.values() if "gsi1pk" in i), key=lambda i: str(i.get("gsi1sk")))
            low, high = sk_between or ("", "\uffff")
            found = [
                i
                for i in listed
                if i["gsi1pk"] == pk
                and str(i.get("gsi1sk")).startswith(sk_prefix or "")
                and low <= str(i.get("gsi1sk")) <= high
            ]
        else:
            found = [i for (p, s), i in sorted(self.items.items()) if p == pk and s.startswith(sk_prefix or "")]
        return copy.deepcopy(found[:limit])

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self._call("put")
        key = (item["pk"], item["sk"])
        current = self.items.get(key)
        if not holds(condition, current, names or {}, values or {}):
            raise ConditionFailedError(copy.deepcopy(current))
        self.items[key] = copy.deepcopy(item)

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
        self._call("update")
        current = self.items.get((pk, sk))
        if not holds(condition, current, names or {}, values or {}):
            raise ConditionFailedError(copy.deepcopy(current))
        updated = apply_update(current or {"pk": pk, "sk": sk}, update, names or {}, values or {})
        self.items[(pk, sk)] = updated
        return copy.deepcopy(updated)

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> None:
        self._call("delete")
        self.items.pop((pk, sk), None)

    def transact(self, writes: Sequence[Write]) -> None:
        self._call("transact")
        reasons, results = [], []
        for write in writes:
            key = (write.item["pk"], write.item["sk"]) if write.kind == "Put" and write.item else None
            if key is None:
                assert write.key is not None
                key = (write.key["pk"], write.key["sk"])
            current = self.items.get(key)
            ok = holds(write.condition, current, write.names, write.values)
            reasons.append("None" if ok else "ConditionalCheckFailed")
            if write.kind == "Put":
                results.append((key, copy.deepcopy(write.item)))
            elif write.kind == "Update":
                assert write.update
                results.append(
                    (key, apply_update(current or dict(write.key or {}), write.update, write.names, write.values))
                )
            elif write.kind == "Delete":
                results.append((key, None))
        if any(reason != "None" for reason in reasons):
            raise TransactionCanceledError(reasons)
        for key, item in results:
            if item is None:
                self.items.pop(key, None)
            else:
                self.items[key] = item


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failures = 0  # how many next sends fail

    def send(self, email: OutgoingEmail) -> str:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailableError("Email could not be sent; please try again.")
        self.sent.append(email)
        return f"message-{len(self.sent)}"


class FakeDocuments:
    """A bucket that never overwrites (like PutObject with If-None-Match: *)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.failures = 0  # how many next puts fail
        self.head_failures = 0  # how many next lookups fail
        self.heads = 0  # lookups made

    def put_new(
        self, key: str, body: bytes, *, content_type: str = "text/plain; charset=utf-8", metadata: Any = None
    ) -> bool:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailableError("The document store could not be reached; please try again.")
        if key in self.objects:
            return False
        self.objects[key] = body
        self.metadata[key] = dict(metadata or {})
        return True

    def read(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def head(self, key: str) -> dict[str, str] | None:
        self.heads += 1
        if self.head_failures:
            self.head_failures -= 1
            raise ServiceUnavailableError("The document store could not be reached; please try again.")
        return dict(self.metadata[key]) if key in self.objects else None


class FixedClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# --- the fake's own tests: it must refuse what DynamoDB refuses ------------------------------
@pytest.mark.parametrize(
    ("condition", "item", "expected"),
    [
        ("attribute_not_exists(pk)", None, True),
        ("attribute_not_exists(pk)", {"pk": "A"}, False),
        ("attribute_exists(pk) AND #s = :on", {"pk": "A", "status": "on"}, True),
        ("attribute_exists(pk) AND #s = :on", {"pk": "A", "status": "off"}, False),
        ("attribute_exists(pk) AND #s <> :off", {"pk": "A"}, True),  # missing <> value is true
        ("attribute_not_exists(n) OR n <= :room", {"n": 4}, True),
        ("attribute_not_exists(n) OR n <= :room", {"n": 5}, False),
        ("attribute_exists(pk) AND (attribute_not_exists(n) OR n <= :room)", {"pk": "A", "n": 6}, False),
        ("NOT attribute_exists(n)", {"n": 1}, False),
    ],
)
def test_fake_conditions(condition: str, item: Item | None, expected: bool) -> None:
    assert holds(condition, item, {"#s": "status"}, {":on": "on", ":off": "off", ":room": 4}) is expected


def test_fake_updates_add_with_default_and_remove() -> None:
    item = {"pk": "A", "lease": 3}
    updated = apply_update(
        item,
        "SET n = if_not_exists(n, :zero) + :two, #s = :on REMOVE lease",
        {"#s": "status"},
        {":zero": 0, ":two": 2, ":on": "on"},
    )
    assert updated == {"pk": "A", "n": 2, "status": "on"}
    assert apply_update(updated, "SET n = if_not_exists(n, :zero) + :two", {}, {":zero": 0, ":two": 2})["n"] == 4


def test_fake_transaction_is_all_or_nothing() -> None:
    store = FakeStore()
    store.items[("A", "1")] = {"pk": "A", "sk": "1"}
    with pytest.raises(TransactionCanceledError) as lost:
        store.transact(
            [
                Write("Put", item={"pk": "A", "sk": "2"}, condition="attribute_not_exists(pk)"),
                Write("Put", item={"pk": "A", "sk": "1", "x": 1}, condition="attribute_not_exists(pk)"),
            ]
        )
    assert lost.value.reasons == ["None", "ConditionalCheckFailed"]
    assert ("A", "2") not in store.items
