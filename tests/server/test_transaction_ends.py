"""
How transactions end other than by commit and rollback (PROTOCOL.md
sections 5 and 6), on the real server: the owner disconnects, the
transaction idles, a request in it times out; and the cap on open
transactions.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from dbdriver.client import DriverClient
from tests.support.live import db_path, error_of, eventually, query, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}
#: A statement that runs until it is interrupted.
FOREVER = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c"
)


def _values(tmp_path: Path) -> list[str]:
    return [v for (v,) in query(tmp_path, "SELECT v FROM t ORDER BY id")]


async def _no_open_transactions(client: DriverClient) -> None:
    async def check() -> bool:
        return (await client.stats())["transactions_open"] == 0

    await eventually(check, "the transaction was rolled back")


@pytest_twisted.ensureDeferred
async def test_disconnect_rolls_back(tmp_path: Path) -> None:
    async with running_driver(tmp_path, busy_timeout=0.3) as running:
        owner, other = await running.client(), await running.client()
        await owner.create_table(T)
        tx = await owner.transaction().begin()
        await tx.insert("t", {"id": 1, "v": "uncommitted"})
        assert (await error_of(other.insert("t", {"v": "x"}))).code == "busy"
        await owner.close()
        await _no_open_transactions(other)
        assert _values(tmp_path) == []
        assert await other.select("t") == []
        # the write lock went with it
        assert await other.insert("t", {"id": 3, "v": "other"}) == 3
    assert _values(tmp_path) == ["other"]


@pytest_twisted.ensureDeferred
async def test_idle_transaction_expires(tmp_path: Path) -> None:
    async with running_driver(tmp_path, transaction_idle_timeout=0.3) as running:
        client = await running.client()
        await client.create_table(T)
        tid = await client.begin_transaction()
        insert = {"table": "t", "data": {"v": "idle"}}
        await client.protocol.call("insert", insert, transaction_id=tid)
        await _no_open_transactions(client)
        for call in (
            client.protocol.call("insert", insert, transaction_id=tid),
            client.commit_transaction(tid),
        ):
            error = await error_of(call)
            assert error.code == "unknown_transaction"
            assert "idle" in error.message
        assert _values(tmp_path) == []
        # the lock is gone: other writes go through
        assert await client.insert("t", {"v": "after"}) == 1
    assert _values(tmp_path) == ["after"]


@pytest_twisted.ensureDeferred
async def test_use_keeps_a_transaction_open_past_the_idle_timeout(
    tmp_path: Path,
) -> None:
    """
    Idle means no request for the whole timeout: a transaction used more
    often stays open however long it lives, and so does one whose single
    request runs longer than the timeout.
    """
    async with running_driver(tmp_path, transaction_idle_timeout=0.3) as running:
        client = await running.client()
        await client.create_table(T)
        tx = await client.transaction().begin()
        for n in range(8):  # 0.8 s in all, never 0.3 s without a request
            await tx.insert("t", {"v": f"kept {n}"})
            await deferLater(reactor, 0.1, lambda: None)
        slow = "SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
        slow += " SELECT x + 1 FROM c WHERE x < 3000000) SELECT x FROM c)"
        started = reactor.seconds()
        assert (await tx.execute(slow))["rows"] == [[3000000]]
        assert reactor.seconds() - started > 0.3, "the request was not slow enough"
        await tx.commit()
    assert len(_values(tmp_path)) == 8


@pytest_twisted.ensureDeferred
async def test_cap_on_open_transactions(tmp_path: Path) -> None:
    # a read-only server begins deferred transactions, so several can be open
    with closing(sqlite3.connect(db_path(tmp_path))) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.commit()
    async with running_driver(tmp_path, read_only=True, max_transactions=2) as running:
        a, b = await running.client(), await running.client()
        first = await a.begin_transaction()
        await b.begin_transaction()
        for client in (a, b):
            error = await error_of(client.begin_transaction())
            assert (error.code, error.details) == ("busy", {"max_transactions": 2})
        assert (await a.stats())["transactions_open"] == 2
        await a.commit_transaction(first)
        third = await a.begin_transaction()
        assert await a.protocol.call("count", {"table": "t"}, transaction_id=third) == 0
        await a.rollback_transaction(third)


@pytest_twisted.ensureDeferred
async def test_timeout_inside_a_transaction_ends_it(tmp_path: Path) -> None:
    async with running_driver(tmp_path, busy_timeout=0.3) as running:
        client, other = await running.client(), await running.client()
        await client.create_table(T)
        tx = await client.transaction().begin()
        await tx.insert("t", {"id": 1, "v": "rolled back"})
        slow = tx.execute(FOREVER, timeout=0.2)
        after: Deferred[object] = tx.insert("t", {"id": 2, "v": "queued"})
        error = await error_of(slow)
        assert error.code == "timeout"
        assert (await error_of(after)).code == "unknown_transaction"
        insert = {"table": "t", "data": {"v": "x"}}
        error = await error_of(
            client.protocol.call("insert", insert, transaction_id=tx.transaction_id)
        )
        assert error.code == "unknown_transaction"
        assert "timed out" in error.message
        await _no_open_transactions(client)
        assert _values(tmp_path) == []
        assert await other.insert("t", {"id": 3, "v": "other"}) == 3
    assert _values(tmp_path) == ["other"]


@pytest_twisted.ensureDeferred
async def test_timeout_outside_a_transaction(tmp_path: Path) -> None:
    async with running_driver(tmp_path, pool_size=2) as running:
        client = await running.client()
        await client.create_table(T)
        for _ in range(3):  # more than the pool: each connection is freed
            error = await error_of(client.execute(FOREVER, timeout=0.2))
            assert error.code == "timeout"
        slow_write = [
            {"method": "insert", "params": {"table": "t", "data": {"v": "undone"}}},
            {"method": "execute", "params": {"sql": FOREVER}},
        ]
        error = await error_of(client.batch(slow_write, timeout=0.2))
        assert error.code == "timeout"
        assert _values(tmp_path) == []
        assert await client.insert("t", {"v": "fine"}) == 1
        stats = (await client.stats())["requests"]
        assert stats["failed"] == 4
    assert _values(tmp_path) == ["fine"]


@pytest_twisted.ensureDeferred
async def test_failed_commit_ends_the_transaction(tmp_path: Path) -> None:
    async with running_driver(tmp_path, busy_timeout=0.3) as running:
        client = await running.client()
        await client.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        await client.execute(
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )
        tx = await client.transaction().begin()
        await tx.insert("p", {"id": 1})
        await tx.insert("c", {"id": 1, "p_id": 99})  # checked only at commit
        assert (await error_of(tx.commit())).code == "constraint_violation"
        error = await error_of(client.commit_transaction(str(tx.transaction_id)))
        assert error.code == "unknown_transaction"
        await _no_open_transactions(client)
        assert await client.insert("p", {"id": 2}) == 2
    assert query(tmp_path, "SELECT id FROM p") == [(2,)]
    assert query(tmp_path, "SELECT id FROM c") == []
