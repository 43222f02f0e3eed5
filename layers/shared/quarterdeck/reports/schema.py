"""A small validator for the portfolio file: typed, frozen records checked from plain data.

The portfolio's schema is a set of classes with type hints, as before (`Annotated` adds the
constraints: `Str`, `Num`, `Items`, `Check`). `validate(Model, data)` checks a TOML/JSON
document against them and collects every problem with its location (`('expenses', 3,
'monthly')`), its kind (`missing`, `extra_forbidden`, ...) and a message in the words the
owner has seen so far. It exists for cold starts: building 40 pydantic models cost a
ReportFunction about 100 ms before its first report (import and schema build), this costs
a few milliseconds, and the file is small.

Coercions are the lax ones a TOML or JSON file needs: a number may be an integer, a float or
a numeric string; a date a TOML date or an ISO string; a bool `true`/`false` (or 0/1, "yes"/"no").
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Str:
    """String constraints, applied in this order: strip, lower, length, pattern."""

    strip_whitespace: bool = False
    to_lower: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Num:
    """Number bounds; infinity and NaN are always refused."""

    ge: float | None = None
    le: float | None = None
    gt: float | None = None


@dataclass(frozen=True)
class Items:
    """List length bounds."""

    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Check:
    """A function run on the valid value; a ValueError it raises is the value's error."""

    function: Callable[[Any], Any]


class SchemaError(ValueError):
    """The document does not match; `errors` lists each problem (loc, type, msg, input)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)


_MISSING = object()


class Model:
    """A frozen record. Fields are the class's annotations; a class attribute is the field's
    default (copied per instance when it is a list or dict). `check()` may refuse the whole
    record after its fields are valid (raise ValueError)."""

    __fields__: ClassVar[dict[str, Any] | None] = None

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(_hashable(v) for v in vars(self).values())))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({shown})"

    def check(self) -> None:
        """Cross-field rules of the record (none by default)."""


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


@cache
def _fields(model: Any) -> dict[str, tuple[Any, tuple[Any, ...], Any]]:
    hints = typing.get_type_hints(model, include_extras=True)
    found: dict[str, tuple[Any, tuple[Any, ...], Any]] = {}
    for name, hint in hints.items():
        if get_origin(hint) is ClassVar or name.startswith("_"):
            continue
        kind, constraints = _unwrap(hint)
        found[name] = (kind, constraints, getattr(model, name, _MISSING))
    return found


def fields_of(model: type[Model]) -> dict[str, tuple[Any, tuple[Any, ...], Any]]:
    """name -> (type, constraints, default or _MISSING), from the class's type hints (once per class)."""
    return _fields(typing.cast(Any, model))  # (a class is hashable: mypy sees its instances' __hash__)


def _unwrap(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(hint) is typing.Annotated:
        inner, *extras = get_args(hint)
        kind, more = _unwrap(inner)
        return kind, (*more, *extras)
    return hint, ()


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, loc: Location, kind: str, message: str, value: Any) -> None:
        self.items.append({"loc": loc, "type": kind, "msg": message, "input": value})


