"""moto's TransactWriteItems, backing up only the items a transaction touches.

Written against moto 5.2.5 (requirements-dev.txt). `install()` checks the internals this
relies on and raises `MotoInternalsChangedError` if they changed: re-read moto's
`DynamoDBBackend.transact_write_items` and `Table` before adapting it to a new version.

What moto does: before applying the actions, `transact_write_items` deep-copies every table
the actions name (`copy.deepcopy(self.tables[name])`, O(table) per transaction: 75-100 ms
on the bench's seeded table) and, if an action fails, puts those copies back in
`self.tables`. Everything else (conditions, CancellationReasons, duplicate keys) is moto's.

What this patch does instead, per transaction:
- Before moto runs, it reads each action's key from the request (a Put's from its `Item`,
  the others' from `Key`) and keeps the item stored under it, or notes that there is none.
  That is O(items in the transaction). Only an Update's item is deep-copied: moto changes
  that Item in place, while a Put stores a new Item and a Delete only removes the old one.
- While moto runs, `copy.deepcopy(table)` inside moto's models returns the live table, so
  moto's own "backup" costs nothing and its rollback (`self.tables[name] = backup`) puts
  the same table back: a no-op. `copy.deepcopy(item)` returns the item too: moto copies an
  item before an Update only to record the old image on the table's stream.
- If moto raises (TransactionCanceledException with its reasons, or a validation error part
  way through), every touched key gets its old item back, or loses the item it did not have,
  and the exception goes on unchanged. All or nothing, as before.

Why restoring items restores what queries return: moto keeps a table's items only in
`Table.items` (`{hash: Item}`, or `{hash: {range: Item}}` with a sort key) and derives
index (GSI/LSI) results from them on every Query/Scan (`all_items()`, `has_idx_items()`);
there is no separate index state to roll back. Tables with a stream (moto records writes in
`stream_shard`) and requests whose keys cannot be read here (moto rejects them anyway) go
through moto's own whole-table backup unchanged.
"""

from __future__ import annotations

import copy
import inspect
import threading
from dataclasses import dataclass
from typing import Any

WRITTEN_AGAINST_MOTO = "5.2.5"


class MotoInternalsChangedError(RuntimeError):
    """moto's DynamoDB internals no longer look like the ones this patch was written against."""


@dataclass
class _ItemBefore:
    """One touched key and what it held before the transaction."""

    table: Any  # moto.dynamodb.models.table.Table
    hash_key: Any  # DynamoType
    range_key: Any  # DynamoType, or None on a table without a sort key
    had_hash_bucket: bool  # sort-key tables: whether `items[hash_key]` existed (moto's defaultdict adds it)
    item: Any  # the Item stored there (a deep copy for an Update), or None if there was none

    def restore(self) -> None:
        items = self.table.items
        if self.table.range_key_attr is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        if self.item is not None:
            items[self.hash_key][self.range_key] = self.item
            return
        bucket = items.get(self.hash_key)
        if bucket is not None:
            bucket.pop(self.range_key, None)
            if not bucket and not self.had_hash_bucket:
                del items[self.hash_key]


def items_before(backend: Any, transact_items: Any) -> list[_ItemBefore] | None:
    """What each key the actions touch holds now; None when this transaction needs moto's own backup."""
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models.dynamo_type import DynamoType

    before: dict[tuple[int, Any, Any], _ItemBefore] = {}
    try:
        for action in transact_items:
            if not isinstance(action, dict) or len(action) != 1:
                return None  # moto rejects it, possibly after applying earlier actions: its own rollback
            ((kind, op),) = action.items()
            if kind not in {"ConditionCheck", "Put", "Delete", "Update"}:
                continue  # moto cancels this action without writing anything
            try:
                table = backend.get_table(op["TableName"])
            except ResourceNotFoundException:  # moto cancels this action without writing anything
                continue
            if table.stream_shard is not None:
                return None  # the stream's records would need rolling back too
            key = op["Item"] if kind == "Put" else op["Key"]
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            identity = (id(table), hash_key, range_key)
            if identity in before:
                continue  # moto cancels a transaction naming a key twice; the first copy is the state before
            stored = table.items.get(hash_key)
            if range_key is None:
                had_bucket, item = stored is not None, stored
            else:
                had_bucket, item = stored is not None, (stored or {}).get(range_key)
            kept = copy.deepcopy(item) if kind == "Update" else item  # only an Update changes the Item itself
            before[identity] = _ItemBefore(table, hash_key, range_key, had_bucket, kept)
    except Exception:  # a malformed request (no key, bad types): moto answers it as it always did
        return None
    return list(before.values())


