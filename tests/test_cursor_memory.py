"""
A million-row table read through a cursor by the real process: every row
arrives once, and the driver's peak memory stays bounded (one page at a
time), recorded from /proc.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect

ROWS = 1_000_000
#: The issue's memory target for the driver process.
LIMIT_MB = 150


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest_twisted.ensureDeferred
async def test_million_rows_through_a_cursor(driver):
    client = await connect(reactor, driver.socket)
    await client.create_table(
        {
            "name": "big",
            "columns": [
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": "path", "type": "text"},
            ],
        }
    )
    await client.execute(
        "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c "
        f"WHERE x < {ROWS - 1}) INSERT INTO big (id, path) "
        "SELECT x, 'src/pkg/module_' || x || '.py' FROM c"
    )
    before = peak_mb(driver.proc.pid)
    seen = 0
    expected = 0
    async for row in client.iterate("big", order_by=["id"], size=20000):
        assert row["id"] == expected
        expected += 1
        seen += 1
    after = peak_mb(driver.proc.pid)
    print(f"driver peak RSS: {before:.1f} MB before, {after:.1f} MB after {seen} rows")
    assert seen == ROWS
    assert after < LIMIT_MB
    assert (await client.stats())["cursors_open"] == 0
    await client.close()
