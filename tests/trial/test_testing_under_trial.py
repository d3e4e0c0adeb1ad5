"""
L{dbdriver.testing} under trial: a L{twisted.trial.unittest.TestCase} that
starts a driver in C{self.mktemp()}, uses it (writes, transactions, cursors,
requests that time out) and stops it must leave the reactor clean, which
trial checks after every test (no delayed call, no open socket, no
listening port), and no database thread behind.

Run by C{python -m twisted.trial tests.trial} (C{python -m tests} does).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredList, ensureDeferred
from twisted.trial import unittest

from dbdriver.exceptions import ConnectionLost, RequestTimeout
from dbdriver.testing import RunningDriver, start_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}
#: A statement that runs for minutes unless interrupted.
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c"
)


def _database_threads() -> list[str]:
    """The names of the driver's threads still alive (adbapi's and its own)."""
    return sorted(
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("PoolThread", "dbdriver"))
    )


def deferred(test: Any) -> Any:
    """Run an C{async def} test method as the Deferred trial waits for."""

    def run(self: unittest.TestCase) -> Deferred[None]:
        coroutine: Coroutine[Any, Any, None] = test(self)
        return ensureDeferred(coroutine)

    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


class StartDriverTests(unittest.TestCase):
    """
    L{start_driver} and L{RunningDriver.stop} in a trial test.
    """

    def setUp(self) -> None:
        self.threads_before = _database_threads()

    def assert_nothing_left(self, running: RunningDriver) -> None:
        self.assertFalse(os.path.lexists(running.socket_path))
        self.assertEqual(running.clients, [])
        self.assertEqual(_database_threads(), self.threads_before)
        ours = [
            call
            for call in reactor.getDelayedCalls()  # type: ignore[attr-defined]
            if "dbdriver" in repr(getattr(call.func, "__module__", ""))
            or "dbdriver" in getattr(call.func, "__qualname__", "")
        ]
        self.assertEqual(ours, [])

    async def start(self, directory: str | None = None, **settings: Any) -> Any:
        """
        A driver in C{directory} (default: C{self.mktemp()}), stopped at
        the end of the test whatever happens (a second C{stop} does
        nothing).
        """
        running = await start_driver(directory or self.mktemp(), **settings)
        self.addCleanup(running.stop)
        return running

    @deferred
    async def test_the_directory_is_made(self) -> None:
        """
        C{start_driver} makes the directory, its parents too; the socket is
        in it while the driver runs, and gone after.
        """
        top = tempfile.mkdtemp(prefix="dbt-")
        self.addCleanup(shutil.rmtree, top)
        directory = os.path.join(top, "nested", "deeper")
        running = await self.start(directory)
        self.assertEqual(running.socket_path, os.path.join(directory, "driver.sock"))
        self.assertEqual(os.listdir(directory), ["driver.sock"])
        client = await running.client()
        self.assertEqual(await client.ping(), "pong")
        await running.stop()
        self.assertEqual(os.listdir(directory), [])
        self.assert_nothing_left(running)

    @deferred
    async def test_mktemp_is_a_directory_to_start_in(self) -> None:
        """
        C{self.mktemp()} names a directory that does not exist yet, too
        deep for a socket path: it is made, and the socket goes to a short
        private directory, removed by C{stop}.
        """
        directory = self.mktemp()
        self.assertFalse(os.path.exists(directory))
        running = await self.start(directory)
        self.assertTrue(os.path.isdir(directory))
        private = os.path.dirname(running.socket_path)
        self.assertEqual(private, running.private_directory)
        self.assertEqual(os.listdir(private), ["driver.sock"])
        client = await running.client()
        self.assertEqual(await client.ping(), "pong")
        await running.stop()
        self.assertFalse(os.path.exists(private))
        self.assert_nothing_left(running)

    @deferred
    async def test_an_existing_directory_is_used(self) -> None:
        directory = self.mktemp()
        os.makedirs(directory)
        running = await self.start(directory)
        await running.stop()
        self.assert_nothing_left(running)

    @deferred
    async def test_one_write_then_stop(self) -> None:
        """
        The case of the issue: one write, then C{stop} (the request queue's
        expiry timer used to stay armed).
        """
        running = await self.start()
        client = await running.client()
        await client.create_table(T)
        await client.insert("t", {"v": "one"})
        await running.stop()
        self.assert_nothing_left(running)

    @deferred
    async def test_writes_transactions_cursors_then_stop(self) -> None:
        """
        Writes, a committed transaction, one left open (its idle timer and
        pinned connection), a cursor read to the end and one left open.
        """
        running = await self.start(None, transaction_idle_timeout=30)
        client = await running.client()
        await client.create_table(T)
        await client.insert_many("t", [{"v": str(i)} for i in range(20)])
        await client.update("t", {"id": 1}, {"v": "changed"})
        async with client.transaction() as transaction:
            await transaction.insert("t", {"v": "in a transaction"})
        # (an in-memory database locks a table a transaction wrote to)
        await client.create_table({**T, "name": "u"})
        left_open = await client.transaction().begin()
        await left_open.insert("u", {"v": "never committed"})
        rows = [row async for row in client.iterate("t", size=7)]
        self.assertEqual(len(rows), 21)
        cursor = await client.open_cursor("t")
        page = await client.fetch(cursor, 5)
        self.assertEqual(len(page["rows"]), 5)
        stats = await client.stats()
        self.assertEqual(stats["transactions_open"], 1)
        self.assertEqual(stats["cursors_open"], 1)
        await running.stop()
        self.assert_nothing_left(running)

    @deferred
    async def test_requests_that_time_out_then_stop(self) -> None:
        """
        One request interrupted while it runs (the engine's deadline), one
        whose deadline passes while it waits in the queue.
        """
        running = await self.start(None, pool_size=1)
        client = await running.client()
        await client.create_table(T)
        slow = client.execute(SLOW, timeout=0.5)
        late = client.insert("t", {"v": "never"}, timeout=0.1)
        results = await DeferredList([slow, late], consumeErrors=True)
        for ok, failure in results:
            self.assertFalse(ok)
            failure.trap(RequestTimeout)
        self.assertEqual(await client.count("t"), 0)
        self.assertEqual((await client.stats())["requests"]["timed_out"], 2)
        await running.stop()
        self.assert_nothing_left(running)

    @deferred
    async def test_stop_while_a_request_runs(self) -> None:
        """
        A statement still running when C{stop} is called is interrupted;
        its client's connection is closed by C{stop}.
        """
        running = await self.start(None, shutdown_timeout=0.2)
        client = await running.client()
        slow = client.execute(SLOW, timeout=60)
        await client.ping()  # the statement is on its way
        await running.stop()
        with self.assertRaises(ConnectionLost):
            await slow
        self.assert_nothing_left(running)

    @deferred
    async def test_several_drivers_started_and_stopped(self) -> None:
        """
        Start and stop again and again in one test, two at a time too.
        """
        for _ in range(3):
            first = await self.start()
            second = await self.start()
            one, two = await first.client(), await second.client()
            await one.create_table(T)
            await two.create_table(T)
            await one.insert("t", {"v": "a"})
            await second.stop()
            await first.stop()
            self.assert_nothing_left(first)
            self.assert_nothing_left(second)
