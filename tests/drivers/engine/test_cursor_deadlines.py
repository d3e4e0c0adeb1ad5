"""
A cursor's fetch is marked as the request running on its connection, so
that interrupting it (its deadline, or shutdown) reaches the statement:
MySQL's C{KILL QUERY} ends a slow page read at once.
"""

from __future__ import annotations

import time

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.live import error_of, sleep
from tests.support.mysql import client, mysql_db, running

__all__ = ["client", "mysql_db", "running"]

TABLE = {
    "name": "slow",
    "columns": [{"name": "id", "type": "integer", "primary_key": True}],
}

#: The first row comes at once; the next ones take seconds each, computed
#: as they are read (a streaming cursor; rows larger than the server's
#: network buffer, which is sent when full).
SLOW_ROWS = (
    "SELECT id, REPEAT('x', 100000) AS pad,"
    " SLEEP(CASE WHEN id > 1 THEN 5 ELSE 0 END) AS s FROM slow ORDER BY id"
)


@pytest_twisted.ensureDeferred
async def test_a_slow_fetch_is_interrupted(
    running: RunningDriver, client: DriverClient
) -> None:
    await client.create_table(TABLE)
    assert await client.insert_many("slow", [{"id": i} for i in (1, 2, 3)]) == 3
    cursor = await client.open_cursor(sql=SLOW_ROWS)
    driver = running.service.server.driver
    started = time.monotonic()
    page = driver.fetch(cursor, 1)
    await sleep(0.3)
    assert driver.abort_running() == 1
    error = await error_of(page)
    assert error.code == "shutting_down"
    assert time.monotonic() - started < 3.0  # interrupted, not waited out
