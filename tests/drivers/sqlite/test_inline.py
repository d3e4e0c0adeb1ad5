"""
Cheap reads run on the reactor thread within a budget; a read over the
budget is interrupted (it only read) and runs on a database thread, with
the same answer.
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import gatherResults

from dbdriver.drivers.sqlite import inline as _sqlite_inline
from dbdriver.requests.methods import CountRequest
from tests.support.live import running_driver

BIG = {
    "name": "big",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "integer"},
    ],
}


@pytest_twisted.ensureDeferred
async def test_reads_over_budget_move_to_a_thread(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(BIG)
        await client.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 200000) INSERT INTO big (id, v) SELECT x, x % 7 FROM c"
        )
        inline = running.service.driver.inline
        key = _sqlite_inline._key(CountRequest(table="big", where={"v": 3}))
        expected = sum(1 for x in range(1, 200001) if x % 7 == 3)
        for _ in range(_sqlite_inline.STRIKES):
            assert await client.count("big", {"v": 3}) == expected  # a full scan
        assert key in inline._heavy  # now sent to threads directly
        assert await client.count("big", {"v": 3}) == expected
        assert await client.select("big", {"id": 7}) == [{"id": 7, "v": 0}]
        assert key not in inline._strikes


@pytest_twisted.ensureDeferred
async def test_heavy_reads_spread_over_the_reader_threads(tmp_path):
    """
    Heavy reads that wait together are shared out among the reader threads
    (each hop takes its share of what waits), not run in turn by one.
    """
    async with running_driver(tmp_path, pool_size=2) as running:
        client = await running.client()
        await client.create_table(BIG)
        await client.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 200000) INSERT INTO big (id, v) SELECT x, x % 7 FROM c"
        )
        expected = sum(1 for x in range(1, 200001) if x % 7 == 3)
        for _ in range(_sqlite_inline.STRIKES):  # the shape is heavy from now on
            assert await client.count("big", {"v": 3}) == expected
        driver = running.service.driver
        hops: list[int] = []
        run_batch = driver.run_batch

        def recording(jobs, kind):
            hops.append(len(jobs))
            return run_batch(jobs, kind)

        driver.run_batch = recording
        counts = await gatherResults([client.count("big", {"v": 3}) for _ in range(8)])
        assert counts == [expected] * 8
        # two hops start at once with the first arrivals; the six that wait
        # meanwhile go three and three (one thread would take all six)
        assert sum(hops) == 8 and max(hops) <= 3, hops
