"""
L{dbdriver.drivers.engine.pinned}: calls run in order on one thread of
their own, with one connection opened on first use; errors come back as
failures; C{close} rolls back what was not committed and ends the thread.
Run on a real SQLite file through adbapi's own pool.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import pytest_twisted
from twisted.enterprise import adbapi
from twisted.internet import reactor

from dbdriver.drivers.engine.pinned import PinnedConnection


def make_pool(path: Path) -> adbapi.ConnectionPool:
    return adbapi.ConnectionPool(
        "sqlite3", str(path), check_same_thread=False, cp_min=1, cp_max=1
    )


def execute(connection: adbapi.Connection, sql: str) -> list[tuple[object, ...]]:
    cursor = connection.cursor()
    cursor.execute(sql)
    return cursor.fetchall()


def thread_name(connection: adbapi.Connection) -> str:
    return threading.current_thread().name


@pytest_twisted.ensureDeferred
async def test_calls_run_in_order_on_one_thread(tmp_path: Path) -> None:
    pool = make_pool(tmp_path / "db")
    pinned = PinnedConnection(pool, reactor, "pinned-test")
    try:
        assert pinned.connection is None  # opened on first use only
        names = [pinned.call(thread_name) for _ in range(3)]
        seen = []
        await pinned.call(execute, "CREATE TABLE t (x INTEGER)")
        for n in range(5):
            await pinned.call(execute, f"INSERT INTO t VALUES ({n})")
        rows = await pinned.call(execute, "SELECT x FROM t ORDER BY rowid")
        for d in names:
            seen.append(await d)
        assert rows == [(n,) for n in range(5)]
        assert set(seen) == {"pinned-test"}
        assert pinned.connection is not None
    finally:
        await pinned.close()
        pool.close()


@pytest_twisted.ensureDeferred
async def test_errors_come_back_as_failures(tmp_path: Path) -> None:
    pool = make_pool(tmp_path / "db")
    pinned = PinnedConnection(pool, reactor, "pinned-errors")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await pinned.call(execute, "SELECT * FROM nowhere")
        assert await pinned.call(execute, "SELECT 1") == [(1,)]  # it goes on
    finally:
        await pinned.close()
        pool.close()


@pytest_twisted.ensureDeferred
async def test_close_rolls_back_and_ends_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "db"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()
    pool = make_pool(path)
    pinned = PinnedConnection(pool, reactor, "pinned-close")
    try:
        await pinned.call(execute, "INSERT INTO t VALUES (1)")
        await pinned.close()
        assert pinned.closed and pinned.connection is None
        assert pinned.thread.name == "pinned-close"
        pinned.thread.join(5)
        assert not pinned.thread.is_alive()
        assert await pinned.close() is None  # twice is harmless
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    finally:
        pool.close()


@pytest_twisted.ensureDeferred
async def test_close_before_any_call_opens_nothing(tmp_path: Path) -> None:
    pool = make_pool(tmp_path / "db")
    pinned = PinnedConnection(pool, reactor, "pinned-idle")
    await pinned.close()
    assert pinned.connection is None and not (tmp_path / "db").exists()
    pool.close()


def slow(connection: adbapi.Connection, gate: threading.Event) -> str:
    gate.wait(5)
    return "done"


@pytest_twisted.ensureDeferred
async def test_a_second_close_waits_for_the_thread_to_end(tmp_path: Path) -> None:
    """
    The fuzzer's find: the pool closed (and iterated its connections) while
    a pinned thread, closed by someone else first, was still giving its
    connection back ("dictionary changed size during iteration").  A later
    close fires only once the thread has ended.
    """
    pool = make_pool(tmp_path / "db")
    pinned = PinnedConnection(pool, reactor, "pinned-twice")
    gate = threading.Event()
    running = pinned.call(slow, gate)
    first = pinned.close()
    second = pinned.close()
    fired: list[object] = []
    second.addCallback(fired.append)
    assert fired == [] and pinned.thread.is_alive()  # the call is still running
    gate.set()
    assert await running == "done"
    await second
    assert not pinned.thread.is_alive()
    assert pool.connections == {}  # given back before the pool closes
    await first
    pool.close()
