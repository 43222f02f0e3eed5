"""One-off (issue 22): collapse the weekly copies of each report action card into one card.

Until one card per action, a card's identity included its report's period
(`report:<kind>:<period>:<n>`), so every weekly run added a new copy of each action card. This
reads the board (the open columns and the completed one: Queries, no Scan), groups the
per-period cards by the action they stand for (kind, section, title without its figures:
quarterdeck.reports.actions.source_key), creates one card per action under its new id (the copy
changed last, open if any copy is open; its history notes the merge) and archives every copy
(off the board, history kept, "A copy of the card <id>"). Safe to run again: archived copies
are not read, and a card that already exists under its new id is kept as it is.

    python -m local.collapse_report_cards --table <table name>
"""

from __future__ import annotations

import argparse
import sys

from quarterdeck.reports.actions import collapse_duplicate_cards
from quarterdeck.repositories.tasks import DynamoTaskRepository
from quarterdeck.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.collapse_report_cards", description=__doc__)
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    result = collapse_duplicate_cards(DynamoTaskRepository(Store(args.table)), "migration")
    print(f"kept {len(result.kept)} cards (one per action); archived {len(result.archived)} weekly copies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
