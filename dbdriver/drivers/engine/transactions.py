"""
Transactions across requests (PROTOCOL.md section 6), on the driver side:
each open transaction owns a L{PinnedConnection}; its requests run there in
order, each under its own savepoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.engine.pinned import PinnedConnection
from dbdriver.drivers.sql.dialect import REQUEST_SAVEPOINT as _SAVEPOINT
from dbdriver.exceptions import Busy, DriverError, ShuttingDown, UnknownTransaction

__all__ = ["PinnedTransactions"]

#: Pinned connections kept idle for the next transaction or cursor.
IDLE_PINNED = 8


def _exception(failure: Failure) -> BaseException:
    assert failure.value is not None
    return failure.value


class PinnedTransactions:
    """
    Mixed into the driver, which supplies C{pool}, C{config}, C{reactor},
    C{dialect}, C{perform}, C{translate}, C{begin_pinned},
    C{transaction_alive}, C{forget_tables} and the batch machinery.
    """

    pool: adbapi.ConnectionPool | None
    config: Any
    reactor: Any

    def _init_transactions(self) -> None:
        self._transactions: dict[str, PinnedConnection | None] = {}
        self._idle_pinned: list[PinnedConnection] = []

    def take_pinned(self) -> PinnedConnection:
        """
        A pinned connection: an idle one kept from an earlier transaction or
        cursor (no thread start, no connect), or a new one.
        """
        while self._idle_pinned:
            pinned = self._idle_pinned.pop()
            if not pinned.closed:
                return pinned
        assert self.pool is not None
        return PinnedConnection(self.pool, self.reactor, "dbdriver-pinned")

    def release_pinned(self, pinned: PinnedConnection, healthy: bool) -> Deferred[None]:
        """
        Keep a pinned connection whose transaction ended cleanly for the next
        one (up to L{IDLE_PINNED}); close it otherwise.
        """
        if healthy and self.pool is not None and len(self._idle_pinned) < IDLE_PINNED:
            self._idle_pinned.append(pinned)
            return succeed(None)
        return pinned.close()

    @property
    def open_transactions(self) -> int:
        return len(self._transactions)

    def _pinned(self, transaction_id: str) -> PinnedConnection:
        pinned = self._transactions.get(transaction_id)
        if pinned is None:
            raise UnknownTransaction(f"unknown transaction {transaction_id!r}")
        return pinned

    def close_transactions(self) -> list[Deferred[None]]:
        """
        Roll back and close every open transaction (disconnect).
        """
        pinned = [p for p in self._transactions.values() if p is not None]
        pinned += self._idle_pinned
        self._transactions.clear()
        self._idle_pinned = []
        return [p.close() for p in pinned]

    def begin_transaction(self) -> Deferred[str]:
        """
        Pin a connection to a new transaction; its id.
        """
        if self.pool is None:
            return fail(ShuttingDown("the database is closed"))
        cap = self.config.max_transactions
        if len(self._transactions) >= cap:
            return fail(
                Busy(
                    f"too many open transactions (--max-transactions={cap}); "
                    "commit or roll back first",
                    {"max_transactions": cap},
                )
            )
        transaction_id = uuid.uuid4().hex
        self._transactions[transaction_id] = None  # reserved while it begins
        pinned = self.take_pinned()

        def begin(connection: Any) -> None:
            cursor = adbapi.Transaction(self.pool, connection)
            try:
                self.begin_pinned(cursor)  # type: ignore[attr-defined]
            finally:
                cursor.close()

        def began(_: Any) -> str:
            if transaction_id not in self._transactions:  # disconnected meanwhile
                pinned.close()
                raise ShuttingDown("the database closed while the transaction began")
            self._transactions[transaction_id] = pinned
            return transaction_id

        def failed(failure: Failure) -> Deferred[Any]:
            self._transactions.pop(transaction_id, None)
            error = self.translate(_exception(failure))  # type: ignore[attr-defined]
            return pinned.close().addCallback(lambda _: Failure(error))

        return pinned.call(begin).addCallbacks(began, failed)

    def commit_transaction(self, transaction_id: str) -> Deferred[bool]:
        return self._finish(transaction_id, lambda c: c.commit())

    def rollback_transaction(self, transaction_id: str) -> Deferred[bool]:
        return self._finish(transaction_id, lambda c: c.rollback())

    def _finish(
        self, transaction_id: str, end: Callable[[Any], None]
    ) -> Deferred[bool]:
        try:
            pinned = self._pinned(transaction_id)
        except DriverError as e:
            return fail(e)
        del self._transactions[transaction_id]
        self.forget_tables()  # type: ignore[attr-defined]
        self.close_cursors_of(transaction_id)  # type: ignore[attr-defined]

        def closed(result: Any) -> Any:
            healthy = result is True
            return self.release_pinned(pinned, healthy).addCallback(lambda _: result)

        d = pinned.call(end).addCallbacks(
            lambda _: True,
            lambda f: Failure(self.translate(_exception(f))),  # type: ignore[attr-defined]
        )
        return d.addBoth(closed)

    # -- requests inside a transaction ------------------------------------------------

    def run_pinned(self, job: Job, transaction_id: str) -> Deferred[Job]:
        """
        Run a job on its transaction's connection, under a savepoint.  A job
        that times out (or whose transaction the database lost) ends the
        transaction: the error's details say C{transaction_ended}.
        """
        try:
            pinned = self._pinned(transaction_id)
        except DriverError as e:
            return fail(e)
        batch = Batch([job])
        self._batches.add(batch)  # type: ignore[attr-defined]
        self._arm(batch)  # type: ignore[attr-defined]
        d = pinned.call(self._savepointed, batch)
        d.addBoth(self._settle_batch, batch)  # type: ignore[attr-defined, call-overload]
        return d.addCallback(self._after_pinned, transaction_id, pinned)

    def _after_pinned(
        self, jobs: list[Job], transaction_id: str, pinned: PinnedConnection
    ) -> Deferred[Job] | Job:
        job = jobs[0]
        if job.error is None:
            return job
        lost = pinned.connection is not None and not self.transaction_alive(  # type: ignore[attr-defined]
            pinned.connection
        )
        if not (job.timed_out or job.aborted or lost):
            return job
        assert isinstance(job.error, DriverError)
        job.error.details = {**(job.error.details or {}), "transaction_ended": True}
        if self._transactions.get(transaction_id) is not pinned:
            return job
        return self.rollback_transaction(transaction_id).addBoth(lambda _: job)

    def _savepointed(self, connection: Any, batch: Batch) -> None:
        job = batch.jobs[0]
        dialect = self.dialect  # type: ignore[attr-defined]
        cursor = adbapi.Transaction(self.pool, connection)
        raw = cursor.connection
        request = job.request
        savepoint = self.needs_savepoint(request)  # type: ignore[attr-defined]
        try:
            batch.start(job, raw)
            if savepoint:
                cursor.execute(dialect.savepoint(_SAVEPOINT))
        except Exception as e:
            job.fail(e)
            batch.stop(job)
            cursor.close()
            return
        try:
            job.succeed(self.perform(cursor, request))  # type: ignore[attr-defined]
            if savepoint:
                cursor.execute(dialect.release(_SAVEPOINT))
        except Exception as e:
            job.fail(e)
            if savepoint and self.transaction_alive(raw):  # type: ignore[attr-defined]
                cursor.execute(dialect.rollback_to(_SAVEPOINT))
                cursor.execute(dialect.release(_SAVEPOINT))
        finally:
            batch.stop(job)
            cursor.close()
