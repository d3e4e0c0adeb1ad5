"""
C{on_conflict} (ignore, replace, upsert) and C{returning}, the same on
every backend.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import error_of

ITEMS: dict[str, Any] = {
    "name": "items",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "code", "type": "text", "not_null": True, "unique": True},
        {"name": "qty", "type": "integer", "default": 1},
        {"name": "note", "type": "text"},
    ],
}
PAIRS: dict[str, Any] = {
    "name": "pairs",
    "columns": [
        {"name": "a", "type": "text", "primary_key": True},
        {"name": "b", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}


@pytest_twisted.async_fixture()
async def items(client: DriverClient) -> DriverClient:
    await client.create_table(ITEMS)
    await client.create_table(PAIRS)
    return client


async def _rows(client: DriverClient, table: str = "items") -> list[dict[str, Any]]:
    order = ["id"] if table == "items" else ["a", "b"]
    return list(await client.select(table, order_by=order))


@pytest_twisted.ensureDeferred
async def test_ignore(items: DriverClient) -> None:
    first = await items.insert("items", {"code": "a", "note": "first"})
    assert await items.insert("items", {"code": "a"}, on_conflict="ignore") is None
    got = await items.insert(
        "items", {"code": "a"}, on_conflict="ignore", returning=["id"]
    )
    assert got is None
    written = await items.insert_many(
        "items", [{"code": "a"}, {"code": "b"}, {"code": "c"}], on_conflict="ignore"
    )
    assert written == 2
    many = await items.insert_many(
        "items",
        [{"code": "b"}, {"code": "d"}],
        on_conflict="ignore",
        returning=["code", "qty"],
    )
    assert many == [None, {"code": "d", "qty": 1}]
    rows = await _rows(items)
    assert [r["code"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0] == {"id": first, "code": "a", "qty": 1, "note": "first"}


@pytest_twisted.ensureDeferred
async def test_replace(items: DriverClient) -> None:
    key = await items.insert("items", {"code": "a", "qty": 5, "note": "old"})
    again = await items.insert(
        "items", {"id": key, "code": "a2", "note": "new"}, on_conflict="replace"
    )
    assert again == key
    # the row is replaced whole: columns left out take their defaults
    assert await _rows(items) == [{"id": key, "code": "a2", "qty": 1, "note": "new"}]
    got = await items.insert(
        "items",
        {"id": key, "code": "a3"},
        on_conflict="replace",
        returning=["id", "code", "note"],
    )
    assert got == {"id": key, "code": "a3", "note": None}
    # a conflict on another unique key replaces that row (a new key)
    other = await items.insert("items", {"code": "b", "qty": 2})
    newer = await items.insert("items", {"code": "b", "qty": 3}, on_conflict="replace")
    assert newer not in (None, key, other)
    assert await items.select("items", {"code": "b"}, columns=["id", "qty"]) == [
        {"id": newer, "qty": 3}
    ]
    # one new row replacing two: it takes one's key and the other's code
    written = await items.insert_many(
        "items", [{"id": key, "code": "b", "note": "both"}], on_conflict="replace"
    )
    assert written == 1
    assert await _rows(items) == [{"id": key, "code": "b", "qty": 1, "note": "both"}]
    await items.insert("pairs", {"a": "x", "b": 1, "v": "one"})
    await items.insert_many(
        "pairs",
        [{"a": "x", "b": 1, "v": "uno"}, {"a": "x", "b": 2, "v": "dos"}],
        on_conflict="replace",
    )
    assert await _rows(items, "pairs") == [
        {"a": "x", "b": 1, "v": "uno"},
        {"a": "x", "b": 2, "v": "dos"},
    ]


@pytest_twisted.ensureDeferred
async def test_upsert(items: DriverClient) -> None:
    key = await items.insert("items", {"code": "a", "qty": 1, "note": "keep"})
    upsert = {"target": ["code"], "update": ["qty"]}
    same = await items.insert(
        "items", {"code": "a", "qty": 7, "note": "ignored"}, on_conflict=upsert
    )
    assert same == key  # the existing row's key
    assert await _rows(items) == [{"id": key, "code": "a", "qty": 7, "note": "keep"}]
    got = await items.insert(
        "items", {"code": "a", "qty": 8}, on_conflict=upsert, returning=["qty", "note"]
    )
    assert got == {"qty": 8, "note": "keep"}
    new = await items.insert("items", {"code": "b", "qty": 2}, on_conflict=upsert)
    assert new not in (None, key)
    nothing = {"target": ["code"], "update": []}
    assert await items.insert("items", {"code": "b"}, on_conflict=nothing) is None
    written = await items.insert_many(
        "items", [{"code": "a", "qty": 9}, {"code": "c", "qty": 3}], on_conflict=upsert
    )
    assert written == 2
    assert [(r["code"], r["qty"]) for r in await _rows(items)] == [
        ("a", 9),
        ("b", 2),
        ("c", 3),
    ]
    error = await error_of(
        items.insert("items", {"code": "z", "qty": 1}, on_conflict={"target": ["nope"]})
    )
    assert error.code == "no_such_column"


@pytest_twisted.ensureDeferred
async def test_returning(items: DriverClient) -> None:
    got = await items.insert("items", {"code": "a"}, returning=["id", "code", "qty"])
    assert set(got) == {"id", "code", "qty"}
    assert (got["code"], got["qty"]) == ("a", 1)
    many = await items.insert_many(
        "items", [{"code": "b", "qty": 2}, {"code": "c", "qty": 3}], returning=["qty"]
    )
    assert many == [{"qty": 2}, {"qty": 3}]
    assert await items.insert("pairs", {"a": "k", "b": 1}) is None  # no integer key
    assert await items.insert("pairs", {"a": "k", "b": 2}, returning=["a", "b"]) == {
        "a": "k",
        "b": 2,
    }
    error = await error_of(items.insert("items", {"code": "d"}, returning=["nope"]))
    assert error.code == "no_such_column"
    assert await items.count("items") == 3


@pytest_twisted.ensureDeferred
async def test_explicit_and_generated_keys_mix(items: DriverClient) -> None:
    assert await items.insert("items", {"id": 5, "code": "five"}) == 5
    generated = await items.insert("items", {"code": "next"})
    assert generated != 5
    assert await items.insert("items", {"id": None, "code": "null key"}) not in (
        None,
        5,
        generated,
    )
    assert await items.insert_many("items", [{"id": 50, "code": "x"}]) == 1
    more = [await items.insert("items", {"code": f"n{i}"}) for i in range(3)]
    assert len({5, 50, generated, *more}) == 6
    assert await items.count("items") == 7


@pytest_twisted.ensureDeferred
async def test_large_batches_count_and_keep_their_order(items: DriverClient) -> None:
    """
    Batches long enough to be written several rows a statement: counts,
    ids in row order, conflicts inside the batch and with the table, and
    all-or-nothing on an error, as row by row.
    """
    rows = [{"code": f"c{n:04d}", "qty": n} for n in range(1000)]
    assert await items.insert_many("items", rows[:600]) == 600
    assert await items.insert_many("items", rows, on_conflict="ignore") == 400
    stored = await _rows(items)
    assert [r["code"] for r in stored] == [r["code"] for r in rows]
    assert [r["id"] for r in stored] == sorted(r["id"] for r in stored)
    # an upsert batch whose rows also conflict with each other: the last wins
    twice = [{"code": f"c{n % 300:04d}", "qty": -n} for n in range(555)]
    upsert = {"target": ["code"], "update": ["qty"]}
    assert await items.insert_many("items", twice, on_conflict=upsert) == 555
    qty = {r["code"]: r["qty"] for r in await _rows(items)}
    assert qty["c0000"] == -300 and qty["c0254"] == -554 and qty["c0299"] == -299
    assert qty["c0300"] == 300 and len(qty) == 1000
    # one bad row in the middle of a long batch: nothing of it is written
    bad = [{"code": f"d{n:04d}"} for n in range(700)] + [{"code": "c0001"}]
    error = await error_of(items.insert_many("items", bad + bad[:50]))
    assert error.code == "constraint_violation"
    assert await items.count("items") == 1000
