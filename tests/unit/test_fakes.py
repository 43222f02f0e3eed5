"""The shared fakes themselves (tests/unit/fakes.py): the fake store must do what DynamoDB does
and refuse what DynamoDB refuses, or the unit tests built on it prove nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from quarterdeck.errors import ServiceUnavailableError
from quarterdeck.store import ConditionFailedError, Item, TransactionCanceledError, Write
from tests.unit.fakes import (
    FakeMailer,
    FakeStore,
    FixedClock,
    Query,
    StoreRefusedError,
    apply_update,
    busy,
    holds,
)


# --- conditions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "item", "expected"),
    [
        ("attribute_not_exists(pk)", None, True),
        ("attribute_not_exists(pk)", {"pk": "A"}, False),
        ("attribute_exists(pk) AND #s = :on", {"pk": "A", "status": "on"}, True),
        ("attribute_exists(pk) AND #s = :on", {"pk": "A", "status": "off"}, False),
        ("attribute_exists(pk) AND #s <> :off", {"pk": "A"}, True),  # missing <> value is true
        ("attribute_not_exists(n) OR n <= :room", {"n": 4}, True),
        ("attribute_not_exists(n) OR n <= :room", {"n": 5}, False),
        ("attribute_exists(pk) AND (attribute_not_exists(n) OR n <= :room)", {"pk": "A", "n": 6}, False),
        ("NOT attribute_exists(n)", {"n": 1}, False),
        ("n < :room", {}, False),  # a missing attribute is not less than anything
        ("n < :room", {"n": "3"}, False),  # a string is not compared with a number
        ("n = :room", {"n": True}, False),  # nor is a boolean equal to a number
        ("n BETWEEN :zero AND :room", {"n": 4}, True),
        ("n BETWEEN :zero AND :room", {"n": 5}, False),
        ("#s IN (:on, :off)", {"status": "off"}, True),
        ("begins_with(#s, :on)", {"status": "online"}, True),
        ("contains(tags, :on)", {"tags": {"on", "x"}}, True),
        ("#r.#j > :zero", {"revoked": {"j1": 1}}, True),
        ("#r.#j > :zero", {"revoked": {}}, False),
    ],
)
def test_fake_conditions(condition: str, item: Item | None, expected: bool) -> None:
    names = {"#s": "status", "#r": "revoked", "#j": "j1"}
    assert holds(condition, item, names, {":on": "on", ":off": "off", ":room": 4, ":zero": 0}) is expected


@pytest.mark.parametrize(
    ("condition", "names", "values"),
    [
        ("#s = :on", {}, {":on": "on"}),  # an undefined name
        ("n = :on", {}, {}),  # an undefined value
        ("n = :on", {}, {":on": None}),  # the real Store drops None values from the request
        ("status = :on", {}, {":on": "on"}),  # a reserved word must go through a name
        ("attribute_exists(pk) AND", {}, {}),  # not an expression
        ("n ~ :on", {}, {":on": 1}),
    ],
)
def test_the_fake_refuses_conditions_dynamodb_refuses(condition: str, names: dict[str, str], values: Any) -> None:
    with pytest.raises(StoreRefusedError):
        holds(condition, {"n": 1, "status": "on"}, names, values)


# --- updates ---------------------------------------------------------------------------------
def test_fake_updates_add_with_default_and_remove() -> None:
    item = {"pk": "A", "lease": 3}
    updated = apply_update(
        item,
        "SET n = if_not_exists(n, :zero) + :two, #s = :on REMOVE lease",
        {"#s": "status"},
        {":zero": 0, ":two": 2, ":on": "on"},
    )
    assert updated == {"pk": "A", "n": 2, "status": "on"}
    assert apply_update(updated, "SET n = if_not_exists(n, :zero) + :two", {}, {":zero": 0, ":two": 2})["n"] == 4
    assert item == {"pk": "A", "lease": 3}  # the original is left as it was


def test_fake_updates_add_and_delete_on_numbers_sets_and_maps() -> None:
    item: Item = {"pk": "A", "sk": "M", "revoked": {"j1": 1}}
    names = {"#c": "count", "#r": "revoked", "#j": "j2"}
    updated = apply_update(item, "ADD #c :one, tags :tags SET #r.#j = :one", names, {":one": 1, ":tags": {"a", "b"}})
    assert updated == {"pk": "A", "sk": "M", "count": 1, "tags": {"a", "b"}, "revoked": {"j1": 1, "j2": 1}}
    updated = apply_update(updated, "ADD #c :one DELETE tags :a", {"#c": "count"}, {":one": 1, ":a": {"a"}})
    assert (updated["count"], updated["tags"]) == (2, {"b"})
    # an emptied set disappears, like DynamoDB's
    assert "tags" not in apply_update(updated, "DELETE tags :b", {}, {":b": {"b"}})
    assert apply_update(updated, "REMOVE #r.#j", {"#r": "revoked", "#j": "j1"}, {})["revoked"] == {"j2": 1}
    assert apply_update({"l": [1]}, "SET l = list_append(l, :more)", {}, {":more": [2]}) == {"l": [1, 2]}


@pytest.mark.parametrize(
    ("update", "values"),
    [
        ("SET pk = :v", {":v": "B"}),  # a key attribute
        ("SET n = missing + :v", {":v": 1}),  # arithmetic on an attribute the item does not have
        ("SET n = title + :v", {":v": 1}),  # arithmetic on a string
        ("SET n = :v, n = :v", {":v": 1}),  # two actions on one path
        ("SET m = :v REMOVE m", {":v": 1}),
        ("SET gone.x = :v", {":v": 1}),  # a map that is not there
        ("ADD title :v", {":v": 1}),  # ADD to a string
        ("DELETE n :v", {":v": {1}}),  # DELETE from a number
        ("SET n = :v", {":v": set()}),  # an empty set
        ("SET n = :v SET m = :v", {":v": 1}),  # SET twice
        ("", {}),
    ],
)
def test_the_fake_refuses_updates_dynamodb_refuses(update: str, values: dict[str, Any]) -> None:
    with pytest.raises(StoreRefusedError):
        apply_update({"pk": "A", "sk": "M", "n": 1, "title": "t"}, update, {}, values)


def test_a_request_with_unused_names_or_values_is_refused(store: FakeStore) -> None:
    store.items[("A", "M")] = {"pk": "A", "sk": "M", "n": 1}
    with pytest.raises(StoreRefusedError, match="Values"):
        store.update("A", "M", "SET n = :v", values={":v": 2, ":w": 3})
    with pytest.raises(StoreRefusedError, match="Names"):
        store.update("A", "M", "SET n = :v", names={"#x": "x"}, values={":v": 2})
    with pytest.raises(StoreRefusedError):
        store.put({"pk": "A", "sk": "N"}, values={":v": 1})  # values without an expression
    assert store.items[("A", "M")]["n"] == 1


# --- writes and reads ------------------------------------------------------------------------
def test_items_come_back_as_the_real_store_returns_them(store: FakeStore) -> None:
    # Given an item written with a None, a whole float, a tuple and a set
    store.put({"pk": "A", "sk": "M", "gone": None, "n": 2.0, "f": 1.5, "pair": ("x", "y"), "tags": {"b", "a"}})
    found = store.get("A", "M")
    # Then it reads back without the None, the float as an int, lists for the tuple and the set
    assert found == {"pk": "A", "sk": "M", "n": 2, "f": 1.5, "pair": ["x", "y"], "tags": ["a", "b"]}
    # And what was read is a copy
    assert found is not None
    found["n"] = 3
    assert store.get("A", "M") == {**found, "n": 2}


@pytest.mark.parametrize(
    "item",
    [{"pk": "A"}, {"pk": "", "sk": "M"}, {"pk": "A", "sk": 1}, {"pk": "A", "sk": "M", "gsi1pk": 5}],
)
def test_items_without_proper_keys_are_refused(store: FakeStore, item: Item) -> None:
    with pytest.raises(StoreRefusedError):
        store.put(item)
    assert store.items == {}


def test_a_lost_condition_reports_the_current_item(store: FakeStore) -> None:
    store.put({"pk": "A", "sk": "M", "v": 2, "tags": {"x"}})
    with pytest.raises(ConditionFailedError) as lost:
        store.update("A", "M", "SET v = v + :one", condition="v = :one", values={":one": 1})
    assert lost.value.current == {"pk": "A", "sk": "M", "v": 2, "tags": ["x"]}
    with pytest.raises(ConditionFailedError) as missing:
        store.update("B", "M", "SET v = v + :one", condition="attribute_exists(pk)", values={":one": 1})
    assert missing.value.current is None and ("B", "M") not in store.items
    with pytest.raises(ConditionFailedError):
        store.put({"pk": "A", "sk": "M"}, condition="attribute_not_exists(pk)")
    with pytest.raises(ConditionFailedError):
        store.delete("B", "M", condition="attribute_exists(pk)")
    assert store.items[("A", "M")]["v"] == 2


def test_an_update_without_a_condition_creates_the_item(store: FakeStore) -> None:
    assert store.update("A", "M", "ADD n :one", values={":one": 1}) == {"pk": "A", "sk": "M", "n": 1}


def test_queries_of_the_table_and_of_the_sparse_index(store: FakeStore) -> None:
    # Given three items of one partition, two of them on the index
    store.put_many(
        [
            {"pk": "P", "sk": "A#1", "gsi1pk": "IDX", "gsi1sk": "2026-01-02"},
            {"pk": "P", "sk": "A#2", "gsi1pk": "IDX", "gsi1sk": "2026-01-01"},
            {"pk": "P", "sk": "B#1"},
        ]
    )
    assert [i["sk"] for i in store.query("P")] == ["A#1", "A#2", "B#1"]
    assert [i["sk"] for i in store.query("P", sk_prefix="A#", forward=False)] == ["A#2", "A#1"]
    assert [i["sk"] for i in store.query("P", sk_between=("A#2", "B#1"))] == ["A#2", "B#1"]
    assert [i["sk"] for i in store.query("IDX", index="gsi1")] == ["A#2", "A#1"]
    assert [i["sk"] for i in store.query("IDX", index="gsi1", forward=False, limit=1)] == ["A#1"]
    assert [i["sk"] for i in store.query("IDX", index="gsi1", sk_between=("2026-01-02", "2026-12-31"))] == ["A#1"]
    # And each Query is recorded with what it asked and what it read
    assert store.calls == ["batch_write", "query", "query", "query", "query", "query", "query"]
    assert store.queries[4] == Query("IDX", index="gsi1", forward=False, limit=1)
    assert store.read[-2:] == [("P", "A#1"), ("P", "A#1")]
    # And a Query up to a sort key reads the partition's head only
    assert [i["sk"] for i in store.query("P", sk_before="B#")] == ["A#1", "A#2"]


@pytest.mark.parametrize(
    "options",
    [{"index": "gsi9"}, {"limit": 0}, {"sk_between": ("b", "a")}],
)
def test_queries_dynamodb_refuses_are_refused(store: FakeStore, options: dict[str, Any]) -> None:
    with pytest.raises(StoreRefusedError):
        store.query("P", **options)


def test_batch_get_is_one_call_per_hundred_keys_and_refuses_duplicates(store: FakeStore) -> None:
    store.put_many([{"pk": f"P{n}", "sk": "M"} for n in range(150)])
    store.calls.clear()
    assert len(store.batch_get([(f"P{n}", "M") for n in range(160)])) == 150
    assert store.batch_get([]) == []
    assert store.calls == ["batch_get", "batch_get"]
    with pytest.raises(StoreRefusedError):
        store.batch_get([("P1", "M"), ("P1", "M")])


# --- transactions ----------------------------------------------------------------------------
def test_fake_transaction_is_all_or_nothing() -> None:
    store = FakeStore()
    store.items[("A", "1")] = {"pk": "A", "sk": "1"}
    with pytest.raises(TransactionCanceledError) as lost:
        store.transact(
            [
                Write("Put", item={"pk": "A", "sk": "2"}, condition="attribute_not_exists(pk)"),
                Write("Put", item={"pk": "A", "sk": "1", "x": 1}, condition="attribute_not_exists(pk)"),
            ]
        )
    assert lost.value.reasons == ["None", "ConditionalCheckFailed"]
    assert ("A", "2") not in store.items


def test_a_transaction_applies_every_kind_of_action(store: FakeStore) -> None:
    store.put_many([{"pk": "A", "sk": "1", "n": 1}, {"pk": "A", "sk": "2"}, {"pk": "A", "sk": "3"}])
    store.transact(
        [
            Write("Put", item={"pk": "A", "sk": "4"}, condition="attribute_not_exists(pk)"),
            Write("Update", key={"pk": "A", "sk": "1"}, update="SET n = n + :one", values={":one": 1}),
            Write("Delete", key={"pk": "A", "sk": "2"}, condition="attribute_exists(pk)"),
            Write("ConditionCheck", key={"pk": "A", "sk": "3"}, condition="attribute_exists(pk)"),
        ]
    )
    assert sorted(store.items) == [("A", "1"), ("A", "3"), ("A", "4")]
    assert store.items[("A", "1")]["n"] == 2


@pytest.mark.parametrize(
    "writes",
    [
        [],
        [Write("Put", item={"pk": "A", "sk": "1"}), Write("Delete", key={"pk": "A", "sk": "1"})],  # one item twice
        [Write("ConditionCheck", key={"pk": "A", "sk": "1"})],  # a check without its condition
        [Write("Update", key={"pk": "A", "sk": "1"})],  # an update without its expression
        [Write("Put", item={"pk": "A", "sk": str(n)}) for n in range(101)],
        [Write("Put", item={"pk": "A", "sk": "1"}, condition="attribute_not_exists(pk)", values={":x": 1})],
    ],
)
def test_transactions_dynamodb_refuses_write_nothing(store: FakeStore, writes: list[Write]) -> None:
    with pytest.raises(StoreRefusedError):
        store.transact(writes)
    assert store.items == {}


# --- faults ----------------------------------------------------------------------------------
def test_a_failed_call_writes_nothing_and_a_lost_answer_still_writes(store: FakeStore) -> None:
    store.fail_next["put"] = busy()
    with pytest.raises(ServiceUnavailableError):
        store.put({"pk": "A", "sk": "1"})
    assert store.items == {}
    store.lose_answer_next["transact"] = busy()
    with pytest.raises(ServiceUnavailableError):
        store.transact([Write("Put", item={"pk": "A", "sk": "1"})])
    assert ("A", "1") in store.items
    # Each fault is for the next call only
    store.put({"pk": "A", "sk": "2"})
    assert store.calls == ["put", "transact", "put"]


def test_a_hook_runs_once_before_the_next_call(store: FakeStore) -> None:
    # Given another writer that lands just before our conditional put
    store.before_next["put"] = lambda: store.put({"pk": "A", "sk": "1", "by": "them"})
    with pytest.raises(ConditionFailedError) as lost:
        store.put({"pk": "A", "sk": "1", "by": "us"}, condition="attribute_not_exists(pk)")
    assert lost.value.current == {"pk": "A", "sk": "1", "by": "them"}


# --- the other fakes -------------------------------------------------------------------------
def test_the_mailer_fails_the_next_sends_or_all() -> None:
    from quarterdeck.mail import OutgoingEmail

    email = OutgoingEmail(kind="k", to=("a@example.com",), subject="s", text="t", html="h")
    mailer = FakeMailer()
    mailer.failures = 1
    with pytest.raises(ServiceUnavailableError):
        mailer.send(email)
    assert mailer.send(email) == "message-1" and mailer.to("a@example.com") == [email]
    with pytest.raises(ServiceUnavailableError):
        FakeMailer(failing=True).send(email)


def test_the_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))
    clock.tick(5)
    assert clock() == datetime(2026, 11, 23, 18, 5, tzinfo=UTC)
