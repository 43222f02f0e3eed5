"""Project handoff notes: markdown files in the data bucket, one per project, under a prefix.

    ---
    project: Ship Captain Crew
    entity: queen            # optional: an entity id of the portfolio file
    updated: 2026-11-18
    owner: CTO               # optional: who clears its blockers (default CEO)
    ---
    ## Blockers
    - Certificate of insurance needed before the Viator listing.
    ## Decisions
    - 2026-11-12: Magic links instead of passwords for the crew.
    ## Next
    - Seed the production portfolio file.

The `Blockers`, `Decisions` and `Next` (or `Next steps`) sections are read at any heading
level; each list item is one entry, dated by a leading `YYYY-MM-DD` of its own or else by the
note's `updated`. Other sections are left alone. A note whose `updated` is more than
`NOTE_STALE_DAYS` days before the report's day is stale: the reports still quote it, marked so.

A note that cannot be parsed is named in the report with the reason; the others are read.
If the notes cannot be listed at all (not permitted, no bucket), the source is unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from quarterdeck.observability import logger
from quarterdeck.reports.sources import Unavailable, reason_of

if TYPE_CHECKING:
    from quarterdeck.config import Settings

SOURCE = "S3: handoff notes"
KEYS = ("project", "entity", "updated", "owner")
DEFAULT_OWNER = "CEO"
MAX_NOTE_BYTES = 256 * 1024
MAX_NOTES = 200
SECTIONS = {"blockers": "blockers", "decisions": "decisions", "next": "next", "next steps": "next"}

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_DATED = re.compile(r"^\**(\d{4}-\d{2}-\d{2})\**\s*(?:[:\u2013\u2014-]\s*|\s)(.*)$")
_NOTHING = re.compile(r"^(none|nothing|n/?a|-|\u2014)\.?$", re.IGNORECASE)


class NoteError(ValueError):
    """A note that cannot be read; the message says why."""


@dataclass(frozen=True)
class NoteItem:
    text: str
    dated: date
    own_date: bool = False  # the item carries its own date (else the note's `updated`)


@dataclass(frozen=True)
class HandoffNote:
    key: str
    project: str
    entity: str
    owner: str
    updated: date
    age_days: int
    stale: bool
    blockers: tuple[NoteItem, ...] = ()
    decisions: tuple[NoteItem, ...] = ()
    next_steps: tuple[NoteItem, ...] = ()


@dataclass
class HandoffNotes:
    notes: list[HandoffNote] = field(default_factory=list)
    problems: list[Unavailable] = field(default_factory=list)  # notes that could not be read
    unavailable: Unavailable | None = None  # the notes could not be listed at all
    location: str = ""
    stale_days: int = 0

    @property
    def stale(self) -> list[HandoffNote]:
        return [n for n in self.notes if n.stale]


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or lines[0].strip() != "---":
        raise NoteError("it does not start with front matter (a '---' line, then project:, updated:, '---')")
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise NoteError("its front matter is not closed by a '---' line")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        text = line.split(" #", 1)[0].strip()
        if not text:
            continue
        key, colon, value = text.partition(":")
        key = key.strip().lower()
        if not colon:
            raise NoteError(f"front matter line {number} is not 'key: value'")
        if key not in KEYS:
            raise NoteError(f"unknown front-matter key {key!r} (known: {', '.join(KEYS)})")
        fields[key] = value.strip().strip("\"'")
    return fields, lines[end + 1 :]


def _item(text: str, updated: date) -> NoteItem | None:
    text = text.strip()
    if not text or _NOTHING.match(text):
        return None
    match = _DATED.match(text)
    if match:
        try:
            return NoteItem(match.group(2).strip() or text, date.fromisoformat(match.group(1)), True)
        except ValueError:
            pass  # not a real date: the text stays as written
    return NoteItem(text, updated)


def _sections(body: list[str], updated: date) -> dict[str, list[NoteItem]]:
    found: dict[str, list[str]] = {"blockers": [], "decisions": [], "next": []}
    current: list[str] | None = None
    for line in body:
        heading = _HEADING.match(line)
        if heading:
            name = heading.group(1).strip().rstrip(":").strip().lower()
            current = found[SECTIONS[name]] if name in SECTIONS else None
            continue
        if current is None or not line.strip():
            continue
        item = _ITEM.match(line)
        if item and (not item.group(1) or not current):
            current.append(item.group(2).strip())
        elif current:  # an indented sub-item or a wrapped line belongs to the entry above
            extra = item.group(2).strip() if item else line.strip()
            current[-1] = f"{current[-1]}; {extra}" if item else f"{current[-1]} {extra}"
        else:  # a paragraph rather than a list: one entry
            current.append(line.strip())
    return {
        name: [parsed for parsed in (_item(text, updated) for text in texts) if parsed is not None]
        for name, texts in found.items()
    }


def parse_note(text: str, key: str, today: date, stale_days: int) -> HandoffNote:
    """One note's front matter and sections; NoteError says what is wrong with it."""
    lines = text.lstrip("\ufeff").splitlines()
    fields, body = _front_matter(lines)
    project = fields.get("project", "")
    if not project:
        raise NoteError("its front matter has no project")
    raw = fields.get("updated", "")
    if not raw:
        raise NoteError("its front matter has no updated date (updated: YYYY-MM-DD)")
    try:
        updated = date.fromisoformat(raw)
    except ValueError:
        raise NoteError(f"updated {raw!r} is not a date (YYYY-MM-DD)") from None
    sections = _sections(body, updated)
    age = (today - updated).days
    return HandoffNote(
        key=key,
        project=project,
        entity=fields.get("entity", ""),
        owner=fields.get("owner") or DEFAULT_OWNER,
        updated=updated,
        age_days=age,
        stale=age > stale_days,
        blockers=tuple(sections["blockers"]),
        decisions=tuple(sections["decisions"]),
        next_steps=tuple(sections["next"]),
    )


