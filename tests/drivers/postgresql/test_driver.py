"""
What only the PostgreSQL backend has to get right, through the real server
and the real client: raw SQL's result types and placeholders, transaction
control and multiple statements refused, C{--read-only} that raw SQL cannot
switch off, schemas kept apart, server-side cursors, and cancels that reach
only the request whose deadline passed.  (The cross-backend contract is
tests/conformance/.)
"""

from __future__ import annotations

import datetime
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults

from dbdriver.client import DriverClient
from dbdriver.exceptions import DriverError
from dbdriver.testing import RunningDriver
from tests.support.backends import (
    POSTGRESQL,
    Database,
    PostgreSQLDatabase,
)
from tests.support.live import driver_on, error_of


@pytest_twisted.async_yield_fixture()
async def running(
    database: PostgreSQLDatabase, tmp_path: Path
) -> AsyncIterator[RunningDriver]:
    async with driver_on(database, tmp_path / "d") as started:
        yield started


@pytest_twisted.async_fixture()
async def client(running: RunningDriver) -> DriverClient:
    return await running.client()


@pytest_twisted.ensureDeferred
async def test_raw_sql_results_are_wire_values(client: DriverClient) -> None:
    result = await client.execute(
        "SELECT 1.5::numeric, 10::numeric, sum(x), avg(x), now(), "
        "'2026-01-02 03:04:05'::timestamp, DATE '2026-01-02', "
        "INTERVAL '1 day', '192.168.0.1'::inet, "
        "'4f2d7c1e-0000-4000-8000-000000000000'::uuid, 'x'::varchar(3) "
        "FROM (VALUES (1), (2)) v(x)"
    )
    (row,) = result["rows"]
    assert row[:4] == [1.5, 10, 3, 1.5]
    assert [type(v) for v in row[:4]] == [float, int, int, float]
    now = datetime.datetime.fromisoformat(row[4])
    assert now.utcoffset() == datetime.timedelta(0)
    assert row[5:] == [
        "2026-01-02T03:04:05",
        "2026-01-02",
        "1 day",
        "192.168.0.1",
        "4f2d7c1e-0000-4000-8000-000000000000",
        "x",
    ]
    assert result["lastrowid"] is None


@pytest_twisted.ensureDeferred
async def test_placeholders_in_quoted_text(client: DriverClient) -> None:
    result = await client.execute(
        "SELECT $$?%$$ || ?, E'\\'?', '%' /* ? */, $tag$ ? $tag$ -- ?\n", ["x"]
    )
    assert result["rows"] == [["?%x", "'?", "%", " ? "]]


@pytest_twisted.ensureDeferred
async def test_transaction_control_is_refused(client: DriverClient) -> None:
    for sql in ("ABORT", "PREPARE TRANSACTION 'x'", "COMMIT", "START TRANSACTION"):
        assert (await error_of(client.execute(sql))).code == "invalid_params", sql
    error = await error_of(client.execute("SELECT 1; COMMIT"))
    assert error.code == "sql_error"
    error = await error_of(client.execute("DO $$ BEGIN COMMIT; END $$"))
    assert error.code == "sql_error"


@pytest_twisted.ensureDeferred
async def test_text_with_nul_is_invalid(client: DriverClient) -> None:
    await client.create_table({"name": "t", "columns": [{"name": "s", "type": "text"}]})
    assert (await error_of(client.insert("t", {"s": "a\x00b"}))).code == (
        "invalid_params"
    )
    assert await client.count("t") == 0


@pytest_twisted.ensureDeferred
async def test_read_only_cannot_be_switched_off(
    database: PostgreSQLDatabase, tmp_path: Path
) -> None:
    async with driver_on(database, tmp_path / "rw") as writer:
        rw = await writer.client()
        await rw.create_table(
            {"name": "t", "columns": [{"name": "n", "type": "integer"}]}
        )
    async with driver_on(database, tmp_path / "ro", read_only=True, pool_size=1) as ro:
        client = await ro.client()
        for sql in (
            "SET default_transaction_read_only = off",
            "SELECT set_config('default_transaction_read_only', 'off', false)",
        ):
            assert (await error_of(client.execute(sql))).code == "forbidden"
        error = await error_of(client.execute("INSERT INTO t VALUES (?)", [1]))
        assert error.code == "read_only"
        tx = await client.transaction().begin()
        assert (await error_of(tx.execute("INSERT INTO t VALUES (1)"))).code == (
            "read_only"
        )
        await tx.rollback()
    assert database.sql("SELECT count(*) FROM t") == [(0,)]


