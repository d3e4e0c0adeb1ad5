"""
Raw SQL's rows read one at a time on PostgreSQL (L{RowStream}), through
the real server and the real driver: every kind of statement answers as a
buffered cursor did (rows, no rows, rows counted, statements without
rows), an error in the middle of the rows is an C{sql_error} that leaves
the connection usable, and a result past C{--max-message-size} cancels
its statement, inside a transaction too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.backends import PostgreSQLDatabase
from tests.support.live import driver_on, error_of


@pytest_twisted.async_yield_fixture()
async def client(
    database: PostgreSQLDatabase, tmp_path: Path
) -> AsyncIterator[DriverClient]:
    async with driver_on(
        database, tmp_path / "d", pool_size=1, max_message_size=1 << 20
    ) as started:
        yield await started.client()


@pytest_twisted.ensureDeferred
async def test_statements_answer_as_buffered(client: DriverClient) -> None:
    await client.execute("CREATE TABLE t (id integer PRIMARY KEY, name text)")
    written = await client.execute(
        "INSERT INTO t SELECT x, 'n' || x FROM generate_series(1, 300) x"
    )
    assert (written["columns"], written["rows"], written["rowcount"]) == ([], [], 300)
    none = await client.execute("UPDATE t SET name = 'z' WHERE id < 0")
    assert none["rowcount"] == 0
    rows = await client.execute(
        "SELECT id, name FROM t WHERE id > ? ORDER BY id", [297]
    )
    assert rows["columns"] == ["id", "name"]
    assert (rows["rows"], rows["rowcount"]) == (
        [[298, "n298"], [299, "n299"], [300, "n300"]],
        3,
    )
    empty = await client.execute("SELECT id FROM t WHERE id < 0")
    assert (empty["columns"], empty["rows"], empty["rowcount"]) == (["id"], [], 0)
    returned = await client.execute("DELETE FROM t WHERE id > 299 RETURNING id")
    assert (returned["rows"], returned["rowcount"]) == ([[300]], 1)
    many = await client.execute("SELECT id FROM t ORDER BY id")
    assert [r[0] for r in many["rows"]] == list(range(1, 300))


@pytest_twisted.ensureDeferred
async def test_an_error_among_the_rows_leaves_the_connection_usable(
    client: DriverClient,
) -> None:
    sql = "SELECT 1 / (100 - x) FROM generate_series(1, 200) x"
    assert (await error_of(client.execute(sql))).code == "sql_error"
    assert (await client.execute("SELECT 2 AS two"))["rows"] == [[2]]
    tx = await client.transaction().begin()
    assert (await error_of(tx.execute(sql))).code == "sql_error"
    assert (await tx.execute("SELECT 3 AS three"))["rows"] == [[3]]
    await tx.commit()


@pytest_twisted.ensureDeferred
async def test_a_result_too_large_is_cancelled(
    client: DriverClient, database: PostgreSQLDatabase
) -> None:
    await client.execute("CREATE TABLE kept (id integer PRIMARY KEY)")
    # rows without end: only a cancel stops them
    bomb = (
        "SELECT repeat('x', 1000) FROM generate_series(1, 100000) a, "
        "generate_series(1, 100000) b"
    )
    tx = await client.transaction().begin()
    await tx.execute("INSERT INTO kept VALUES (1)")
    assert (await error_of(tx.execute(bomb, timeout=30))).code == "result_too_large"
    await tx.execute("INSERT INTO kept VALUES (2)")
    await tx.commit()
    assert (await error_of(client.execute(bomb, timeout=30))).code == "result_too_large"
    assert (await client.execute("SELECT id FROM kept ORDER BY id"))["rows"] == [
        [1],
        [2],
    ]
    active = database.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND state = 'active'",
        [database.schema],
    )
    assert active == [(0,)]
