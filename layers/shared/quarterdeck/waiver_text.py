"""The waiver's text and the signed copy built from it.

The text is versioned: `templates/waiver/index.json` names the current version and the SHA-256
of every published version's file. A published file edited in place no longer matches its hash
and is refused: changing the text means publishing a new version. A signature records the
version and hash it was given; its signed copy (`signed_copy`) is the exact text, then who
signed it, when and from where, built only from stored fields so a retry builds the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.clock import Clock, iso, system_clock
from quarterdeck.config import Settings
from quarterdeck.errors import ConfigurationError, ConflictError, InvalidInputError
from quarterdeck.formatting import sail_for_email
from quarterdeck.repositories import Item

if TYPE_CHECKING:
    from quarterdeck.repositories.guests import GuestRepository

WAIVER_DIR = Path(__file__).parent / "templates" / "waiver"
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Waiver:
    version: str
    text: str
    sha256: str


def _index(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / "index.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        raise ConfigurationError("The waiver index is missing or unreadable.") from error


@lru_cache(maxsize=32)
def _read_version(path: Path, version: str, expected_sha256: str) -> Waiver:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected_sha256:
        # A signature records (version, hash): editing a published text in place would make
        # old signatures point at words nobody signed. Publish a new version instead.
        raise ConfigurationError(f"Waiver {version} was edited after publication; publish a new version instead.")
    return Waiver(version=version, text=raw.decode("utf-8"), sha256=digest)


def _from_file(index: dict[str, Any], version: str, directory: Path) -> Waiver:
    entry = (index.get("versions") or {}).get(version)
    if not entry or not entry.get("file") or not entry.get("sha256"):
        raise ConfigurationError(f"Waiver version {version!r} is not published.")
    return _read_version(directory / str(entry["file"]), version, str(entry["sha256"]))


def _from_item(item: Item) -> Waiver:
    text = str(item.get("text", ""))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != item.get("sha256"):
        raise ConfigurationError(f"Waiver {item.get('version')} does not match its recorded hash.")
    return Waiver(version=str(item["version"]), text=text, sha256=digest)


def load_waiver(
    version: str | None = None, *, directory: Path = WAIVER_DIR, texts: GuestRepository | None = None
) -> Waiver:
    """A published waiver version (the current one by default), checked against its recorded hash.

    Versions come from the files shipped with the app (`index.json`) and, with `texts`, from the
    versions admins published in the app (one item read; the latest published there is current).
    The small index is read each time, so publishing a version needs no restart to take effect."""
    index = _index(directory)
    if version is None and texts is not None:
        current = texts.published_waiver()
        if current:
            return _from_item(current)
    version = version or str(index.get("current", ""))
    if version in (index.get("versions") or {}) or texts is None:
        return _from_file(index, version, directory)
    published = texts.published_waiver(version)
    if not published:
        raise ConfigurationError(f"Waiver version {version!r} is not published.")
    return _from_item(published)


def current_waiver(published: Item | None, *, directory: Path = WAIVER_DIR) -> Waiver:
    """The current waiver, given the current text published from the app as read (None: none is)."""
    return _from_item(published) if published else load_waiver(directory=directory)


def _next_version(current: str) -> str:
    digits = "".join(ch for ch in current if ch.isdigit())
    return f"v{int(digits) + 1}" if current.startswith("v") and digits else f"{current}.1"


def publish_waiver(
    texts: GuestRepository,
    actor_email: str,
    *,
    text: object,
    based_on: object,
    directory: Path = WAIVER_DIR,
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Publish a new version of the waiver text (an admin, after previewing it). `based_on` is
    the version the admin was shown: if another was published since, 409 (nothing is lost).
    Signatures keep the version and hash they were made under; new ones use this one."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("Write the waiver text to publish.", field="text")
    clean = (
        "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")) + "\n"
    )
    if len(clean) > MAX_TEXT or "\x00" in clean:
        raise InvalidInputError(f"The waiver text must be at most {MAX_TEXT} characters.", field="text")
    # One read: the current text, and whether the app ever published one (the publish's condition).
    published = texts.published_waiver()
    current = current_waiver(published, directory=directory)
    if based_on != current.version:
        raise ConflictError(
            f"Version {current.version} was published meanwhile; reload to see it before publishing.",
            code="waiver_changed",
            field="based_on",
        )
    if clean == current.text:
        raise InvalidInputError("This is the current text; change it to publish a new version.", field="text")
    version = _next_version(current.version)
    while version in (_index(directory).get("versions") or {}):
        version = _next_version(version)
    item: Item = {
        "version": version,
        "text": clean,
        "sha256": hashlib.sha256(clean.encode("utf-8")).hexdigest(),
        "published_at": iso(clock()),
        "published_by": actor_email,
    }
    texts.publish_waiver(item, previous=current.version if published is not None else None)
    return {**waiver_view(_from_item(item)), "published_at": item["published_at"], "previous": current.version}


def waiver_view(waiver: Waiver) -> dict[str, Any]:
    return {"version": waiver.version, "sha256": waiver.sha256, "text": waiver.text}


def waiver_object_key(sail_id: str, guest_id: str, version: str, signed_at: str) -> str:
    """Where a signature's copy is stored in the data bucket."""
    stamp = datetime.fromisoformat(signed_at).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"waivers/{sail_id}/{guest_id}/{version}-{stamp}.txt"


def signed_copy(signature: Item, waiver: Waiver, guest: Item, meta: Item, settings: Settings) -> str:
    """The signed document: the exact waiver text, then who signed it, when, where from, and
    the text's version and hash. Built only from stored fields, so a retry builds the same bytes."""
    sail = sail_for_email(meta, tz=settings.timezone, app_url=settings.app_url)
    lines = [
        waiver.text.rstrip("\n"),
        "",
        "-" * 72,
        "SIGNATURE",
        f"Signed by (typed full name): {signature['full_name']}",
    ]
    if signature.get("minor"):
        lines.append(f"Signed for a minor by parent or guardian: {signature.get('guardian_name', '')}")
    if signature.get("covers_names"):
        lines.append(f"Also signed as parent or guardian for: {', '.join(signature['covers_names'])}")
    lines += [
        f"Guest: {guest.get('name', '')} <{guest.get('email', '')}>, party of {guest.get('party_size', 1)}",
        f"Sail: {sail['title']}, {sail['date']}, departs {sail['departure']}, returns {sail['return']}",
        f"Sail id / guest id: {meta.get('id', '')} / {guest.get('id', '')}",
        f"Signed at: {signature['signed_at']}",
        f"Session email: {signature.get('signer_email', '')}",
        f"IP address: {signature.get('ip', '')}",
        f"User agent: {signature.get('user_agent', '')}",
        f"Waiver version: {signature['version']}",
        f"SHA-256 of the waiver text: {signature['text_sha256']}",
        "",
    ]
    return "\n".join(lines)
