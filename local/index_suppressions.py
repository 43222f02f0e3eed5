"""One-off: put suppressions written before 2026-12-04 into the people's GSI1 partition.

Since then each suppression also carries GSI1 keys (`keys.suppression_index`), so the People
page reads the roster and whose mail bounces in one Query of `PEOPLE#ALL`. Older ones have
none: the page would show their addresses as receiving mail (sends still skip them: they read
the `SUPPRESSIONS` partition). This reads that partition (one Query, paged; no Scan) and sets
the GSI1 keys on every suppression without them. Safe to run again: an indexed one is skipped.

    python -m local.index_suppressions --table <table name>
"""

from __future__ import annotations

import argparse
import sys

from quarterdeck import keys
from quarterdeck.store import Store


def index_suppressions(store: Store) -> int:
    """Give every suppression its GSI1 keys; returns how many had none."""
    indexed = 0
    for item in store.query(keys.SUPPRESSIONS):
        if item.get("type") != "suppression" or item.get("gsi1pk"):
            continue
        gsi1pk, gsi1sk = keys.suppression_index(str(item["email"]))
        store.update(
            str(item["pk"]),
            str(item["sk"]),
            "SET gsi1pk = :gpk, gsi1sk = :gsk",
            condition="attribute_exists(pk)",
            values={":gpk": gsi1pk, ":gsk": gsi1sk},
            returning=False,
        )
        indexed += 1
    return indexed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.index_suppressions", description=__doc__)
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    print(f"indexed {index_suppressions(Store(args.table))} suppressions in {keys.PEOPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
