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
from typing import Any

from quarterdeck.config import Settings
from quarterdeck.errors import ConfigurationError
from quarterdeck.formatting import sail_for_email
from quarterdeck.repositories import Item

WAIVER_DIR = Path(__file__).parent / "templates" / "waiver"


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


def load_waiver(version: str | None = None, *, directory: Path = WAIVER_DIR) -> Waiver:
    """A published waiver version (the current one by default), checked against its recorded hash.
    The small index is read each time, so publishing a version needs no restart to take effect."""
    index = _index(directory)
    version = version or str(index.get("current", ""))
    entry = (index.get("versions") or {}).get(version)
    if not entry or not entry.get("file") or not entry.get("sha256"):
        raise ConfigurationError(f"Waiver version {version!r} is not published.")
    return _read_version(directory / str(entry["file"]), version, str(entry["sha256"]))


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
