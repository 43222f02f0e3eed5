"""One-off: put what the People page reads, written before 2026-12-04, on the people index.

Since then every person write (`repositories.person_records`) and every suppression
(`DeliveryRepository.suppress`) sets GSI1 keys in `PEOPLE#ALL` (`keys.people_index`,
`keys.suppression_index`), so the page lists everyone and whose mail bounces in one Query.
Older person records get them at their next sign-in, invite or settings change, older
suppressions never; until then an admin does not see those people, or those bounces (sends
still skip the addresses: they read the `SUPPRESSIONS` partition).

Suppressions share one partition (one Query, paged). Person records share none, so for them
this Scans the table (paged, keys only, a filter for person records without GSI1 keys); a
route never Scans. Safe to run again: an indexed item is skipped, and the write's condition
skips one indexed meanwhile.

    python -m local.index_people --table <table name>
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local.environment import add_code_paths

add_code_paths()  # run as `python -m local.<one-off>` from the repository root: the layer as Lambda sees it
from quarterdeck import keys  # noqa: E402
from quarterdeck.errors import ServiceUnavailableError  # noqa: E402
from quarterdeck.store import ConditionFailedError, Store  # noqa: E402

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


def _set_index_keys(store: Store, key: tuple[str, str], index_key: tuple[str, str]) -> bool:
    """Give the item at `key` the GSI1 keys `index_key`; False if it has some already (or is gone)."""
    try:
        store.update(
            *key,
            "SET gsi1pk = :gpk, gsi1sk = :gsk",
            condition="attribute_exists(pk) AND attribute_not_exists(gsi1pk)",
            values={":gpk": index_key[0], ":gsk": index_key[1]},
            returning=False,
        )
    except ConditionFailedError:  # indexed (or deleted) since it was read
        return False
    return True


def index_people(store: Store) -> int:
    """Give every person record its GSI1 keys; returns how many had none."""
    return sum(
        _set_index_keys(store, keys.person(email), keys.people_index(email))
        for email in _unindexed_people(store.table_name)
    )


def index_suppressions(store: Store) -> int:
    """Give every suppression its GSI1 keys; returns how many had none."""
    return sum(
        _set_index_keys(store, keys.suppression(str(item["email"])), keys.suppression_index(str(item["email"])))
        for item in store.query(keys.SUPPRESSIONS)
        if item.get("type") == "suppression" and not item.get("gsi1pk")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.index_people", description=__doc__)
    parser.add_argument("--table", required=True)
    args = parser.parse_args(argv)
    store = Store(args.table)
    try:
        people, suppressions = index_people(store), index_suppressions(store)
    except (BotoCoreError, ClientError, ServiceUnavailableError) as error:
        print(
            f"could not index table {args.table!r}: {error}\n"
            "Check --table (the stack's TableName output) and that AWS_REGION and your credentials"
            " reach that account; items indexed so far stay indexed, so running again is safe.",
            file=sys.stderr,
        )
        return 1
    print(f"indexed {people} person records and {suppressions} suppressions in {keys.PEOPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
