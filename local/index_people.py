"""One-off: put person records written before the roster (2026-12-04) on the people index.

Since then every person write (`repositories.person_records`) sets GSI1 keys
(`keys.people_index`), so the People page lists everyone in one Query of `PEOPLE#ALL`. Older
records get them at their next sign-in, invite or settings change; until then an admin does
not see them on the People page. Person records share no partition, so this one-off Scans the
table (paged, keys only, a filter for person records without GSI1 keys) and sets the keys on
each; a route never Scans. Safe to run again: an indexed record is skipped by the filter and
by the write's condition.

    python -m local.index_people --table <table name>
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

import boto3

from quarterdeck import keys
from quarterdeck.store import ConditionFailedError, Store

_PERSON_PREFIX = keys.person("")[0]  # "PERSON#"


def _unindexed_people(table: str) -> Iterator[str]:
    """The addresses of person records without GSI1 keys (a plain client: the app's own are built
    from service models without Scan, `quarterdeck.aws_models`)."""
    pages = (
        boto3.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :person) AND sk = :meta AND attribute_not_exists(gsi1pk)",
            ProjectionExpression="pk",
            ExpressionAttributeValues={":person": {"S": _PERSON_PREFIX}, ":meta": {"S": keys.person("")[1]}},
        )
    )
    for page in pages:
        item: dict[str, Any]
        for item in page.get("Items", []):
            yield str(item["pk"]["S"])[len(_PERSON_PREFIX) :]


def index_people(store: Store) -> int:
    """Give every person record its GSI1 keys; returns how many had none."""
    indexed = 0
    for email in _unindexed_people(store.table_name):
        gsi1pk, gsi1sk = keys.people_index(email)
        try:
            store.update(
                *keys.person(email),
                "SET gsi1pk = :gpk, gsi1sk = :gsk",
                condition="attribute_exists(pk) AND attribute_not_exists(gsi1pk)",
                values={":gpk": gsi1pk, ":gsk": gsi1sk},
                returning=False,
            )
        except ConditionFailedError:  # indexed (or deleted) since the Scan saw it
            continue
        indexed += 1
    return indexed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.index_people", description=__doc__)
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    print(f"indexed {index_people(Store(args.table))} person records in {keys.PEOPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
