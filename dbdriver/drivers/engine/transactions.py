"""
Transactions across requests (PROTOCOL.md section 6), on the driver side:
each open transaction owns a L{PinnedConnection}; its requests run there in
order, each under its own savepoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from dbdriver.drivers.engine.engine import Engine
from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.engine.pinned import PinnedConnection
from dbdriver.drivers.interfaces import DBConnection
from dbdriver.drivers.sql.dialect import REQUEST_SAVEPOINT
from dbdriver.exceptions import Busy, DriverError, ShuttingDown, UnknownTransaction
from dbdriver.requests.base import BaseRequest

__all__ = ["IDLE_PINNED", "IdlePinned", "Transactions"]

#: Pinned connections kept idle for the next transaction or cursor.
IDLE_PINNED = 8


def _exception(failure: Failure) -> BaseException:
    assert failure.value is not None
    return failure.value


def _nothing(transaction_id: str) -> None:
    pass


class IdlePinned:
    """
    The pinned connections of transactions and cursors that ended cleanly,
    kept (threads started, connections open) for the next ones.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._idle: list[PinnedConnection] = []
        # Every pinned connection not closed yet, idle or in use: the pools
        # close only after their threads have given their connections back.
        self._live: set[PinnedConnection] = set()

    def take(self) -> PinnedConnection:
        """
        A pinned connection: an idle one (no thread start, no connect), or
        a new one.
        """
        while self._idle:
            pinned = self._idle.pop()
            if not pinned.closed:
                return pinned
        assert self.engine.pool is not None
        pinned = PinnedConnection(
            self.engine.pool, self.engine.reactor, "dbdriver-pinned"
        )
        self._live.add(pinned)
        return pinned

    def release(self, pinned: PinnedConnection, healthy: bool) -> Deferred[None]:
        """
        Keep a pinned connection whose transaction ended cleanly (up to
        L{IDLE_PINNED}, and if the backend finds it reusable); close it
        otherwise.
        """
        connection = pinned.connection
        if healthy and connection is not None:
            healthy = self.engine.backend.reusable(connection)
        if healthy and self.engine.pool is not None and len(self._idle) < IDLE_PINNED:
            self._idle.append(pinned)
            return succeed(None)
        return pinned.close().addCallback(lambda _: self._live.discard(pinned))

    def close_all(self) -> list[Deferred[None]]:
        """
        Close every pinned connection, idle or still finishing a request;
        fires once each thread has given its connection back.
        """
        live, self._live, self._idle = self._live, set(), []
        return [p.close() for p in live]


