"""In-memory fakes of our interfaces for the unit tests: one of each, shared by every test module.

- `FakeStore`: `quarterdeck.store.Store` over a dict. It evaluates DynamoDB's condition and update
  expressions (attribute_exists / attribute_not_exists / begins_with / contains, = <> < <= > >=,
  BETWEEN, IN, AND / OR / NOT, parentheses; SET with `+`/`-`, if_not_exists and list_append,
  REMOVE, ADD and DELETE on numbers and sets, document paths `a.b`), answers Queries of the
  table and of the sparse index `gsi1` (sk_prefix / sk_between / forward / limit), applies a
  transaction all or nothing with one cancellation reason per action, and refuses with
  `StoreRefusedError` what DynamoDB answers with a ValidationException (undefined or unused
  expression names/values, reserved words, key attributes in an update, two actions on one item
  in a transaction, empty sets, ...). Items come back the way the real adapter returns them:
  copies, sets as (sorted) lists, whole floats as ints, no None attributes.
  Every call is recorded in `calls` (one entry per round trip: "get", "batch_get", "query",
  "put", "update", "delete", "transact", "batch_write"); `queries` and `read` record what the
  Queries asked and which items they read. Faults: `fail_next[operation] = error` raises instead
  of doing the next such call; `lose_answer_next[operation] = error` does it, then raises (the
  write landed but its answer was lost); `before_next[operation] = hook` runs `hook()` first (a
  competing writer landing between our read and our write).
- `FakeMailer`: records `OutgoingEmail`s; `failures` next sends fail, or all if `failing`.
- `FakeDocuments`: a bucket that never overwrites, with failure counters.
- `FixedClock`: a clock the test moves by hand.

The fake's own tests are in test_fakes.py.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.mail import OutgoingEmail
from quarterdeck.store import ConditionFailedError, Item, TransactionCanceledError, Write

INDEXES = {"gsi1": ("gsi1pk", "gsi1sk")}
KEY_NAMES = ("pk", "sk")
_MISSING: Any = object()
_TOKEN = re.compile(r"\s*(<>|<=|>=|[=<>(),+\-]|:[A-Za-z0-9_]+|#?[A-Za-z_][A-Za-z0-9_]*(?:\.#?[A-Za-z_][A-Za-z0-9_]*)*)")
_UPDATE_VERBS = ("SET", "REMOVE", "ADD", "DELETE")


class StoreRefusedError(Exception):
    """What DynamoDB answers with a ValidationException: the request itself is wrong."""


def busy() -> ServiceUnavailableError:
    """The error the real Store raises for a throttled or conflicting request."""
    return ServiceUnavailableError("The database is busy; please try again.")


def _reserved_words() -> frozenset[str]:
    """DynamoDB's reserved words (a bare attribute name may not be one), from moto's copy of the list."""
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    listed = Path(next(iter(spec.submodule_search_locations))) / "dynamodb" / "parsing" / "reserved_keywords.txt"
    return frozenset(listed.read_text().split()) if listed.exists() else frozenset()


RESERVED = _reserved_words()


# --- values: what goes in and what comes out, as the real adapter does it -------------------
def _stored(value: Any) -> Any:
    """A value as DynamoDB keeps it: no None in maps, whole floats are ints, no empty sets."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    if isinstance(value, set | frozenset):
        if not value:
            raise StoreRefusedError("One or more parameter values were invalid: An string set may not be empty")
        if len({_kind(v) for v in value}) > 1 or _kind(next(iter(value))) not in ("N", "S", "B"):
            raise StoreRefusedError("One or more parameter values were invalid: a set holds strings, numbers or bytes")
        return {_stored(v) for v in value}
    return value


