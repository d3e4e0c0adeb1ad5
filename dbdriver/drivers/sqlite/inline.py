"""
Cheap SQLite reads on the reactor thread.

A point lookup costs SQLite a few microseconds, far less than the hop to a
database thread and back.  L{InlineReader} runs a read on its own
connection on the reactor thread under a budget enforced by SQLite's
progress handler: past L{BUDGET} seconds the statement is interrupted
(it only read, so nothing is undone) and the read goes to a thread.  Read
shapes that ran over recently go straight to a thread.  The connection
never waits for a lock (busy timeout 0) and is C{query_only}.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Hashable

from dbdriver import requests as rq
from dbdriver.drivers.engine.jobs import Job
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.requests.where import Node

__all__ = ["BUDGET", "InlineReader"]

#: How long a read may hold the reactor thread.
BUDGET = 0.0005
#: How long a read shape that ran over budget is sent to threads directly.
HEAVY_FOR = 10.0
#: Overruns in a row that make a read shape heavy (one can be a GC pause).
STRIKES = 3
_CHECK_EVERY = 500  # SQLite VM instructions between budget checks


def _shape(node: Node) -> Hashable:
    kind = node[0]
    if kind in ("and", "or"):
        return (kind, tuple(_shape(n) for n in node[1]))
    if kind == "not":
        return (kind, _shape(node[1]))
    if kind == "in":
        return (kind, node[1], len(node[2]) > 16)
    return node[:3] if kind == "cmp" else node[:2]


def _key(request: rq.BaseRequest) -> Hashable:
    if isinstance(request, rq.SelectRequest):
        large = request.limit is None or request.limit > 100
        return ("select", request.table, _shape(request.where_node), large)
    if isinstance(request, rq.CountRequest):
        return ("count", request.table, _shape(request.where_node))
    return (request.method,)


class InlineReader:
    """
    Runs reads on the reactor thread within a budget.

    @param connect: opens the connection (lazily, on first use).
    @param perform: runs a request on a cursor (the table operations').
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        perform: Callable[[DBCursor, rq.BaseRequest], object],
    ) -> None:
        self._connect = connect
        self._perform = perform
        self._connection: sqlite3.Connection | None = None
        self._until = 0.0
        self._over = False
        self._heavy: dict[Hashable, float] = {}
        self._strikes: dict[Hashable, int] = {}

    def _budget(self) -> int:
        if time.perf_counter() > self._until:
            self._over = True
            return 1
        return 0

    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            # (Its connection never waits for a lock and only reads.)
            connection = self._connect()
            connection.set_progress_handler(self._budget, _CHECK_EVERY)
            self._connection = connection
        return self._connection

    def run(self, job: Job) -> bool:
        """
        Run C{job} here if it fits the budget; C{False} if it must go to a
        thread (nothing was changed).
        """
        key = _key(job.request)
        heavy_until = self._heavy.get(key)
        if heavy_until is not None:
            if heavy_until > time.monotonic():
                return False
            del self._heavy[key]
        cursor = self.connection().cursor()
        self._over = False
        self._until = time.perf_counter() + BUDGET
        try:
            job.succeed(self._perform(cursor, job.request))
            if self._strikes:
                self._strikes.pop(key, None)
        except sqlite3.OperationalError as e:
            name = getattr(e, "sqlite_errorname", "")
            busy = name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
            if self._over:
                self._strike(key)
                return False
            if busy:  # a lock (a shared-cache memory database): use a thread
                return False
            job.fail(e)
        except Exception as e:
            job.fail(e)
        finally:
            cursor.close()
            job.done = True
        return True

    def _strike(self, key: Hashable) -> None:
        strikes = self._strikes[key] = self._strikes.get(key, 0) + 1
        if strikes >= STRIKES:
            del self._strikes[key]
            self._heavy[key] = time.monotonic() + HEAVY_FOR
        if len(self._heavy) > 1000 or len(self._strikes) > 1000:
            self._heavy.clear()
            self._strikes.clear()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
