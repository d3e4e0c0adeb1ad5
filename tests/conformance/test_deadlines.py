"""
Deadlines interrupt a running statement on every backend (PostgreSQL:
the backend query is cancelled; MySQL: KILL QUERY; SQLite: interrupt); the
request answers C{timeout} and the driver keeps serving.
"""

from __future__ import annotations

import time

import pytest_twisted
from twisted.internet.defer import gatherResults

from dbdriver.client import DriverClient
from tests.support.backends import SLOW_SQL
from tests.support.data import PROJECTS, error_of


@pytest_twisted.ensureDeferred
async def test_a_slow_statement_is_interrupted(
    client: DriverClient, backend: str
) -> None:
    await client.create_table(PROJECTS)
    started = time.monotonic()
    error = await error_of(client.execute(SLOW_SQL[backend], timeout=0.3))
    assert error.code == "timeout"
    assert time.monotonic() - started < 3.0  # interrupted, not waited out
    assert await client.ping() == "pong"
    assert await client.insert("projects", {"name": "after"}) is not None
    assert await client.count("projects") == 1


@pytest_twisted.ensureDeferred
async def test_other_requests_go_on_while_one_times_out(
    client: DriverClient, backend: str
) -> None:
    await client.create_table(PROJECTS)
    slow = error_of(client.execute(SLOW_SQL[backend], timeout=0.5))
    quick = [client.insert("projects", {"name": str(n)}) for n in range(10)]
    keys = await gatherResults(quick)
    assert len(set(keys)) == 10
    assert (await slow).code == "timeout"
    assert await client.count("projects") == 10
    stats = await client.stats()
    assert stats["requests"]["timed_out"] >= 1


@pytest_twisted.ensureDeferred
async def test_interrupted_write_is_rolled_back(
    client: DriverClient, backend: str
) -> None:
    await client.create_table(PROJECTS)
    await client.insert("projects", {"name": "kept"})
    sleep = {
        "sqlite": None,
        "postgresql": "pg_sleep(5)",
        "mysql": "SLEEP(5)",
    }[backend]
    if sleep is None:  # SQLite: a write that never ends by itself
        sql = (
            "INSERT INTO projects (name) WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 'n' || x FROM c"
        )
    else:
        sql = f"UPDATE projects SET name = 'changed' WHERE {sleep} IS NOT NULL"
    error = await error_of(client.execute(sql, timeout=0.3))
    assert error.code == "timeout"
    rows = await client.select("projects", columns=["name"])
    assert rows == [{"name": "kept"}]