class _TablesAreBackedUpByItem(threading.local):
    """Stands in for the `copy` module inside moto's DynamoDB models (`models.copy`).

    While this thread runs a transaction whose items were backed up, `deepcopy` of a table or
    an item returns it uncopied; everything else is the real `copy` module.
    """

    items_backed_up = False

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.dynamo_type import Item
        from moto.dynamodb.models.table import Table

        if self.items_backed_up and isinstance(value, Table | Item):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _source(function: Any) -> str:
    return inspect.getsource(function)


def check_moto_internals() -> None:
    """Fail loudly if moto no longer works the way this patch assumes (see the module docstring)."""
    import moto
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    transact = inspect.unwrap(models.DynamoDBBackend.transact_write_items)  # moto's, if installed
    expected = {
        "DynamoDBBackend.transact_write_items backs tables up with models.copy.deepcopy": (
            "original_table_state[table_name] = copy.deepcopy(" in _source(transact)
        ),
        "DynamoDBBackend.transact_write_items rolls back by putting the backups in self.tables": (
            "self.tables[table_name] = original_table_state[table_name]" in _source(transact)
        ),
        "models deep-copies only the backups and an Update's old image for the stream": (
            inspect.getsource(models).count("copy.deepcopy(") == 2
            and _source(models.DynamoDBBackend.update_item).count("orig_item") == 2
            and "table.stream_shard.add(orig_item, item)" in _source(models.DynamoDBBackend.update_item)
        ),
        "a Put stores a new Item, a Delete pops the old one": (
            "item = Item(hash_value, range_value, item_attrs)" in _source(Table.put_item)
            and ".pop(" in _source(Table.delete_item)
        ),
        "models.copy is the copy module (or this patch)": (
            getattr(models, "copy", None) is copy or isinstance(getattr(models, "copy", None), _TablesAreBackedUpByItem)
        ),
        "Table.items holds the items ({hash: Item} / {hash: {range: Item}})": (
            "self.items = defaultdict(dict)" in _source(Table.__init__)
            and "self.items[hash_value][range_value] = item" in _source(Table.put_item)
            and "self.items[hash_value] = item" in _source(Table.put_item)
        ),
        "queries and scans (indexes included) read Table.items": (
            "self.items.values()" in _source(Table.all_items)
            and "self.items.values()" in _source(Table.has_idx_items)
            and "self.all_items()" in _source(Table.query)
            and "self.all_items()" in _source(Table.scan)
            and "self.has_idx_items(" in _source(Table.scan)
        ),
        "writes record to a stream only through Table.stream_shard": hasattr(Table, "put_item")
        and "self.stream_shard.add(" in _source(Table.put_item),
    }
    broken = [what for what, holds in expected.items() if not holds]
    if broken:
        raise MotoInternalsChangedError(
            f"local/moto_transactions.py was written against moto {WRITTEN_AGAINST_MOTO}; "
            f"moto {getattr(moto, '__version__', '?')} no longer matches: {'; '.join(broken)}"
        )


def install() -> None:
    """Patch moto's DynamoDBBackend.transact_write_items (once per process)."""
    import moto.dynamodb.models as models

    if isinstance(getattr(models, "copy", None), _TablesAreBackedUpByItem):
        return
    check_moto_internals()
    shim = _TablesAreBackedUpByItem()
    models.copy = shim  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> None:
        before = items_before(self, transact_items)
        if before is None:
            original(self, transact_items)  # moto's whole-table backup
            return
        shim.items_backed_up = True
        try:
            original(self, transact_items)
        except BaseException:
            for item in before:
                item.restore()
            raise
        finally:
            shim.items_backed_up = False

    transact_write_items.__wrapped__ = original  # type: ignore[attr-defined]  # for check_moto_internals
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
