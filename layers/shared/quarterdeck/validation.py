"""Small input checks shared by the domain modules; each failure names its field."""

from __future__ import annotations

import re
from datetime import date

from quarterdeck.errors import InvalidInputError

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


def email_address(value: object, field: str = "email") -> str:
    text = str(value or "").strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInputError("Enter a valid email address.", field=field)
    return text


# Characters that end a line somewhere (email headers, str.splitlines): never inside a name or title.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def text_field(
    value: object, field: str, *, min_length: int = 1, max_length: int = 120, single_line: bool = False
) -> str:
    """Whitespace collapsed to single spaces. `single_line` values (names, titles: they reach email
    subjects) are refused if they carry a line break, rather than silently joined."""
    if single_line and _LINE_BREAKS.intersection(str(value or "")):
        raise InvalidInputError(f"The {field.replace('_', ' ')} must be on one line.", field=field)
    text = " ".join(str(value or "").split())
    if len(text) < min_length:
        raise InvalidInputError(f"The {field.replace('_', ' ')} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInputError(f"The {field.replace('_', ' ')} must be at most {max_length} characters.", field=field)
    return text


def calendar_date(value: object, field: str = "date") -> date:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        raise InvalidInputError("Enter a real date as YYYY-MM-DD.", field=field) from None
