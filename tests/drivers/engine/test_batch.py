"""
Group commit: writes from many clients run in one transaction, a savepoint
each.  A failing write never affects the others; a write interrupted by its
deadline (SQLite then rolls back the whole transaction) costs the others
nothing but a second run; every write is acknowledged only once committed.
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import DeferredList, gatherResults

from tests.support.live import error_of, query, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "k", "type": "text", "not_null": True, "unique": True},
    ],
}
BIG = {"name": "big", "columns": [{"name": "x", "type": "integer"}]}
HOLD = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c"
)


@pytest_twisted.ensureDeferred
async def test_failures_in_a_group_stay_their_own(tmp_path):
    async with running_driver(tmp_path) as running:
        clients = [await running.client() for _ in range(6)]
        await clients[0].create_table(T)
        holder = clients[0].execute(HOLD, timeout=0.3)  # the writes pile up
        writes = [
            c.insert("t", {"k": f"{n % 4}" if n % 3 == 0 else f"c{i}-{n}"})
            for i, c in enumerate(clients)
            for n in range(30)
        ]
        results = await DeferredList(writes, consumeErrors=True)
        await error_of(holder)
        ok = [r for good, r in results if good]
        failed = [r.value.code for good, r in results if not good]
        assert set(failed) == {"constraint_violation"}
        assert len(ok) + len(failed) == 180
        stats = await clients[0].stats()
        assert stats["requests"]["failed"] == len(failed) + 1
        keys = {k for (k,) in query(tmp_path, "SELECT k FROM t")}
        assert len(keys) == len(ok) == len(set(ok))
        assert {"0", "1", "2", "3"} <= keys


@pytest_twisted.ensureDeferred
async def test_interrupted_write_does_not_lose_its_group(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(T)
        await client.create_table(BIG)
        await client.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 1000000) INSERT INTO big (x) SELECT x FROM c"
        )
        holder = client.execute(HOLD, timeout=0.3)
        before = client.insert("t", {"k": "before"})
        slow = client.update("big", {"x": {">": 0}}, {"x": 0}, timeout=0.32)
        after = client.insert("t", {"k": "after"})
        await error_of(holder)
        assert (await error_of(slow)).code == "timeout"
        assert await gatherResults([before, after]) == [1, 2]
        assert query(tmp_path, "SELECT k FROM t ORDER BY id") == [
            ("before",),
            ("after",),
        ]
        assert query(tmp_path, "SELECT count(*) FROM big WHERE x = 0") == [(0,)]


@pytest_twisted.ensureDeferred
async def test_a_write_whose_answer_is_too_large_is_undone(tmp_path):
    blobs = {
        "name": "b",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "data", "type": "blob"},
            {"name": "pad", "type": "text", "default": "p" * 3000},
        ],
    }
    async with running_driver(tmp_path, max_message_size=4096) as running:
        client = await running.client()
        await client.create_table(blobs)
        holder = client.execute(HOLD, timeout=0.3)
        small = client.insert("b", {"id": 1, "data": b"x"}, returning=["id", "data"])
        big = client.insert(
            "b", {"id": 2, "data": b"y" * 2000}, returning=["data", "pad"]
        )  # the request fits the limit, its answer would not
        plain = client.insert("b", {"id": 3, "data": b"z" * 2000})
        await error_of(holder)
        assert (await error_of(big)).code == "result_too_large"
        assert await small == {"id": 1, "data": b"x"}
        assert await plain == 3
        assert query(tmp_path, "SELECT id FROM b ORDER BY id") == [(1,), (3,)]
