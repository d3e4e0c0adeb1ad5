"""
The row methods (PROTOCOL.md section 4): insert, insert_many, update,
delete, select, count and the one-round-trip transaction batch, against the
real server; what they wrote is read back with a plain sqlite3 connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.exceptions import InvalidParams
from tests.support.live import error_of, query, running_driver, unchecked

ITEMS = {
    "name": "items",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
        {"name": "qty", "type": "integer", "default": 0},
        {"name": "note", "type": "text"},
    ],
}
CODES = {
    "name": "codes",
    "columns": [
        {"name": "code", "type": "text", "primary_key": True},
        {"name": "label", "type": "text"},
    ],
}
PLAIN = {"name": "plain", "columns": [{"name": "v", "type": "text"}]}


@pytest_twisted.async_yield_fixture()
async def client(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(ITEMS)
        yield client


def _items(tmp_path: Path) -> list[tuple[Any, ...]]:
    return query(tmp_path, "SELECT id, name, qty, note FROM items ORDER BY id")


@pytest_twisted.ensureDeferred
async def test_insert_returns_the_integer_key(
    client: DriverClient, tmp_path: Path
) -> None:
    assert await client.insert("items", {"name": "a", "qty": 3}) == 1
    assert await client.insert("items", {"name": "b", "note": "n"}) == 2
    assert await client.insert("items", {"id": 10, "name": "c"}) == 10
    assert _items(tmp_path) == [(1, "a", 3, None), (2, "b", 0, "n"), (10, "c", 0, None)]
    await client.create_table(CODES)
    await client.create_table(PLAIN)
    assert await client.insert("codes", {"code": "x", "label": "y"}) is None
    assert await client.insert("plain", {"v": "z"}) is None
    assert query(tmp_path, "SELECT code, label FROM codes") == [("x", "y")]
    assert query(tmp_path, "SELECT v FROM plain") == [("z",)]


@pytest_twisted.ensureDeferred
async def test_insert_on_conflict(client: DriverClient, tmp_path: Path) -> None:
    first = await client.insert("items", {"name": "a", "qty": 1, "note": "old"})
    error = await error_of(client.insert("items", {"name": "a"}))
    assert error.code == "constraint_violation"
    ignored = await client.insert(
        "items", {"name": "a", "qty": 9}, on_conflict="ignore"
    )
    assert ignored is None
    assert _items(tmp_path) == [(first, "a", 1, "old")]
    upsert = {"target": ["name"], "update": ["qty"]}
    kept = await client.insert(
        "items", {"name": "a", "qty": 5, "note": "new"}, on_conflict=upsert
    )
    assert kept == first
    assert _items(tmp_path) == [(first, "a", 5, "old")]
    nothing = {"target": ["name"], "update": []}
    assert await client.insert("items", {"name": "a"}, on_conflict=nothing) is None
    replaced = await client.insert(
        "items", {"name": "a", "qty": 7}, on_conflict="replace"
    )
    assert replaced != first
    assert _items(tmp_path) == [(replaced, "a", 7, None)]


@pytest_twisted.ensureDeferred
async def test_insert_returning(client: DriverClient, tmp_path: Path) -> None:
    row = await client.insert(
        "items", {"name": "a", "note": "n"}, returning=["id", "name", "qty"]
    )
    assert row == {"id": 1, "name": "a", "qty": 0}
    ignored = await client.insert(
        "items", {"name": "a"}, on_conflict="ignore", returning=["id"]
    )
    assert ignored is None
    upserted = await client.insert(
        "items",
        {"name": "a", "qty": 4},
        on_conflict={"target": ["name"], "update": ["qty"]},
        returning=["id", "qty", "note"],
    )
    assert upserted == {"id": 1, "qty": 4, "note": "n"}
    error = await error_of(client.insert("items", {"name": "b"}, returning=["nope"]))
    assert error.code == "no_such_column"
    assert _items(tmp_path) == [(1, "a", 4, "n")]


@pytest_twisted.ensureDeferred
async def test_insert_many(client: DriverClient, tmp_path: Path) -> None:
    rows = [{"name": n, "qty": q} for n, q in (("a", 1), ("b", 2), ("c", 3))]
    assert await client.insert_many("items", rows) == 3
    assert _items(tmp_path) == [(1, "a", 1, None), (2, "b", 2, None), (3, "c", 3, None)]
    assert await client.insert_many("items", []) == 0
    assert await client.insert_many("items", [], returning=["id"]) == []
    more = [{"name": n} for n in ("b", "d", "a", "e")]
    assert await client.insert_many("items", more, on_conflict="ignore") == 2
    assert [r[1] for r in _items(tmp_path)] == ["a", "b", "c", "d", "e"]


@pytest_twisted.ensureDeferred
async def test_insert_many_returning(client: DriverClient, tmp_path: Path) -> None:
    await client.insert("items", {"name": "taken"})
    rows = [
        {"name": "x", "qty": 1},
        {"name": "taken", "qty": 2},
        {"name": "y", "qty": 0},
    ]
    result = await client.insert_many(
        "items", rows, on_conflict="ignore", returning=["id", "name", "qty"]
    )
    # ids need not be consecutive: the ignored row may use one up
    stored = [{"id": i, "name": n, "qty": q} for i, n, q, _ in _items(tmp_path)]
    assert [r["name"] for r in stored] == ["taken", "x", "y"]
    assert result == [
        {"id": stored[1]["id"], "name": "x", "qty": 1},
        None,
        {"id": stored[2]["id"], "name": "y", "qty": 0},
    ]


@pytest_twisted.ensureDeferred
async def test_insert_many_is_atomic(client: DriverClient, tmp_path: Path) -> None:
    await client.insert("items", {"name": "taken"})
    before = _items(tmp_path)
    bad: list[list[dict[str, Any]]] = [
        [{"name": "p"}, {"name": "taken"}, {"name": "q"}],
        [{"name": "p"}, {"name": "q"}, {"name": "q"}],
        [{"name": "p"}, {"name": None}],
    ]
    for rows in bad:
        error = await error_of(client.insert_many("items", rows))
        assert error.code == "constraint_violation", rows
        error = await error_of(client.insert_many("items", rows, returning=["id"]))
        assert error.code == "constraint_violation", rows
    assert _items(tmp_path) == before
    unknown = await error_of(client.insert_many("items", [{"name": "p", "zz": 1}]))
    assert unknown.code == "no_such_column"
    assert _items(tmp_path) == before


@pytest_twisted.ensureDeferred
async def test_insert_many_rows_need_the_same_keys(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[dict[str, Any]] = [{"name": "p"}, {"name": "q", "qty": 1}]
    with pytest.raises(InvalidParams):
        await client.insert_many("items", rows)
    unchecked(monkeypatch)
    error = await error_of(client.insert_many("items", rows))
    assert error.code == "invalid_params"
    assert error.details == {"index": 1}
    assert _items(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_update_and_delete(client: DriverClient, tmp_path: Path) -> None:
    await client.insert_many("items", [{"name": n} for n in "abcde"])
    assert await client.update("items", {"name": {"in": ["a", "c"]}}, {"qty": 5}) == 2
    assert await client.update("items", {"name": "zz"}, {"qty": 1}) == 0
    changed = await client.update("items", {"id": 2}, {"qty": 8, "note": "x"})
    assert changed == 1
    assert [r[2:] for r in _items(tmp_path)] == [
        (5, None),
        (8, "x"),
        (5, None),
        (0, None),
        (0, None),
    ]
    assert await client.delete("items", {"qty": 0}) == 2
    assert await client.delete("items", {"qty": 0}) == 0
    assert [r[1] for r in _items(tmp_path)] == ["a", "b", "c"]
    assert await client.update("items", None, {"note": "all"}, all_rows=True) == 3
    assert query(tmp_path, "SELECT DISTINCT note FROM items") == [("all",)]
    assert await client.delete("items", all_rows=True) == 3
    assert _items(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_update_and_delete_need_a_where(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.insert_many("items", [{"name": n} for n in "ab"])
    with pytest.raises(InvalidParams):
        await client.update("items", None, {"qty": 1})
    with pytest.raises(InvalidParams):
        await client.delete("items", {})
    unchecked(monkeypatch)
    for call in (
        client.update("items", None, {"qty": 1}),
        client.update("items", {}, {"qty": 1}),
        client.delete("items"),
        client.delete("items", {}),
    ):
        error = await error_of(call)
        assert error.code == "invalid_params"
    assert _items(tmp_path) == [(1, "a", 0, None), (2, "b", 0, None)]


@pytest_twisted.ensureDeferred
async def test_select_and_count(client: DriverClient) -> None:
    data = [("a", 2, "x"), ("b", 1, "y"), ("c", 2, None), ("d", 1, "x")]
    await client.insert_many(
        "items", [{"name": n, "qty": q, "note": t} for n, q, t in data]
    )
    everything = await client.select("items")
    assert everything == [
        {"id": i, "name": n, "qty": q, "note": t} for i, (n, q, t) in enumerate(data, 1)
    ]
    names = await client.select(
        "items",
        columns=["name"],
        order_by=["qty", {"column": "name", "desc": True}],
    )
    assert [r["name"] for r in names] == ["d", "b", "c", "a"]
    assert names[0] == {"name": "d"}
    desc = await client.select(
        "items", columns=["id"], order_by=[{"column": "id", "desc": True}], limit=2
    )
    assert desc == [{"id": 4}, {"id": 3}]
    page = await client.select(
        "items", columns=["id"], order_by=["id"], limit=2, offset=1
    )
    assert page == [{"id": 2}, {"id": 3}]
    tail = await client.select("items", columns=["id"], order_by=["id"], offset=3)
    assert tail == [{"id": 4}]
    assert await client.select("items", {"qty": 2}, columns=["name"], limit=0) == []
    assert await client.select("items", {"note": "x"}, columns=["qty", "id"]) == [
        {"qty": 2, "id": 1},
        {"qty": 1, "id": 4},
    ]
    assert await client.count("items") == 4
    assert await client.count("items", {"qty": 1}) == 2
    assert await client.count("items", {"note": None}) == 1


@pytest_twisted.ensureDeferred
async def test_batch(client: DriverClient, tmp_path: Path) -> None:
    results = await client.batch(
        [
            {"method": "insert", "params": {"table": "items", "data": {"name": "a"}}},
            {
                "method": "insert_many",
                "params": {"table": "items", "rows": [{"name": "b"}, {"name": "c"}]},
            },
            {
                "method": "update",
                "params": {"table": "items", "where": {"id": 2}, "data": {"qty": 9}},
            },
            {"method": "delete", "params": {"table": "items", "where": {"id": 3}}},
            {"method": "select", "params": {"table": "items", "columns": ["qty"]}},
            {"method": "count", "params": {"table": "items"}},
            {"method": "execute", "params": {"sql": "SELECT max(id) FROM items"}},
        ]
    )
    assert results == [
        1,
        2,
        1,
        1,
        [{"qty": 0}, {"qty": 9}],
        2,
        {"columns": ["max(id)"], "rows": [[2]], "rowcount": 1, "lastrowid": None},
    ]
    assert _items(tmp_path) == [(1, "a", 0, None), (2, "b", 9, None)]


@pytest_twisted.ensureDeferred
async def test_batch_failure_applies_nothing(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.insert("items", {"name": "taken"})
    before = _items(tmp_path)
    insert = {"method": "insert", "params": {"table": "items", "data": {"name": "n"}}}
    update = {"table": "items", "where": {"id": 1}, "data": {"zz": 1}}
    for op, code, details in (
        (
            {"method": "insert", "params": {"table": "items", "data": {"name": "n"}}},
            "constraint_violation",
            {"index": 1},
        ),
        (
            {"method": "select", "params": {"table": "absent"}},
            "no_such_table",
            {"table": "absent", "index": 1},
        ),
        (
            {
                "method": "execute",
                "params": {"sql": "INSERT INTO items (id) VALUES (9)"},
            },
            "constraint_violation",
            {"index": 1},
        ),
        (
            {"method": "update", "params": update},
            "no_such_column",
            {"table": "items", "column": "zz", "index": 1},
        ),
    ):
        error = await error_of(client.batch([insert, op]))
        assert (error.code, error.details) == (code, details), op
    assert _items(tmp_path) == before
    not_batchable = {"method": "drop_table", "params": {"table": "items"}}
    with pytest.raises(InvalidParams):
        await client.batch([insert, not_batchable])
    unchecked(monkeypatch)
    error = await error_of(client.batch([insert, not_batchable]))
    assert (error.code, error.details) == ("invalid_params", {"index": 1})
    error = await error_of(client.batch([insert, {"method": "select"}]))
    assert (error.code, error.details) == ("invalid_params", {"index": 1})
    assert _items(tmp_path) == before
