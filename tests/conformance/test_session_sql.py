"""
Raw SQL runs with the connection state it found and leaves it so
(PROTOCOL.md section 9): a statement that would change the session for
later requests is C{forbidden} on every backend, unless the server runs
C{--allow-session-sql}; and so one client cannot switch off another's
foreign keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.conformance.conftest import driver_on
from tests.support.backends import Database
from tests.support.data import FILES, PROJECTS, error_of

#: On each backend, what turns the foreign keys off for the session.
FOREIGN_KEYS_OFF = {
    "sqlite": "PRAGMA foreign_keys = OFF",
    "postgresql": "SET session_replication_role = replica",
    "mysql": "SET foreign_key_checks = 0",
}

#: Statements that change the session for later requests, per backend.
SESSION_SQL = {
    "sqlite": [
        "PRAGMA query_only = ON",
        "pragma main.recursive_triggers=off",
        "/* x */ PRAGMA cache_size(10)",
        "ATTACH ':memory:' AS other",
        "DETACH main",
        "CREATE TEMP TABLE t1 (x INTEGER)",
        "CREATE TABLE temp.t2 (x INTEGER)",
        "CREATE TEMPORARY VIEW v1 AS SELECT 1",
    ],
    "postgresql": [
        "SET search_path = nowhere",
        "set local statement_timeout = 1",
        "RESET ALL",
        "SET SESSION AUTHORIZATION DEFAULT",
        "LISTEN channel",
        "PREPARE p AS SELECT 1",
        "DISCARD ALL",
        "CREATE TEMP TABLE t1 (x integer)",
        "SELECT set_config('search_path', 'nowhere', false)",
        "SELECT pg_advisory_lock(1)",
        "SELECT 1 INTO TEMP t2",
    ],
    "mysql": [
        "SET @a = 1",
        "SET NAMES latin1",
        "PREPARE p FROM 'SELECT 1'",
        "CREATE TEMPORARY TABLE t1 (x int)",
        "SELECT @b := 1",
        "SELECT 1 INTO @c",
        "SELECT GET_LOCK('x', 0)",
    ],
}


async def _tables(client: DriverClient) -> int:
    await client.create_table(PROJECTS)
    await client.create_table(FILES)
    return int(await client.insert("projects", {"name": "a"}))


@pytest_twisted.ensureDeferred
async def test_one_client_cannot_turn_off_the_foreign_keys_of_another(
    backend: str, running: RunningDriver
) -> None:
    a, b = await running.client(), await running.client()
    project = await _tables(a)
    for _ in range(3):  # on whichever pooled connection it would land
        error = await error_of(a.execute(FOREIGN_KEYS_OFF[backend]))
        assert error.code == "forbidden", error
        assert "--allow-session-sql" in error.message
    for _ in range(3):
        error = await error_of(
            b.insert("files", {"project_id": project + 9, "path": "x"})
        )
        assert error.code == "constraint_violation"
    assert await b.count("files") == 0


@pytest_twisted.ensureDeferred
async def test_every_session_statement_is_forbidden(
    backend: str, client: DriverClient
) -> None:
    await _tables(client)
    for sql in SESSION_SQL[backend]:
        error = await error_of(client.execute(sql))
        assert error.code == "forbidden", (sql, error)
    if backend == "mysql":  # refused before as transaction control / a switch
        for sql in ("USE mysql", "LOCK TABLES projects READ"):
            assert (await error_of(client.execute(sql))).code == "invalid_params"
    # reads, writes and DDL still run
    assert (await client.execute("SELECT 1"))["rows"] == [[1]]
    await client.execute("UPDATE projects SET name = ? WHERE name = ?", ["b", "a"])
    assert [p["name"] for p in await client.select("projects")] == ["b"]
    tx = await client.transaction().begin()
    error = await error_of(tx.execute(SESSION_SQL[backend][0]))
    assert error.code == "forbidden"
    await tx.commit()


@pytest_twisted.ensureDeferred
async def test_session_sql_is_refused_in_a_cursor_too(
    backend: str, client: DriverClient
) -> None:
    sql = {
        "sqlite": "PRAGMA query_only = OFF",
        "postgresql": "SELECT set_config('search_path', 'x', false)",
        "mysql": "SELECT @d := 1",
    }[backend]
    await _tables(client)
    error = await error_of(client.open_cursor(sql=sql))
    assert error.code == "forbidden", error
    cursor = await client.open_cursor(sql="SELECT name FROM projects")
    assert (await client.fetch(cursor))["rows"] == [{"name": "a"}]


@pytest_twisted.ensureDeferred
async def test_allow_session_sql_lets_it_run(
    backend: str, database: Database, tmp_path: Path
) -> None:
    async with driver_on(
        database, tmp_path / "driver", allow_session_sql=True
    ) as running:
        client = await running.client()
        await _tables(client)
        # The documented consequence: the setting stays on the pooled
        # connection it ran on, for whichever request runs there next.
        await client.execute(FOREIGN_KEYS_OFF[backend])