class Transactions:
    """
    The open transactions, each on its pinned connection.

    @ivar ending: called with a transaction's id as it ends (before its
        connection commits or rolls back): the cursors opened inside it
        close.
    @ivar locks: whether a request may take the database's write lock (a
        backend whose transactions take it at their first write); C{None}:
        not tracked.
    """

    def __init__(self, engine: Engine, idle: IdlePinned, cap: int) -> None:
        self.engine = engine
        self.idle = idle
        self.cap = cap
        self.ending: Callable[[str], None] = _nothing
        self.locks: Callable[[BaseRequest], bool] | None = None
        self._open: dict[str, PinnedConnection | None] = {}
        self._locking: set[str] = set()

    def holds_write_lock(self, transaction_id: str) -> bool:
        """
        Whether a request of the transaction may have taken the write lock
        (it holds it until it ends).
        """
        return transaction_id in self._locking

    def __len__(self) -> int:
        return len(self._open)

    def pinned(self, transaction_id: str) -> PinnedConnection:
        """
        The connection of an open transaction (or L{UnknownTransaction}).
        """
        pinned = self._open.get(transaction_id)
        if pinned is None:
            raise UnknownTransaction(f"unknown transaction {transaction_id!r}")
        return pinned

    def close_all(self) -> list[Deferred[None]]:
        """
        Roll back and close every open transaction (disconnect).
        """
        pinned = [p for p in self._open.values() if p is not None]
        self._open.clear()
        self._locking.clear()
        return [p.close() for p in pinned] + self.idle.close_all()

    def begin(self) -> Deferred[str]:
        """
        Pin a connection to a new transaction; its id.
        """
        engine = self.engine
        if engine.pool is None:
            return fail(ShuttingDown("the database is closed"))
        if len(self._open) >= self.cap:
            return fail(
                Busy(
                    f"too many open transactions (--max-transactions={self.cap}); "
                    "commit or roll back first",
                    {"max_transactions": self.cap},
                )
            )
        transaction_id = uuid.uuid4().hex
        self._open[transaction_id] = None  # reserved while it begins
        pinned = self.idle.take()
        pool = engine.pool

        def begin(connection: adbapi.Connection) -> None:
            cursor = adbapi.Transaction(pool, connection)
            try:
                engine.backend.begin_pinned(cursor)
            finally:
                cursor.close()

        def began(_: object) -> str:
            if transaction_id not in self._open:  # disconnected meanwhile
                pinned.close()
                raise ShuttingDown("the database closed while the transaction began")
            self._open[transaction_id] = pinned
            return transaction_id

        def failed(failure: Failure) -> Deferred[str]:
            self._open.pop(transaction_id, None)
            error = engine.operations.translate(_exception(failure))
            return pinned.close().addCallback(lambda _: Failure(error))

        return pinned.call(begin).addCallbacks(began, failed)

    def commit(self, transaction_id: str) -> Deferred[bool]:
        return self._finish(transaction_id, lambda c: c.commit())

    def rollback(self, transaction_id: str) -> Deferred[bool]:
        return self._finish(transaction_id, lambda c: c.rollback())

    def _finish(
        self, transaction_id: str, end: Callable[[adbapi.Connection], None]
    ) -> Deferred[bool]:
        try:
            pinned = self.pinned(transaction_id)
        except DriverError as e:
            return fail(e)
        del self._open[transaction_id]
        self._locking.discard(transaction_id)
        self.engine.operations.forget_tables()
        self.ending(transaction_id)
        translate = self.engine.operations.translate

        def closed(result: object) -> object:
            healthy = result is True
            return self.idle.release(pinned, healthy).addCallback(lambda _: result)

        d = pinned.call(end).addCallbacks(
            lambda _: True, lambda f: Failure(translate(_exception(f)))
        )
        return d.addBoth(closed)

    # -- requests inside a transaction ------------------------------------------------

    def run(self, job: Job, transaction_id: str) -> Deferred[Job]:
        """
        Run a job on its transaction's connection, under a savepoint.  A job
        that times out (or whose transaction the database lost) ends the
        transaction: the error's details say C{transaction_ended}.
        """
        try:
            pinned = self.pinned(transaction_id)
        except DriverError as e:
            return fail(e)
        if self.locks is not None and self.locks(job.request):
            self._locking.add(transaction_id)
        settled = self.engine.run_pinned(pinned, job, self._savepointed)
        return settled.addCallback(self._after, transaction_id, pinned)

    def _after(
        self, jobs: list[Job], transaction_id: str, pinned: PinnedConnection
    ) -> Deferred[Job] | Job:
        job = jobs[0]
        if job.error is None:
            return job
        connection = pinned.connection
        lost = connection is not None and not self.engine.backend.transaction_alive(
            connection
        )
        if not (job.timed_out or job.aborted or lost):
            return job
        assert isinstance(job.error, DriverError)
        job.error.details = {**(job.error.details or {}), "transaction_ended": True}
        if self._open.get(transaction_id) is not pinned:
            return job
        return self.rollback(transaction_id).addBoth(lambda _: job)

    def _savepointed(self, connection: adbapi.Connection, batch: Batch) -> None:
        engine = self.engine
        operations = engine.operations
        dialect = operations.dialect
        job = batch.jobs[0]
        cursor = adbapi.Transaction(engine.pool, connection)
        raw: DBConnection = cursor.connection
        request = job.request
        savepoint = operations.needs_savepoint(request)
        try:
            batch.start(job, raw)
            if savepoint:
                cursor.execute(dialect.savepoint(REQUEST_SAVEPOINT))
        except Exception as e:
            job.fail(e)
            batch.stop(job)
            cursor.close()
            return
        try:
            job.succeed(operations.perform(cursor, request))
            if savepoint:
                cursor.execute(dialect.release(REQUEST_SAVEPOINT))
        except Exception as e:
            job.fail(e)
            if savepoint and engine.backend.transaction_alive(raw):
                cursor.execute(dialect.rollback_to(REQUEST_SAVEPOINT))
                cursor.execute(dialect.release(REQUEST_SAVEPOINT))
        finally:
            batch.stop(job)
            cursor.close()
