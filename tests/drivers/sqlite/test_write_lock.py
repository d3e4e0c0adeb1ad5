"""
SQLite's write lock is taken at a transaction's first write, not at
C{begin_transaction}, and one that holds it idle longer than
C{--write-lock-idle-timeout} is rolled back (PROTOCOL.md section 9): one
client cannot stop every writer.  Through the real driver and client.
"""

from __future__ import annotations

import time
from typing import Any

import pytest_twisted
from twisted.internet.defer import Deferred

from dbdriver.client import DriverClient, Transaction
from dbdriver.testing import RunningDriver
from tests.server.test_driver_rpc_server import TABLE
from tests.support.live import error_of, query, running_driver, sleep


async def _begun(running: RunningDriver) -> tuple[Transaction, DriverClient]:
    """A begun transaction on the table, and another client."""
    mine, other = await running.client(), await running.client()
    await other.create_table(TABLE)
    return await mine.transaction().begin(), other


@pytest_twisted.ensureDeferred
async def test_an_idle_begun_transaction_blocks_no_writer(tmp_path):
    async with running_driver(tmp_path, busy_timeout=0.5) as running:
        tx, other = await _begun(running)
        assert await tx.select("t") == []  # a read takes no write lock
        await other.insert("t", {"id": 1, "v": "first"})
        async with other.transaction() as tx2:
            await tx2.insert("t", {"id": 2, "v": "second"})
        assert await tx.count("t") == 0  # its snapshot, from its first read
        await tx.rollback()
        assert query(tmp_path, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]


@pytest_twisted.ensureDeferred
async def test_a_stale_snapshot_that_writes_is_busy(tmp_path):
    async with running_driver(tmp_path, busy_timeout=0.5) as running:
        tx, writer = await _begun(running)
        assert await tx.count("t") == 0
        await writer.insert("t", {"id": 1, "v": "committed meanwhile"})
        error = await error_of(tx.insert("t", {"id": 1, "v": "would overwrite"}))
        assert error.code == "busy"
        await tx.rollback()
        assert query(tmp_path, "SELECT v FROM t") == [("committed meanwhile",)]


@pytest_twisted.ensureDeferred
async def test_an_idle_writer_is_rolled_back_after_the_timeout(tmp_path):
    async with running_driver(
        tmp_path, busy_timeout=10.0, write_lock_idle_timeout=0.5
    ) as running:
        tx, other = await _begun(running)
        await tx.insert("t", {"id": 1, "v": "held, never committed"})
        # waits for the lock (not busy after 10 s: the driver takes it back)
        await other.insert("t", {"id": 2, "v": "goes through"})
        error = await error_of(tx.insert("t", {"id": 3, "v": "too late"}))
        assert error.code == "unknown_transaction"
        assert "write lock" in error.message
        assert "--write-lock-idle-timeout" in error.message
        assert query(tmp_path, "SELECT id FROM t") == [(2,)]


@pytest_twisted.ensureDeferred
async def test_a_busy_transaction_is_not_cut_off(tmp_path):
    async with running_driver(tmp_path, write_lock_idle_timeout=0.3) as running:
        client = await running.client()
        await client.create_table(TABLE)
        tx = await client.transaction().begin()
        for i in range(8):  # never idle as long as the timeout
            await tx.insert("t", {"id": i, "v": "x"})
            await sleep(0.1)
        await tx.commit()
        assert query(tmp_path, "SELECT count(*) FROM t") == [(8,)]


async def _holding(running: RunningDriver) -> tuple[Transaction, DriverClient]:
    """A transaction that wrote (it holds the write lock), and another client."""
    holder, other = await _begun(running)
    await holder.insert("t", {"id": 1, "v": "held"})
    return holder, other


async def _timed_out(call: Deferred[Any]) -> float:
    """C{call} answers C{timeout}: in how many seconds."""
    began = time.monotonic()
    error = await error_of(call)
    assert error.code == "timeout", error
    return time.monotonic() - began


@pytest_twisted.ensureDeferred
async def test_a_deadline_cuts_a_plain_writes_wait_for_the_lock(tmp_path):
    # sqlite3_interrupt does not end the busy handler's wait: the deadline
    # must cut it, not the 5 s busy timeout (nor the holder's commit).
    async with running_driver(tmp_path, busy_timeout=5.0) as running:
        holder, other = await _holding(running)
        took = await _timed_out(other.insert("t", {"id": 2, "v": "b"}, timeout=0.5))
        assert took < 2.0
        raw = other.execute("INSERT INTO t (id, v) VALUES (3, 'raw')", timeout=0.5)
        assert await _timed_out(raw) < 2.0  # runs alone, outside a group
        await holder.commit()
        await other.insert("t", {"id": 2, "v": "b, again"})
        assert query(tmp_path, "SELECT id, v FROM t ORDER BY id") == [
            (1, "held"),
            (2, "b, again"),
        ]


@pytest_twisted.ensureDeferred
async def test_a_cut_wait_times_out_only_the_near_deadline(tmp_path):
    async with running_driver(tmp_path, busy_timeout=5.0) as running:
        holder, other = await _holding(running)
        near = other.insert("t", {"id": 2, "v": "near"}, timeout=0.5)
        far = other.insert("t", {"id": 3, "v": "far"}, timeout=4.0)
        assert await _timed_out(near) < 2.0
        await holder.commit()  # the far one still waits: it gets the lock
        await far
        assert query(tmp_path, "SELECT id FROM t ORDER BY id") == [(1,), (3,)]


@pytest_twisted.ensureDeferred
async def test_a_deadline_cuts_a_transactions_wait_for_the_lock(tmp_path):
    async with running_driver(tmp_path, busy_timeout=5.0) as running:
        holder, other = await _holding(running)
        tx = await other.transaction().begin()
        error_at = tx.insert("t", {"id": 2, "v": "b"}, timeout=0.5)
        assert await _timed_out(error_at) < 2.0
        ended = await error_of(tx.commit())
        assert ended.code == "unknown_transaction"
        await holder.commit()
        async with other.transaction() as retry:
            await retry.insert("t", {"id": 2, "v": "b, again"})
        assert query(tmp_path, "SELECT id, v FROM t ORDER BY id") == [
            (1, "held"),
            (2, "b, again"),
        ]