def _read(value: Any) -> Any:
    """A value as the real adapter returns it: a copy, sets as lists."""
    if isinstance(value, dict):
        return {k: _read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_read(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(value)
    return copy.deepcopy(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int | float | Decimal):
        return "N"
    if isinstance(value, str):
        return "S"
    if isinstance(value, bytes):
        return "B"
    if isinstance(value, set | frozenset):
        return "SET"
    if isinstance(value, list):
        return "L"
    if isinstance(value, dict):
        return "M"
    return "NULL" if value is None else type(value).__name__


def _compare(operator: str, left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return operator == "<>"
    same = _kind(left) == _kind(right)
    if operator in ("=", "<>"):
        equal = same and left == right
        return equal if operator == "=" else not equal
    if not same or _kind(left) not in ("N", "S", "B"):
        return False  # DynamoDB: an ordering of different types is simply false
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def _lookup(item: Item | None, path: tuple[str, ...]) -> Any:
    found: Any = item or {}
    for part in path:
        if not isinstance(found, dict) or part not in found:
            return _MISSING
        found = found[part]
    return found


# --- expressions -----------------------------------------------------------------------------
def _tokens(expression: str) -> list[str]:
    tokens, position, expression = [], 0, expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if not match:
            raise StoreRefusedError(f"Invalid expression: Syntax error; token: {expression[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
        while position < len(expression) and expression[position].isspace():
            position += 1
    return tokens


class _Expressions:
    """The names and values of one request, and which of them its expressions used."""

    def __init__(self, names: dict[str, str] | None, values: dict[str, Any] | None) -> None:
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def path(self, token: str) -> tuple[str, ...]:
        parts = []
        for part in token.split("."):
            if part.startswith("#"):
                if part not in self.names:
                    raise StoreRefusedError(
                        f"An expression attribute name used in the document path is not defined: {part}"
                    )
                self.used_names.add(part)
                parts.append(self.names[part])
            elif part.upper() in RESERVED:
                raise StoreRefusedError(f"Attribute name is a reserved keyword; reserved keyword: {part}")
            else:
                parts.append(part)
        return tuple(parts)

    def value(self, token: str) -> Any:
        if self.values.get(token) is None:  # the real Store drops None values from the request
            raise StoreRefusedError(f"An expression attribute value used in expression is not defined: {token}")
        self.used_values.add(token)
        return _stored(self.values[token])

    def all_used(self) -> None:
        if unused := sorted(set(self.names) - self.used_names):
            raise StoreRefusedError(f"Value provided in ExpressionAttributeNames unused in expressions: keys: {unused}")
        if unused := sorted(set(self.values) - self.used_values):
            raise StoreRefusedError(
                f"Value provided in ExpressionAttributeValues unused in expressions: keys: {unused}"
            )


class _Reader:
    """Reads one expression against one item (None: the item does not exist)."""

    def __init__(self, expression: str, item: Item | None, context: _Expressions) -> None:
        self.tokens = _tokens(expression)
        self.at = 0
        self.item = item
        self.context = context

    def peek(self, ahead: int = 0) -> str:
        at = self.at + ahead
        return self.tokens[at] if at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token.upper() != expected):
            raise StoreRefusedError(f"Invalid expression: expected {expected or 'more'}, found {token or 'the end'}")
        self.at += 1
        return token

    def done(self) -> None:
        if self.peek():
            raise StoreRefusedError(f"Invalid expression: unexpected {' '.join(self.tokens[self.at :])}")

    # conditions: condition := term (OR term)*, term := factor (AND factor)*
    def condition(self) -> bool:
        result = self.term()
        while self.peek().upper() == "OR":
            self.take()
            result = self.term() or result
        return result

    def term(self) -> bool:
        result = self.factor()
        while self.peek().upper() == "AND":
            self.take()
            result = self.factor() and result
        return result

    def factor(self) -> bool:
        token = self.peek()
        if token.upper() == "NOT":
            self.take()
            return not self.factor()
        if token == "(":
            self.take()
            result = self.condition()
            self.take(")")
            return result
        if token in ("attribute_exists", "attribute_not_exists"):
            self.take()
            self.take("(")
            present = _lookup(self.item, self.context.path(self.take())) is not _MISSING
            self.take(")")
            return present if token == "attribute_exists" else not present
        if token in ("begins_with", "contains"):
            self.take()
            self.take("(")
            whole = self.operand()
            self.take(",")
            part = self.operand()
            self.take(")")
            if token == "begins_with":
                return isinstance(whole, str | bytes) and _kind(whole) == _kind(part) and whole.startswith(part)
            if isinstance(whole, str):
                return isinstance(part, str) and part in whole
            return isinstance(whole, set | list) and part in whole
        left = self.operand()
        operator = self.take().upper()
        if operator == "BETWEEN":
            low = self.operand()
            self.take("AND")
            high = self.operand()
            return _compare(">=", left, low) and _compare("<=", left, high)
        if operator == "IN":
            self.take("(")
            choices = [self.operand()]
            while self.peek() == ",":
                self.take()
                choices.append(self.operand())
            self.take(")")
            return any(_compare("=", left, choice) for choice in choices)
        if operator not in ("=", "<>", "<", "<=", ">", ">="):
            raise StoreRefusedError(f"Invalid ConditionExpression: unexpected {operator}")
        return _compare(operator, left, self.operand())

    def operand(self) -> Any:
        token = self.take()
        if token.startswith(":"):
            return self.context.value(token)
        if token == "if_not_exists":
            self.take("(")
            found = _lookup(self.item, self.context.path(self.take()))
            self.take(",")
            default = self.operand()
            self.take(")")
            return default if found is _MISSING else found
        if token == "list_append":
            self.take("(")
            first = self.operand()
            self.take(",")
            second = self.operand()
            self.take(")")
            if not isinstance(first, list) or not isinstance(second, list):
                raise StoreRefusedError("An operand in the update expression has an incorrect data type")
            return [*first, *second]
        if token in ("(", ")", ",", "+", "-", "=", "<>", "<", "<=", ">", ">=") or token.upper() in ("AND", "OR", "NOT"):
            raise StoreRefusedError(f"Invalid expression: unexpected {token}")
        return _lookup(self.item, self.context.path(token))

    # updates: a SET value := operand ((+|-) operand)?
    def set_value(self) -> Any:
        left = self.known(self.operand())
        if self.peek() in ("+", "-"):
            operator = self.take()
            right = self.known(self.operand())
            if _kind(left) != "N" or _kind(right) != "N":
                raise StoreRefusedError("An operand in the update expression has an incorrect data type")
            left = left + right if operator == "+" else left - right
        return left

    @staticmethod
    def known(value: Any) -> Any:
        if value is _MISSING:
            raise StoreRefusedError("The provided expression refers to an attribute that does not exist in the item")
        return value


def holds(condition: str | None, item: Item | None, names: dict[str, str], values: dict[str, Any]) -> bool:
    """Whether `condition` holds for `item` (None: no such item), as a ConditionExpression."""
    return _holds(condition, item, _Expressions(names, values))


def _holds(condition: str | None, item: Item | None, context: _Expressions) -> bool:
    if condition is None:
        return True
    reader = _Reader(condition, item, context)
    result = reader.condition()
    reader.done()
    return result


def apply_update(item: Item, update: str, names: dict[str, str], values: dict[str, Any]) -> Item:
    """`item` after the UpdateExpression `update` (a new dict; `item` is left as it was)."""
    return _apply(item, update, _Expressions(names, values))


def _apply(item: Item, update: str, context: _Expressions) -> Item:
    reader = _Reader(update, item, context)
    actions: list[tuple[str, tuple[str, ...], Any]] = []
    seen_verbs: set[str] = set()
    while reader.peek():
        verb = reader.take().upper()
        if verb not in _UPDATE_VERBS or verb in seen_verbs:
            raise StoreRefusedError(f"Invalid UpdateExpression: unexpected or repeated {verb}")
        seen_verbs.add(verb)
        while True:
            path = context.path(reader.take())
            if verb == "SET":
                reader.take("=")
                actions.append((verb, path, reader.set_value()))
            elif verb == "REMOVE":
                actions.append((verb, path, None))
            else:
                actions.append((verb, path, context.value(reader.take())))
            if reader.peek() != ",":
                break
            reader.take()
    if not actions:
        raise StoreRefusedError("Invalid UpdateExpression: The expression can not be empty")
    paths = [path for _, path, _ in actions]
    for path in paths:
        if path[0] in KEY_NAMES:
            raise StoreRefusedError(f"Cannot update attribute {path[0]}. This attribute is part of the key")
        if any(other != path and other[: len(path)] == path for other in paths) or paths.count(path) > 1:
            raise StoreRefusedError(f"Invalid UpdateExpression: Two document paths overlap with each other: {path}")

    result = copy.deepcopy(item)
    for verb, path, value in actions:
        parent = _lookup(result, path[:-1])
        if not isinstance(parent, dict):
            raise StoreRefusedError("The document path provided in the update expression is invalid for update")
        name, current = path[-1], parent.get(path[-1], _MISSING)
        if verb == "SET":
            parent[name] = copy.deepcopy(value)
        elif verb == "REMOVE":
            parent.pop(name, None)
        elif verb == "ADD":
            if _kind(value) == "N" and (current is _MISSING or _kind(current) == "N"):
                parent[name] = (0 if current is _MISSING else current) + value
            elif _kind(value) == "SET" and (current is _MISSING or _kind(current) == "SET"):
                parent[name] = (set() if current is _MISSING else current) | value
            else:
                raise StoreRefusedError("An operand in the update expression has an incorrect data type")
        else:  # DELETE: from a set; an emptied set disappears
            if _kind(value) != "SET" or (current is not _MISSING and _kind(current) != "SET"):
                raise StoreRefusedError("An operand in the update expression has an incorrect data type")
            if current is not _MISSING:
                parent[name] = current - value
                if not parent[name]:
                    del parent[name]
    return result


def _updated(ok: bool, current: Item | None, key: tuple[str, str], update: str, context: _Expressions) -> Item | None:
    """The item after `update`, if its condition held (None if it did not).

    DynamoDB checks the condition first: an update that could not apply to an item that failed
    its condition (`#version + :one` on a missing item) is a failed condition, not a refusal."""
    try:
        updated = _apply(current or {"pk": key[0], "sk": key[1]}, update, context)
    except StoreRefusedError:
        if ok:
            raise
        return None
    context.all_used()
    return updated if ok else None


# --- the store -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """What one Query asked for."""

    pk: str
    index: str | None = None
    sk_prefix: str | None = None
    sk_between: tuple[str, str] | None = None
    forward: bool = True
    limit: int | None = None
    sk_before: str | None = None


def _key(pk: Any, sk: Any) -> tuple[str, str]:
    for name, part in (("pk", pk), ("sk", sk)):
        if not isinstance(part, str) or not part:
            raise StoreRefusedError(f"One or more parameter values were invalid: the key attribute {name} is {part!r}")
    return pk, sk


def _check_item(item: Item) -> Item:
    """An item as it would be stored, refusing what PutItem refuses."""
    stored: Item = _stored(item)
    _key(stored.get("pk"), stored.get("sk"))
    for pk_name, sk_name in INDEXES.values():
        for name in (pk_name, sk_name):
            if name in stored and (not isinstance(stored[name], str) or not stored[name]):
                raise StoreRefusedError(f"One or more parameter values were invalid: index key {name} must be a string")
    return stored


class FakeStore:
    """quarterdeck.store.Store in memory, with call recording and fault injection."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        self.calls: list[str] = []
        self.queries: list[Query] = []
        self.read: list[tuple[str, str]] = []  # the keys of the items the Queries read
        self.fail_next: dict[str, Exception] = {}
        self.lose_answer_next: dict[str, Exception] = {}
        self.before_next: dict[str, Callable[[], object]] = {}

    def _begin(self, operation: str) -> Exception | None:
        """Record one round trip; run its hook and fault. Returns the error to raise after a lost answer."""
        self.calls.append(operation)
        if hook := self.before_next.pop(operation, None):
            hook()
        if failure := self.fail_next.pop(operation, None):
            raise failure
        return self.lose_answer_next.pop(operation, None)

    # --- reads -----------------------------------------------------------------------------
    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        key = _key(pk, sk)
        lost = self._begin("get")
        found = self.items.get(key)
        if lost:
            raise lost
        return _read(found) if found is not None else None

    def batch_get(self, keys: Sequence[tuple[str, str]], *, consistent: bool = False) -> list[Item]:
        wanted = [_key(pk, sk) for pk, sk in keys]
        if len(set(wanted)) < len(wanted):
            raise StoreRefusedError("Provided list of item keys contains duplicates")
        found: list[Item] = []
        for start in range(0, len(wanted), 100):  # one BatchGetItem per 100 keys, none for no key
            lost = self._begin("batch_get")
            found.extend(_read(self.items[key]) for key in wanted[start : start + 100] if key in self.items)
            if lost:
                raise lost
        return found

    def query(self, pk: str, **options: Any) -> list[Item]:
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
        if not isinstance(pk, str) or not pk:
            raise StoreRefusedError("Query condition missed key schema element")
        if index is not None and index not in INDEXES:
            raise StoreRefusedError(f"The table does not have the specified index: {index}")
        if limit is not None and limit < 1:
            raise StoreRefusedError("Limit must be greater than or equal to 1")
        if sk_prefix is None and sk_between is not None and sk_between[0] > sk_between[1]:
            raise StoreRefusedError(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"
            )
        return self._query(Query(pk, index, sk_prefix, sk_between, forward, limit, sk_before))

    def _query(self, query: Query) -> Iterator[Item]:
        self.queries.append(query)
        lost = self._begin("query")
        pk_name, sk_name = INDEXES[query.index] if query.index else KEY_NAMES
        listed = sorted(
            (i for i in self.items.values() if i.get(pk_name) == query.pk and sk_name in i),  # the index is sparse
            key=lambda i: (i[sk_name], i["pk"], i["sk"]),
        )
        if query.sk_prefix is not None:  # as the real Store: a prefix wins over a range
            listed = [i for i in listed if i[sk_name].startswith(query.sk_prefix)]
        elif query.sk_between is not None:
            low, high = query.sk_between
            listed = [i for i in listed if low <= i[sk_name] <= high]
        elif query.sk_before is not None:
            listed = [i for i in listed if i[sk_name] < query.sk_before]
        if not query.forward:
            listed.reverse()
        page = listed[: query.limit]  # DynamoDB stops reading at the Limit
        self.read.extend((i["pk"], i["sk"]) for i in page)
        answer = [_read(i) for i in page]
        if lost:
            raise lost
        yield from answer

    # --- writes ----------------------------------------------------------------------------
    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        stored, context = _check_item(item), _Expressions(names, values)
        key = (stored["pk"], stored["sk"])
        lost = self._begin("put")
        current = self.items.get(key)
        ok = _holds(condition, current, context)
        context.all_used()
        if not ok:
            raise ConditionFailedError(_read(current) if current is not None else None)
        self.items[key] = stored
        if lost:
            raise lost

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
        key, context = _key(pk, sk), _Expressions(names, values)
        lost = self._begin("update")
        current = self.items.get(key)
        ok = _holds(condition, current, context)
        updated = _updated(ok, current, key, update, context)
        if not ok or updated is None:
            raise ConditionFailedError(_read(current) if current is not None else None)
        self.items[key] = _check_item(updated)
        if lost:
            raise lost
        return _read(updated)

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> None:
        key, context = _key(pk, sk), _Expressions(None, None)
        lost = self._begin("delete")
        if not _holds(condition, self.items.get(key), context):
            raise ConditionFailedError(None)  # the real Store asks for no old item here
        self.items.pop(key, None)
        if lost:
            raise lost

    def transact(self, writes: Sequence[Write]) -> None:
        if not 1 <= len(writes) <= 100:
            raise StoreRefusedError("Member must have length between 1 and 100")
        planned: list[tuple[Write, tuple[str, str], _Expressions]] = []
        for write in writes:
            if write.kind == "Put":
                if write.item is None:
                    raise StoreRefusedError("A Put needs its item")
                key = (write.item.get("pk"), write.item.get("sk"))
                _check_item(write.item)
            elif write.kind in ("Update", "Delete", "ConditionCheck"):
                if write.key is None or set(write.key) != set(KEY_NAMES):
                    raise StoreRefusedError("The provided key element does not match the schema")
                key = (write.key["pk"], write.key["sk"])
            else:
                raise StoreRefusedError(f"Unknown transaction action {write.kind}")
            if (write.kind == "Update") != bool(write.update):
                raise StoreRefusedError(f"An update expression belongs to an Update only, not to a {write.kind}")
            if write.kind == "ConditionCheck" and not write.condition:
                raise StoreRefusedError("A ConditionCheck needs its condition")
            planned.append((write, _key(*key), _Expressions(write.names, write.values)))
        if len({key for _, key, _ in planned}) < len(planned):
            raise StoreRefusedError("Transaction request cannot include multiple operations on one item")

        lost = self._begin("transact")
        reasons: list[str] = []
        results: list[tuple[tuple[str, str], Item | None]] = []
        for write, key, context in planned:
            current = self.items.get(key)
            ok = _holds(write.condition, current, context)
            if write.kind == "Put":
                assert write.item is not None
                results.append((key, _check_item(write.item)))
                context.all_used()
            elif write.kind == "Update":
                assert write.update is not None
                updated = _updated(ok, current, key, write.update, context)
                results.append((key, _check_item(updated) if updated is not None else None))
            else:
                results.append((key, None) if write.kind == "Delete" else (key, current))
                context.all_used()
            reasons.append("None" if ok else "ConditionalCheckFailed")
        if any(reason != "None" for reason in reasons):
            raise TransactionCanceledError(reasons)
        for key, item in results:
            if item is None:
                self.items.pop(key, None)
            else:
                self.items[key] = item
        if lost:
            raise lost

    def put_many(self, items: Sequence[Item]) -> None:
        stored = [_check_item(item) for item in items]
        for start in range(0, len(stored), 25):  # one BatchWriteItem per 25 items
            lost = self._begin("batch_write")
            for item in stored[start : start + 25]:
                self.items[(item["pk"], item["sk"])] = item
            if lost:
                raise lost


# --- the other side effects ------------------------------------------------------------------
class FakeMailer:
    """A MailSender that records what would have been sent."""

    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failing = failing  # every send fails
        self.failures = 0  # how many next sends fail
        self.crash: BaseException | None = None  # the process dies while sending (nothing after runs)

    def send(self, email: OutgoingEmail) -> str:
        if self.crash is not None:
            raise self.crash
        if self.failing or self.failures:
            self.failures = max(0, self.failures - 1)
            raise ServiceUnavailableError("Email could not be sent; please try again.")
        self.sent.append(email)
        return f"message-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingEmail]:
        return [m for m in self.sent if address in m.to]


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
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)