def parse_notes(texts: dict[str, str], today: date, stale_days: int, location: str = "") -> HandoffNotes:
    """Several notes by key; a note that cannot be parsed is a problem entry, not a failure."""
    result = HandoffNotes(location=location, stale_days=stale_days)
    for key in sorted(texts):
        try:
            result.notes.append(parse_note(texts[key], key, today, stale_days))
        except NoteError as error:
            result.problems.append(Unavailable(f"handoff note {key}", str(error)))
    result.notes.sort(key=lambda n: (n.project.lower(), n.key))
    return result


def read_handoff_notes(
    settings: Settings, today: date, *, client: Callable[[str, str | None], Any] | None = None
) -> HandoffNotes:
    """Every `<prefix>*.md` of the data bucket, parsed; never raises."""
    if client is None:
        from quarterdeck.reports.aws_figures import source_client

        client = source_client
    bucket, prefix = settings.data_bucket, settings.notes_prefix
    location = f"s3://{bucket}/{prefix}"
    if not bucket:
        return HandoffNotes(
            unavailable=Unavailable(SOURCE, "no data bucket is configured (DATA_BUCKET)"),
            stale_days=settings.note_stale_days,
        )
    texts: dict[str, str] = {}
    problems: list[Unavailable] = []
    try:
        s3 = client("s3", None)  # inside: making a client can fail too (no region)
        keys: list[tuple[str, int]] = []
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while len(keys) < MAX_NOTES:
            answer = s3.list_objects_v2(**request)
            keys += [(o["Key"], int(o.get("Size", 0))) for o in answer.get("Contents", []) if o["Key"].endswith(".md")]
            if not answer.get("IsTruncated"):
                break
            request["ContinuationToken"] = answer["NextContinuationToken"]
    except Exception as error:  # optional source: reported, never raised
        reason = reason_of(error)
        logger.warning("report source unavailable", extra={"source": SOURCE, "reason": reason})
        return HandoffNotes(
            unavailable=Unavailable(SOURCE, reason), location=location, stale_days=settings.note_stale_days
        )
    for key, size in keys[:MAX_NOTES]:
        if size > MAX_NOTE_BYTES:
            problems.append(Unavailable(f"handoff note {key}", f"larger than {MAX_NOTE_BYTES // 1024} KB"))
            continue
        try:
            texts[key] = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Unavailable(f"handoff note {key}", "not UTF-8 text"))
        except Exception as error:
            problems.append(Unavailable(f"handoff note {key}", reason_of(error)))
    result = parse_notes(texts, today, settings.note_stale_days, location)
    result.problems = problems + result.problems
    return result


def not_read(reason: str) -> HandoffNotes:
    """Notes for a run that reads none (the source unavailable, with `reason`)."""
    return HandoffNotes(unavailable=Unavailable(SOURCE, reason))