class _Invalid(Exception):
    """One value's error (raised inside, collected by the caller)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def validate(model: type[Model], data: Any) -> Any:
    """`data` as a `model` record, or SchemaError with every problem found."""
    errors = _Errors()
    result = _value(model, (), data, (), errors)
    if errors.items:
        raise SchemaError(errors.items)
    return result


def _record(model: type[Model], data: Any, loc: Location, errors: _Errors) -> Any:
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise _Invalid("model_type", f"Input should be a valid dictionary or instance of {model.__name__}")
    fields = fields_of(model)
    before = len(errors.items)
    values: dict[str, Any] = {}
    for name, (kind, constraints, default) in fields.items():
        if name in data:
            values[name] = _value(kind, constraints, data[name], (*loc, name), errors)
        elif default is _MISSING:
            errors.add((*loc, name), "missing", "Field required", data)
        else:
            values[name] = type(default)(default) if isinstance(default, list | dict) else default
    for name in data:
        if name not in fields:
            errors.add((*loc, name), "extra_forbidden", "Extra inputs are not permitted", data[name])
    if len(errors.items) > before:
        return None
    record = model(**values)
    try:
        record.check()
    except ValueError as error:
        errors.add(loc, "value_error", f"Value error, {error}", data)
        return None
    return record


def _value(kind: Any, constraints: tuple[Any, ...], data: Any, loc: Location, errors: _Errors) -> Any:
    """The valid value, or None with its error(s) added."""
    try:
        value = _convert(kind, data, loc, errors)
        if value is None:
            return None
        for constraint in constraints:
            value = _constrain(constraint, value)
        return value
    except _Invalid as invalid:
        errors.add(loc, invalid.kind, invalid.message, data)
        return None


def _convert(kind: Any, data: Any, loc: Location, errors: _Errors) -> Any:
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        members = [m for m in get_args(kind) if m is not type(None)]
        if data is None and len(members) < len(get_args(kind)):
            return None
        (member,) = members  # the schema uses X | None only
        member_kind, constraints = _unwrap(member)
        value = _convert(member_kind, data, loc, errors)
        for constraint in constraints:
            value = _constrain(constraint, value)
        return value
    if origin is typing.Annotated:
        inner, constraints = _unwrap(kind)
        value = _convert(inner, data, loc, errors)
        for constraint in constraints:
            value = _constrain(constraint, value)
        return value
    if origin is Literal:
        return _literal(get_args(kind), data)
    if origin is list:
        if not isinstance(data, list | tuple):
            raise _Invalid("list_type", "Input should be a valid list")
        (item,) = get_args(kind)
        item_kind, item_constraints = _unwrap(item)
        before = len(errors.items)
        items = [_value(item_kind, item_constraints, v, (*loc, n), errors) for n, v in enumerate(data)]
        return items if len(errors.items) == before else None
    if origin is dict:
        if not isinstance(data, dict):
            raise _Invalid("dict_type", "Input should be a valid dictionary")
        key_type, value_type = get_args(kind)
        key_kind, key_constraints = _unwrap(key_type)
        value_kind, value_constraints = _unwrap(value_type)
        before = len(errors.items)
        result = {}
        for key, item in data.items():
            valid_key = _value(key_kind, key_constraints, key, (*loc, key), errors)
            result[valid_key] = _value(value_kind, value_constraints, item, (*loc, key), errors)
        return result if len(errors.items) == before else None
    if isinstance(kind, type) and issubclass(kind, Model):
        return _record(kind, data, loc, errors)
    converter = _SCALARS.get(kind)
    if converter is None:
        raise TypeError(f"the schema uses a type the validator does not know: {kind!r}")
    return converter(data)


def _literal(choices: tuple[Any, ...], data: Any) -> Any:
    for choice in choices:
        if data == choice and type(data) is type(choice):
            return choice
    shown = [repr(c) for c in choices]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    raise _Invalid("literal_error", f"Input should be {listed}")


def _string(data: Any) -> str:
    if not isinstance(data, str):
        raise _Invalid("string_type", "Input should be a valid string")
    return data


_NUMBER = "Input should be a valid number"
_INTEGER = "Input should be a valid integer"


def _number(data: Any) -> float:
    if isinstance(data, bool):
        raise _Invalid("float_type", "Input should be a valid number")
    if isinstance(data, int | float):
        value = float(data)
    elif isinstance(data, str):
        try:
            value = float(data.strip())
        except ValueError:
            raise _Invalid(
                "float_parsing", "Input should be a valid number, unable to parse string as a number"
            ) from None
    else:
        raise _Invalid("float_type", "Input should be a valid number")
    if not math.isfinite(value):
        raise _Invalid("finite_number", "Input should be a finite number")
    return value


def _integer(data: Any) -> int:
    if isinstance(data, bool):
        raise _Invalid("int_type", "Input should be a valid integer")
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        if not data.is_integer():
            raise _Invalid("int_from_float", "Input should be a valid integer, got a number with a fractional part")
        return int(data)
    if isinstance(data, str):
        try:
            return int(data.strip())
        except ValueError:
            raise _Invalid(
                "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
            ) from None
    raise _Invalid("int_type", "Input should be a valid integer")


_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def _boolean(data: Any) -> bool:
    if isinstance(data, bool):
        return data
    if isinstance(data, int) and data in (0, 1):
        return bool(data)
    if isinstance(data, str) and data.strip().lower() in _TRUE | _FALSE:
        return data.strip().lower() in _TRUE
    raise _Invalid("bool_parsing", "Input should be a valid boolean, unable to interpret input")


def _date(data: Any) -> date:
    if isinstance(data, datetime):
        if data.time() != datetime.min.time():
            raise _Invalid("date_from_datetime_inexact", "Datetimes provided to dates should have zero time")
        return data.date()
    if isinstance(data, date):
        return data
    if isinstance(data, str):
        try:
            return date.fromisoformat(data.strip())
        except ValueError:
            raise _Invalid(
                "date_from_datetime_parsing", "Input should be a valid date in the format YYYY-MM-DD"
            ) from None
    raise _Invalid("date_type", "Input should be a valid date")


_SCALARS: dict[Any, Callable[[Any], Any]] = {str: _string, float: _number, int: _integer, bool: _boolean, date: _date}


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _constrain(constraint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(constraint, Str):
        if constraint.strip_whitespace:
            value = value.strip()
        if constraint.to_lower:
            value = value.lower()
        if constraint.min_length is not None and len(value) < constraint.min_length:
            unit = "character" if constraint.min_length == 1 else "characters"
            raise _Invalid("string_too_short", f"String should have at least {constraint.min_length} {unit}")
        if constraint.max_length is not None and len(value) > constraint.max_length:
            raise _Invalid("string_too_long", f"String should have at most {constraint.max_length} characters")
        if constraint.pattern is not None and not _compiled(constraint.pattern).search(value):
            raise _Invalid("string_pattern_mismatch", f"String should match pattern '{constraint.pattern}'")
        return value
    if isinstance(constraint, Num):
        if constraint.ge is not None and value < constraint.ge:
            raise _Invalid("greater_than_equal", f"Input should be greater than or equal to {_shown(constraint.ge)}")
        if constraint.gt is not None and value <= constraint.gt:
            raise _Invalid("greater_than", f"Input should be greater than {_shown(constraint.gt)}")
        if constraint.le is not None and value > constraint.le:
            raise _Invalid("less_than_equal", f"Input should be less than or equal to {_shown(constraint.le)}")
        return value
    if isinstance(constraint, Items):
        if constraint.min_length is not None and len(value) < constraint.min_length:
            item = "item" if constraint.min_length == 1 else "items"
            raise _Invalid(
                "too_short",
                f"List should have at least {constraint.min_length} {item} after validation, not {len(value)}",
            )
        if constraint.max_length is not None and len(value) > constraint.max_length:
            raise _Invalid(
                "too_long", f"List should have at most {constraint.max_length} items after validation, not {len(value)}"
            )
        return value
    if isinstance(constraint, Check):
        try:
            return constraint.function(value)
        except ValueError as error:
            raise _Invalid("value_error", f"Value error, {error}") from None
    raise TypeError(f"unknown constraint {constraint!r}")


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)
