"""
A million-row table read through a cursor by the real process, on every
backend: every row arrives once, in order, and the driver's peak memory
(VmHWM, from /proc) stays under the 150 MB target.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet import reactor

from dbdriver import SQLError, connect
from tests.conftest import DriverProcess
from tests.support.backends import Database

ROWS = 1_000_000
LIMIT_MB = 150
TABLE = {
    "name": "big",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "path", "type": "text"},
    ],
}
FILL = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < ?) INSERT INTO big (id, path) SELECT x, 'src/m_' || x || '.py' FROM c",
    "postgresql": "INSERT INTO big (id, path) SELECT x, 'src/m_' || x || '.py' "
    "FROM generate_series(0, ?) AS x",
    "mysql": "INSERT INTO big (id, path) WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL "
    "SELECT x + 1 FROM c WHERE x < ?) SELECT x, CONCAT('src/m_', x, '.py') FROM c",
}


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest_twisted.ensureDeferred
async def test_million_rows_through_a_cursor(
    start_driver: Any, database: Database
) -> None:
    # MySQL's recursion cap is a session variable: --allow-session-sql
    options = ("--allow-session-sql",) if database.backend == "mysql" else ()
    process: DriverProcess = start_driver(*options, database=database.uri)
    client = await connect(reactor, process.socket)  # type: ignore[arg-type]
    await client.create_table(TABLE)
    fill = FILL[database.backend]
    if database.backend == "mysql":  # both cap recursive CTEs at 1000 steps
        for variable in ("max_recursive_iterations", "cte_max_recursion_depth"):
            with contextlib.suppress(SQLError):  # MariaDB's name, MySQL's name
                await client.execute(f"SET SESSION {variable} = 2000000")
    await client.execute(fill, [ROWS - 1], timeout=300)
    assert process.proc is not None
    expected = 0
    async for row in client.iterate("big", order_by=["id"], size=20000, timeout=120):
        assert row["id"] == expected
        expected += 1
    peak = peak_mb(process.proc.pid)
    print(f"{database.backend}: driver peak RSS {peak:.1f} MB for {expected} rows")
    assert expected == ROWS
    assert peak < LIMIT_MB
    assert (await client.stats())["cursors_open"] == 0
    await client.close()
