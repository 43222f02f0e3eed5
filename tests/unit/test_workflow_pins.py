"""What runs with the deploy credentials cannot change under us.

Every action a workflow uses is pinned by a full commit SHA (a tag can be moved to other code;
a commit cannot), with the tag in a comment so a person and Dependabot can read which release
it is; Dependabot watches the actions and both Python requirement files.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"^\s+#\s+v\d+(?:\.\d+){0,2}\s*$")


def uses_lines() -> list[tuple[str, str, str]]:
    """(file:line, reference, rest of the line) for every `uses:` in every workflow."""
    found = []
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if match := USES.match(line):
                found.append((f"{path.name}:{number}", match["ref"], match["rest"]))
    return found


def test_every_action_is_pinned_by_a_commit_sha_with_its_tag_in_a_comment() -> None:
    # Given every `uses:` line of every workflow
    lines = uses_lines()
    assert len(WORKFLOWS) >= 2 and len(lines) >= 10, "the workflows were not read"
    # When the ones that are not this repository's own reusable workflows are looked at
    actions = [(where, ref, rest) for where, ref, rest in lines if not ref.startswith("./")]
    # Then each names a 40-character commit and says which release that is
    unpinned = [f"{where}: {ref}" for where, ref, _ in actions if not PINNED.match(ref)]
    untagged = [f"{where}: {ref}{rest}" for where, ref, rest in actions if not TAG_COMMENT.match(rest)]
    assert unpinned == []
    assert untagged == []


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    commits: dict[str, set[str]] = {}
    for _, ref, rest in uses_lines():
        if not ref.startswith("./"):
            action, _, sha = ref.partition("@")
            commits.setdefault(action, set()).add(f"{sha}{rest}")
    assert {action: pins for action, pins in commits.items() if len(pins) > 1} == {}


def test_local_references_are_this_repositorys_own_workflows() -> None:
    # A `./` reference runs code from this same commit, so it needs no pin, but it must exist
    for where, ref, _ in uses_lines():
        if ref.startswith("./"):
            assert (ROOT / ref).is_file(), f"{where}: {ref}"


def test_dependabot_keeps_the_action_pins_and_the_python_pins_fresh() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    watched = {
        (update["package-ecosystem"], directory)
        for update in config["updates"]
        for directory in update.get("directories", [update.get("directory")])
    }
    assert ("github-actions", "/") in watched
    assert ("pip", "/") in watched  # requirements-dev.txt
    assert ("pip", "/layers/shared") in watched  # the layer's requirements.txt
    assert (ROOT / "requirements-dev.txt").is_file() and (ROOT / "layers/shared/requirements.txt").is_file()
