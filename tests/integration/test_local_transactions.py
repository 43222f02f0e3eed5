"""The local stack's TransactWriteItems is all or nothing while backing up only the items it touches.

local/moto_transactions.py replaces moto's whole-table backup with a backup of the keys the
actions name; these tests hold it to what DynamoDB promises: a cancelled transaction leaves
every item (and what GSI1 returns) exactly as before, a successful one applies everything.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local.stack import LocalStack
from quarterdeck.store import Store, TransactionCanceledError, Write


def _seed(store: Store) -> dict[str, Any]:
    """A partition with an item to update, one to delete and one to check, all on GSI1."""
    run = uuid.uuid4().hex
    pk, index_pk, new_pk = f"TXTEST#{run}", f"TXTESTIDX#{run}", f"TXTESTNEW#{run}"
    store.put({"pk": pk, "sk": "updated", "gsi1pk": index_pk, "gsi1sk": "1-updated", "count": 1, "tags": ["a"]})
    store.put({"pk": pk, "sk": "deleted", "gsi1pk": index_pk, "gsi1sk": "2-deleted", "note": "keep me"})
    store.put({"pk": pk, "sk": "checked", "gsi1pk": index_pk, "gsi1sk": "3-checked", "state": "open"})
    return {"pk": pk, "index_pk": index_pk, "new_pk": new_pk}


def _writes(ids: dict[str, Any], *, check_passes: bool) -> list[Write]:
    """Put a new item (in a partition that does not exist yet), Update, Delete, ConditionCheck."""
    pk = ids["pk"]
    return [
        Write(
            "Put",
            item={"pk": ids["new_pk"], "sk": "new", "gsi1pk": ids["index_pk"], "gsi1sk": "0-new"},
            condition="attribute_not_exists(pk)",
        ),
        Write(
            "Update",
            key={"pk": pk, "sk": "updated"},
            update="SET #count = #count + :one, gsi1sk = :moved, tags = :tags REMOVE gsi1pk",
            names={"#count": "count"},
            values={":one": 1, ":moved": "9-moved", ":tags": ["b"]},
        ),
        Write("Delete", key={"pk": pk, "sk": "deleted"}),
        # Last, so moto has already applied the three writes above when this one fails.
        Write(
            "ConditionCheck",
            key={"pk": pk, "sk": "checked"},
            condition="#state = :state",
            names={"#state": "state"},
            values={":state": "open" if check_passes else "closed"},
        ),
    ]


def _everything(store: Store, ids: dict[str, Any]) -> dict[str, Any]:
    """What a reader sees: each touched key, both partitions, and GSI1's partition."""
    return {
        "items": {sk: store.get(ids["pk"], sk, consistent=True) for sk in ("updated", "deleted", "checked")},
        "new": store.get(ids["new_pk"], "new", consistent=True),
        "partition": store.query(ids["pk"], consistent=True),
        "new_partition": store.query(ids["new_pk"], consistent=True),
        "index": store.query(ids["index_pk"], index="gsi1"),
    }


def test_a_cancelled_transaction_leaves_every_touched_item_as_it_was(stack: LocalStack) -> None:
    # Given an item to update, one to delete, one whose condition will fail, and a new key
    store = Store()
    ids = _seed(store)
    before = _everything(store, ids)
    assert [i["sk"] for i in before["index"]] == ["updated", "deleted", "checked"]

    # When a transaction puts the new item, updates, deletes, and then fails its condition check
    with pytest.raises(TransactionCanceledError) as cancelled:
        store.transact(_writes(ids, check_passes=False))

    # Then the caller is told which action failed, as DynamoDB does
    assert cancelled.value.reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    # And nothing changed: no new item, the update and the delete undone, the index as before
    assert _everything(store, ids) == before
    assert store.get(ids["new_pk"], "new") is None
    assert store.query(ids["new_pk"]) == []


def test_a_successful_transaction_applies_every_action(stack: LocalStack) -> None:
    # Given the same items
    store = Store()
    ids = _seed(store)

    # When the transaction's condition check passes
    store.transact(_writes(ids, check_passes=True))

    # Then every write landed, and GSI1 shows the new item and not the moved or deleted ones
    after = _everything(store, ids)
    assert after["new"] is not None
    assert after["items"]["updated"]["count"] == 2
    assert after["items"]["updated"]["tags"] == ["b"]
    assert "gsi1pk" not in after["items"]["updated"]
    assert after["items"]["deleted"] is None
    assert after["items"]["checked"]["state"] == "open"
    assert [i["sk"] for i in after["index"]] == ["new", "checked"]


def test_a_transaction_rejected_part_way_leaves_nothing_written(stack: LocalStack) -> None:
    # Given an item and a new key
    from botocore.exceptions import ClientError

    from quarterdeck.clients import client

    store = Store()
    ids = _seed(store)
    before = _everything(store, ids)
    writes = _writes(ids, check_passes=True)
    # moto applies the Put and the Update, then rejects the second action on the updated item
    twice = [*writes[:2], Write("Delete", key={"pk": ids["pk"], "sk": "updated"})]

    # When the transaction names one key twice (a validation error, raised mid-way in moto)
    with pytest.raises(ClientError) as rejected:
        client("dynamodb").transact_write_items(TransactItems=[w.to_request(store.table_name) for w in twice])

    # Then it is rejected and the writes moto had already applied are undone
    assert rejected.value.response["Error"]["Code"] == "ValidationException"
    assert _everything(store, ids) == before


def test_a_repeated_request_token_does_not_apply_a_transaction_twice(stack: LocalStack) -> None:
    # Given a transaction that committed with a request token
    from quarterdeck.clients import client

    store = Store()
    ids = _seed(store)
    request = {
        "TransactItems": [w.to_request(store.table_name) for w in _writes(ids, check_passes=True)[1:]],
        "ClientRequestToken": uuid.uuid4().hex,
    }
    client("dynamodb").transact_write_items(**request)
    after_first = _everything(store, ids)

    # When the same request arrives again (botocore's retry after a read timeout)
    client("dynamodb").transact_write_items(**request)

    # Then it succeeds and changes nothing: the counter was incremented once
    assert _everything(store, ids) == after_first
    assert after_first["items"]["updated"]["count"] == 2


def test_the_patch_refuses_a_moto_whose_internals_changed(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto's Table no longer deriving index results from Table.items
    from moto.dynamodb.models.table import Table

    from local.moto_transactions import MotoInternalsChangedError, check_moto_internals

    check_moto_internals()  # the pinned moto passes

    def all_items(self: Any) -> list[Any]:
        return list(self.item_store)

    monkeypatch.setattr(Table, "all_items", all_items)

    # When the patch checks moto's internals
    # Then it fails loudly, naming what no longer holds
    with pytest.raises(MotoInternalsChangedError, match="queries and scans"):
        check_moto_internals()
