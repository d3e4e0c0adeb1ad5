"""
Many clients pipelining at once, and the request statistics (PROTOCOL.md
sections 4 and 5), on the real server.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted
from twisted.internet.defer import gatherResults
from twisted.python.failure import Failure

from dbdriver.exceptions import DriverError
from tests.support.live import error_of, query, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "client", "type": "integer", "not_null": True},
        {"name": "n", "type": "integer", "not_null": True},
    ],
    "unique": [["client", "n"]],
}
#: A statement that runs until it is interrupted.
FOREVER = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c"
)


def _code(failure: Failure) -> str:
    """The protocol error code a request failed with."""
    failure.trap(DriverError)
    return str(getattr(failure.value, "code", None))


@pytest_twisted.ensureDeferred
async def test_many_clients_pipelining(tmp_path: Path) -> None:
    async with running_driver(tmp_path) as running:
        clients = [await running.client() for _ in range(10)]
        await clients[0].create_table(T)
        pending = [
            client.insert("t", {"client": c, "n": n})
            for n in range(50)
            for c, client in enumerate(clients)
        ]
        ids = await gatherResults(pending)
        assert len(set(ids)) == 500
        # each client's inserts, on one connection, may complete in any order,
        # but each got the id of its own row
        stored = query(tmp_path, "SELECT id, client, n FROM t")
        assert len(stored) == 500
        by_key = {(c, n): i for i, c, n in stored}
        assert by_key == {(c, n): ids[n * 10 + c] for c in range(10) for n in range(50)}
        counts = await gatherResults(
            [c.count("t", {"client": i}) for i, c in enumerate(clients)]
        )
        assert counts == [50] * 10
        stats = await clients[0].stats()
        assert stats["connections"] == 10
        assert stats["queue"]["depth"] == 0
        assert stats["transactions_open"] == 0


@pytest_twisted.ensureDeferred
async def test_request_counters(tmp_path: Path) -> None:
    async with running_driver(tmp_path) as running:
        a, b = await running.client(), await running.client()
        await a.create_table(T)
        pending = [
            client.insert("t", {"client": c, "n": n})
            for n in range(20)
            for c, client in enumerate((a, b))
        ]
        pending += [a.insert("absent", {"x": n}) for n in range(3)]
        pending += [a.ping(), b.server_info()]
        outcomes = await gatherResults([d.addErrback(_code) for d in pending])
        assert outcomes[-5:-2] == ["no_such_table"] * 3
        duplicate = await error_of(b.insert("t", {"client": 0, "n": 0}))
        assert duplicate.code == "constraint_violation"
        first = await a.stats()
        second = await b.stats()
    received = 1 + 40 + 4 + 2 + 1
    assert first["requests"] == {
        "received": received,
        # the stats request itself is received, and answered after its snapshot
        "completed": received - 4 - 1,
        "failed": 4,
        "rejected_full": 0,
        "timed_out": 0,
    }
    assert second["requests"]["received"] == received + 1
    assert second["requests"]["completed"] == received - 4
    for snapshot in (first, second):
        counters = snapshot["requests"]
        assert counters["received"] == counters["completed"] + counters["failed"] + 1


@pytest_twisted.ensureDeferred
async def test_queue_full_and_expiry_are_counted(tmp_path: Path) -> None:
    async with running_driver(tmp_path, pool_size=1, queue_size=2) as running:
        # Each connection may queue half of the queue: two fill it.
        client, other, third = [await running.client() for _ in range(3)]
        await client.create_table(T)
        slow = client.execute(FOREVER, timeout=1.0)  # holds the only writer
        expiring = client.insert("t", {"client": 1, "n": 1}, timeout=0.2)
        queued = other.insert("t", {"client": 1, "n": 2})
        await client.ping()  # both are read (and queued) by now
        await other.ping()
        full = third.insert("t", {"client": 1, "n": 3})
        assert (await error_of(full)).code == "queue_full"
        assert (await error_of(expiring)).code == "timeout"
        assert (await error_of(slow)).code == "timeout"
        assert await queued == 1
        assert await client.select("t", columns=["n"]) == [{"n": 2}]
        counters = (await client.stats())["requests"]
    assert counters["rejected_full"] == 1
    assert counters["failed"] == 3
    assert counters["timed_out"] >= 1  # at least the one that expired queued


@pytest_twisted.ensureDeferred
async def test_running_timeouts_are_counted(tmp_path: Path) -> None:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        for _ in range(2):
            assert (await error_of(client.execute(FOREVER, timeout=0.2))).code == (
                "timeout"
            )
        counters = (await client.stats())["requests"]
    assert counters["failed"] == 2
    assert counters["timed_out"] == 2
