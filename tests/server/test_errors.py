"""
The error codes of PROTOCOL.md section 3 that data requests answer, from
the real server: unknown tables and columns, constraints, read-only and
no-raw-SQL servers, result limits and a locked database.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.live import db_path, error_of, query, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text", "unique": True},
        {"name": "n", "type": "integer", "not_null": True, "default": 0},
    ],
}
CHILD = {
    "name": "child",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {
            "name": "t_id",
            "type": "integer",
            "references": {"table": "t", "column": "id"},
        },
    ],
}


@pytest_twisted.async_yield_fixture()
async def client(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(T)
        await client.insert_many("t", [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}])
        yield client


def _rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    return query(tmp_path, "SELECT id, v, n FROM t ORDER BY id")


@pytest_twisted.ensureDeferred
async def test_no_such_table(client: DriverClient) -> None:
    for call in (
        client.select("absent"),
        client.count("absent", {"x": 1}),
        client.insert("absent", {"x": 1}),
        client.insert_many("absent", [{"x": 1}]),
        client.update("absent", {"x": 1}, {"x": 2}),
        client.delete("absent", {"x": 1}),
        client.get_table_info("absent"),
        client.drop_table("absent"),
    ):
        error = await error_of(call)
        assert (error.code, error.details) == ("no_such_table", {"table": "absent"})


@pytest_twisted.ensureDeferred
async def test_no_such_column(client: DriverClient, tmp_path: Path) -> None:
    for call in (
        client.insert("t", {"v": "c", "nope": 1}),
        client.insert_many("t", [{"v": "c", "nope": 1}]),
        client.insert("t", {"v": "c"}, returning=["nope"]),
        client.update("t", {"id": 1}, {"nope": 1}),
        client.select("t", columns=["id", "nope"]),
        client.select("t", order_by=["nope"]),
        client.select("t", {"nope": 1}),
        client.count("t", {"$or": [{"id": 1}, {"nope": 1}]}),
        # an unknown column is not a string literal that matches every row
        client.update("t", {"nope": "nope"}, {"n": 5}),
        client.delete("t", {"nope": "nope"}),
        client.delete("t", {"$not": {"nope": {"is null": True}}}),
    ):
        error = await error_of(call)
        assert (error.code, error.details) == (
            "no_such_column",
            {"table": "t", "column": "nope"},
        )
    assert _rows(tmp_path) == [(1, "a", 0), (2, "b", 0)]


@pytest_twisted.ensureDeferred
async def test_constraint_violation(client: DriverClient, tmp_path: Path) -> None:
    await client.create_table(CHILD)
    await client.insert("child", {"id": 1, "t_id": 1})
    for call in (
        client.insert("t", {"v": "a"}),
        client.insert("t", {"id": 1, "v": "z"}),
        client.insert("t", {"v": "z", "n": None}),
        client.update("t", {"id": 2}, {"v": "a"}),
        client.update("t", {"id": 2}, {"n": None}),
        client.insert("child", {"id": 2, "t_id": 99}),
        client.update("child", {"id": 1}, {"t_id": 99}),
        client.delete("t", {"id": 1}),
        client.execute("DELETE FROM t"),
    ):
        error = await error_of(call)
        assert error.code == "constraint_violation"
    assert _rows(tmp_path) == [(1, "a", 0), (2, "b", 0)]
    assert query(tmp_path, "SELECT id, t_id FROM child") == [(1, 1)]


@pytest_twisted.ensureDeferred
async def test_unknown_method(client: DriverClient) -> None:
    error = await error_of(client.protocol.call("frobnicate", {}))
    assert (error.code, error.details) == ("unknown_method", {"method": "frobnicate"})


@pytest_twisted.ensureDeferred
async def test_read_only(tmp_path: Path) -> None:
    with closing(sqlite3.connect(db_path(tmp_path))) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.execute("INSERT INTO t VALUES (1, 'a')")
        connection.commit()
    async with running_driver(tmp_path, read_only=True) as running:
        client = await running.client()
        assert (await client.server_info())["read_only"] is True
        insert = {"method": "insert", "params": {"table": "t", "data": {"v": "b"}}}
        for call in (
            client.insert("t", {"v": "b"}),
            client.insert_many("t", [{"v": "b"}]),
            client.update("t", {"id": 1}, {"v": "b"}),
            client.delete("t", {"id": 1}),
            client.create_table(
                {"name": "u", "columns": [{"name": "a", "type": "text"}]}
            ),
            client.drop_table("t"),
            client.batch([{"method": "count", "params": {"table": "t"}}, insert]),
            # raw SQL is refused by the database connection itself
            client.execute("INSERT INTO t (v) VALUES ('b')"),
            client.execute("CREATE TABLE u (a)"),
            client.execute("DELETE FROM t"),
        ):
            error = await error_of(call)
            assert error.code == "read_only"
        async with client.transaction() as tx:
            assert await tx.select("t") == [{"id": 1, "v": "a"}]
            error = await error_of(tx.insert("t", {"v": "b"}))
            assert error.code == "read_only"
            error = await error_of(tx.execute("INSERT INTO t (v) VALUES ('b')"))
            assert error.code == "read_only"
        assert await client.select("t") == [{"id": 1, "v": "a"}]
        assert await client.count("t") == 1
        assert await client.list_tables() == ["t"]
        assert [c["name"] for c in await client.get_table_info("t")] == ["id", "v"]
        assert (await client.execute("SELECT v FROM t"))["rows"] == [["a"]]
        batch = [{"method": "select", "params": {"table": "t", "columns": ["v"]}}]
        assert await client.batch(batch) == [[{"v": "a"}]]
    assert query(tmp_path, "SELECT * FROM t") == [(1, "a")]
    assert query(tmp_path, "SELECT name FROM sqlite_master") == [("t",)]


@pytest_twisted.ensureDeferred
async def test_forbidden_raw_sql(tmp_path: Path) -> None:
    async with running_driver(tmp_path, no_raw_sql=True) as running:
        client = await running.client()
        await client.create_table(T)
        insert = {"method": "insert", "params": {"table": "t", "data": {"v": "a"}}}
        execute = {"method": "execute", "params": {"sql": "SELECT 1"}}
        error = await error_of(client.execute("SELECT 1"))
        assert error.code == "forbidden"
        error = await error_of(client.batch([insert, execute]))
        assert error.code == "forbidden"
        async with client.transaction() as tx:
            error = await error_of(tx.execute("INSERT INTO t (v) VALUES ('x')"))
            assert error.code == "forbidden"
        assert await client.batch([insert]) == [1]
        assert await client.select("t", columns=["v"]) == [{"v": "a"}]
    assert query(tmp_path, "SELECT v FROM t") == [("a",)]


@pytest_twisted.ensureDeferred
async def test_result_too_large_by_rows(tmp_path: Path) -> None:
    async with running_driver(tmp_path, max_rows=5) as running:
        client = await running.client()
        assert (await client.server_info())["limits"]["max_rows"] == 5
        await client.create_table(T)
        await client.insert_many("t", [{"v": str(n)} for n in range(6)])
        select = {"method": "select", "params": {"table": "t"}}
        for call in (
            client.select("t"),
            client.select("t", limit=6),
            client.select("t", {"id": {">": 0}}, columns=["id"]),
            client.execute("SELECT * FROM t"),
            client.batch([select]),
        ):
            error = await error_of(call)
            assert error.code == "result_too_large"
        assert len(await client.select("t", limit=5)) == 5
        assert len(await client.select("t", limit=5, offset=5)) == 1
        assert len(await client.select("t", {"id": {"<=": 5}})) == 5
        assert await client.count("t") == 6


@pytest_twisted.ensureDeferred
async def test_result_too_large_by_size(tmp_path: Path) -> None:
    async with running_driver(tmp_path, max_message_size=4096) as running:
        client = await running.client()
        await client.create_table(T)
        for n in range(5):
            await client.insert("t", {"v": str(n) * 1000})
        error = await error_of(client.select("t"))
        assert error.code == "result_too_large"
        assert error.details["limit"] == 4096
        assert 4 <= error.details["rows"] <= 5  # how far it got before stopping
        error = await error_of(client.execute("SELECT v FROM t"))
        assert error.code == "result_too_large"
        # a write whose answer is too large is not applied
        insert = {"method": "insert", "params": {"table": "t", "data": {"v": "new"}}}
        select = {"method": "select", "params": {"table": "t"}}
        error = await error_of(client.batch([insert, select]))
        assert error.code == "result_too_large"
        async with client.transaction() as tx:
            await tx.insert("t", {"v": "kept"})
            big = "INSERT INTO t (v) VALUES (hex(randomblob(3000))) RETURNING v"
            error = await error_of(tx.execute(big))
            assert error.code == "result_too_large"
        assert query(tmp_path, "SELECT v FROM t WHERE id > 5") == [("kept",)]
        page = await client.select("t", columns=["v"], order_by=["id"], limit=3)
        assert page == [{"v": str(n) * 1000} for n in range(3)]
        assert await client.count("t") == 6


@pytest_twisted.ensureDeferred
async def test_busy(tmp_path: Path) -> None:
    async with running_driver(tmp_path, busy_timeout=0.3) as running:
        a, b = await running.client(), await running.client()
        await a.create_table(T)
        await a.insert("t", {"id": 1, "v": "committed"})
        tx = await a.transaction().begin()
        await tx.insert("t", {"id": 2, "v": "pending"})
        for call in (
            b.insert("t", {"v": "x"}),
            b.update("t", {"id": 1}, {"n": 1}),
            b.batch(
                [{"method": "delete", "params": {"table": "t", "where": {"id": 1}}}]
            ),
            b.execute("INSERT INTO t (v) VALUES ('x')"),
        ):
            error = await error_of(call)
            assert error.code == "busy"
        # begin takes no lock: the first write waits for it
        other = await b.transaction().begin()
        assert (await error_of(other.insert("t", {"v": "x"}))).code == "busy"
        await other.rollback()
        # WAL: readers do not wait for the writer, and see what was committed
        assert await b.select("t", columns=["v"]) == [{"v": "committed"}]
        assert await b.count("t") == 1
        await tx.commit()
        assert await b.insert("t", {"id": 3, "v": "after"}) == 3
    assert query(tmp_path, "SELECT id, v, n FROM t ORDER BY id") == [
        (1, "committed", 0),
        (2, "pending", 0),
        (3, "after", 0),
    ]
