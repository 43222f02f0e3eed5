"""Small input checks shared by the domain modules; each failure names its field."""

from __future__ import annotations

import re
from datetime import date, timedelta

from quarterdeck.errors import InvalidInputError

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


def _text(value: object, field: str) -> str:
    """A JSON string, or nothing: a number or a boolean is never taken as text (`full_name: 123`)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(f"The {field.replace('_', ' ')} must be text.", field=field)
    return value


def email_address(value: object, field: str = "email") -> str:
    """Printable ASCII only: no right-to-left override, zero-width character or look-alike
    letter from another script can make one address read as another."""
    text = _text(value, field).strip().lower()
    if len(text) > 254 or not text.isascii() or not _EMAIL.match(text):
        raise InvalidInputError("Enter a valid email address.", field=field)
    return text


# Invisible characters that reorder or hide text (bidi embeddings, overrides and isolates,
# zero-width spaces and joiners, the BOM): taken out of names and titles, so a name shows as
# what was typed and never reorders the line around it.
_INVISIBLE = dict.fromkeys(
    [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF]
)


# Characters that end a line somewhere (email headers, str.splitlines): never inside a name or title.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def text_field(
    value: object, field: str, *, min_length: int = 1, max_length: int = 120, single_line: bool = False
) -> str:
    """Whitespace collapsed to single spaces. `single_line` values (names, titles: they reach email
    subjects) are refused if they carry a line break, rather than silently joined."""
    raw = _text(value, field)
    if single_line and _LINE_BREAKS.intersection(raw):
        raise InvalidInputError(f"The {field.replace('_', ' ')} must be on one line.", field=field)
    text = " ".join(raw.translate(_INVISIBLE).split())
    if len(text) < min_length:
        raise InvalidInputError(f"The {field.replace('_', ' ')} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInputError(f"The {field.replace('_', ' ')} must be at most {max_length} characters.", field=field)
    return text


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Control characters no text of ours carries: every one but tab and the line breaks of multi-line text.
STRAY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(value: str, max_length: int) -> str:
    """Text from a header or another line we only record (a user agent): control characters
    (NUL, ESC, CR/LF...) become spaces, so nothing they carry reaches a document or a mail."""
    return " ".join(_CONTROL.sub(" ", value).split())[:max_length]


SANE_YEARS = 5  # dates further back or ahead than this are typing mistakes (or attacks), never plans


def calendar_date(value: object, field: str = "date", *, today: date | None = None) -> date:
    """A `YYYY-MM-DD` string within SANE_YEARS of today (a sail in 9999 overflowed every
    computation downstream)."""
    text = _text(value, field)
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInputError("Enter a real date as YYYY-MM-DD.", field=field)
    today = today or date.today()
    span = timedelta(days=365 * SANE_YEARS + 1)
    if not today - span <= day <= today + span:
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be within {SANE_YEARS} years of today.", field=field
        )
    return day