@pytest_twisted.ensureDeferred
async def test_schemas_are_apart(
    database: PostgreSQLDatabase, client: DriverClient, tmp_path: Path
) -> None:
    await client.create_table(
        {"name": "mine", "columns": [{"name": "n", "type": "integer"}]}
    )
    other = PostgreSQLDatabase()
    try:
        async with driver_on(other, tmp_path / "other") as running:
            theirs = await running.client()
            assert await theirs.list_tables() == []
            assert (await error_of(theirs.count("mine"))).code == "no_such_table"
            await theirs.create_table(
                {"name": "mine", "columns": [{"name": "s", "type": "text"}]}
            )
            assert [c["name"] for c in await theirs.get_table_info("mine")] == ["s"]
    finally:
        other.drop()
    assert [c["name"] for c in await client.get_table_info("mine")] == ["n"]


@pytest_twisted.ensureDeferred
async def test_cursors_read_pages(client: DriverClient) -> None:
    await client.create_table(
        {
            "name": "t",
            "columns": [{"name": "n", "type": "integer", "primary_key": True}],
        }
    )
    await client.insert_many("t", [{"n": n} for n in range(1, 26)])
    cursor = await client.open_cursor("t", {"n": {">": 5}}, order_by=["n"])
    seen: list[int] = []
    while True:
        page = await client.fetch(cursor, size=7)
        seen.extend(r["n"] for r in page["rows"])
        if page["done"]:
            break
    assert seen == list(range(6, 26))
    assert await client.close_cursor(cursor) is True
    cursor = await client.open_cursor(
        sql="SELECT n * ? AS m FROM t WHERE n <= 3", params=[2]
    )
    page = await client.fetch(cursor, size=10)
    assert page == {"rows": [{"m": 2}, {"m": 4}, {"m": 6}], "done": True}
    await client.close_cursor(cursor)


@pytest_twisted.ensureDeferred
async def test_cancels_reach_only_their_request(
    database: PostgreSQLDatabase, tmp_path: Path
) -> None:
    async with driver_on(database, tmp_path / "d", pool_size=2) as running:
        client = await running.client()
        await client.create_table(
            {"name": "t", "columns": [{"name": "n", "type": "integer"}]}
        )
        calls: list[Deferred[Any]] = []
        for n in range(40):
            if n % 4 == 0:
                slow = client.execute("SELECT pg_sleep(0.2)", timeout=0.05)
                calls.append(ensureDeferred(error_of(slow)))
            calls.append(client.insert("t", {"n": n}))
            calls.append(client.count("t"))
        outcomes = await gatherResults(calls)
        timeouts = [o for o in outcomes if isinstance(o, DriverError)]
        assert {e.code for e in timeouts} == {"timeout"}
        assert len(timeouts) == 10
        assert await client.count("t") == 40


class _Elsewhere(Database):
    """A whole database of the tests' own (not a schema)."""

    def __init__(self, name: str) -> None:
        parts = urllib.parse.urlsplit(POSTGRESQL)
        query = f"?{parts.query}" if parts.query else ""
        self.uri = f"{parts.scheme}://{parts.netloc}/{name}{query}"


@pytest_twisted.ensureDeferred
async def test_a_database_that_goes_away_and_comes_back(
    database: PostgreSQLDatabase, tmp_path: Path
) -> None:
    name = f"dbd_{uuid.uuid4().hex[:12]}"
    admin = database.admin
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with driver_on(_Elsewhere(name), tmp_path / "d") as running:
            client = await running.client()
            assert await client.list_tables() == []
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            for call in (client.list_tables(), client.begin_transaction()):
                error = await error_of(call)
                assert error.code == "unavailable"
                assert error.details["applied"] is False  # it cannot connect
                assert "PostgreSQL server" in error.message
            admin.execute(f'CREATE DATABASE "{name}"')
            assert await client.list_tables() == []
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
