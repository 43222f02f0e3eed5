"""One-off: move sails written before 2026-11-23 onto the one GSI1 partition of sails.

Until then a sail's `gsi1pk` was its month (`SAILS#<yyyy-mm>`) and its META had no
`holders` set. This reads each month partition of the given range (one Query each, no
Scan), and for every sail found sets `gsi1pk = SAILS#ALL` and ADDs its holders from the
`HOLDER#` markers of its own partition (one Query). Safe to run again: a moved sail is no
longer in its month partition, and ADD on a set is idempotent. Run it while nobody releases
roles (a release between the marker read and the ADD would leave a stale entry).

    python -m local.reindex_sails --table <table name> --from 2026-01 --to 2027-12
"""

from __future__ import annotations

import argparse
import sys

from local.environment import add_code_paths

add_code_paths()  # run as `python -m local.<one-off>` from the repository root: the layer as Lambda sees it
from quarterdeck import keys  # noqa: E402
from quarterdeck.store import Store  # noqa: E402


def _months(first: str, last: str) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    found = []
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def reindex(store: Store, first: str, last: str) -> int:
    """Move the sails of months `first`..`last` (`yyyy-mm`); returns how many were moved."""
    moved = 0
    for month in _months(first, last):
        for meta in store.query(keys.legacy_sails_month(month), index="gsi1"):
            if meta.get("type") != "sail":
                continue
            sail_id = str(meta["id"])
            markers = store.query(keys.sail_partition(sail_id), sk_prefix="HOLDER#", consistent=True)
            tags = {
                keys.holder_tag(str(m.get("email") or str(m["sk"]).removeprefix("HOLDER#")), str(m["slot"]))
                for m in markers
            }
            values: dict[str, object]
            update, values = "SET gsi1pk = :all", {":all": keys.sails_by_date()}
            if tags:
                update += " ADD holders :holders"
                values = {**values, ":holders": tags}
            store.update(*keys.sail(sail_id), update, condition="attribute_exists(pk)", values=values)
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.reindex_sails", description=__doc__)
    parser.add_argument("--table", required=True)
    parser.add_argument("--from", dest="first", required=True, help="first month, yyyy-mm")
    parser.add_argument("--to", dest="last", required=True, help="last month, yyyy-mm")
    args = parser.parse_args(argv)
    print(f"moved {reindex(Store(args.table), args.first, args.last)} sails to {keys.sails_by_date()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
