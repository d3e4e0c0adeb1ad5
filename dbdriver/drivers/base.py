"""
The driver interface: a database behind an L{adbapi.ConnectionPool}, asked
for table-level operations and transactions, answering with L{Deferred}s.

L{BaseDatabaseDriver} does everything that is the same on every backend:
running requests on the pool (or on a transaction's pinned connection),
deadlines that interrupt running statements, savepoints per request inside
transactions, and the translation of exceptions into protocol errors.  A
backend supplies the pool, its L{Dialect}, its catalog queries, its error
mapping and how to interrupt a statement.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from .. import requests as rq
from ..config import Config
from ..exceptions import (
    Busy,
    DriverError,
    InternalError,
    InvalidParams,
    RequestTimeout,
    ShuttingDown,
    UnknownTransaction,
)
from ._operations import TableOperations
from ._pinned import PinnedConnection
from ._sql import Dialect
from ._table_api import TableAPI

__all__ = ["BaseDatabaseDriver"]

_SAVEPOINT = "dbdriver_request"


class _Running:
    """
    A request on a database thread: which connection runs it, so that its
    deadline can interrupt exactly that statement and nothing after it.
    """

    __slots__ = ("aborted", "connection", "lock", "timed_out")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: Any = None
        self.timed_out = False
        self.aborted = False

    def start(self, connection: Any) -> None:
        with self.lock:
            self.connection = connection
        self.check()

    def stop(self) -> None:
        with self.lock:
            self.connection = None

    def check(self) -> None:
        if self.aborted:
            raise ShuttingDown("the server is shutting down")
        if self.timed_out:
            raise RequestTimeout("the request's deadline passed")

    def interrupt(self, driver: BaseDatabaseDriver) -> None:
        with self.lock:
            if self.connection is not None:
                driver.interrupt(self.connection)


def _exception(failure: Failure) -> BaseException:
    assert failure.value is not None
    return failure.value


def _close_pinned(_: Any, pinned: PinnedConnection) -> Deferred[None]:
    return pinned.close()


class BaseDatabaseDriver(TableOperations, TableAPI):
    """
    A backend of the driver process.

    @cvar backend: the name C{server_info} reports.
    @ivar pool: the L{adbapi.ConnectionPool}, once L{connect}ed.
    """

    log = Logger()
    backend: ClassVar[str] = ""
    dialect: Dialect = Dialect()

    def __init__(self, config: Config, reactor: Any) -> None:
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.max_rows = config.max_rows
        self.pool: adbapi.ConnectionPool | None = None
        self._transactions: dict[str, PinnedConnection | None] = {}
        self._running: set[_Running] = set()

    # -- backend hooks --------------------------------------------------------

    @property
    def pool_size(self) -> int:
        """
        Threads (and connections) of the pool.
        """
        return self.config.pool_size or 4

    def make_pool(self) -> adbapi.ConnectionPool:
        raise NotImplementedError()

    def prepare(self, cursor: Any) -> None:
        """
        Runs once on the pool after connecting: check and set up the database.
        """

    def begin(self, cursor: Any, request: rq.BaseRequest) -> None:
        """
        Start the database transaction a request on the pool needs (backends
        whose connections autocommit start one where atomicity matters).
        """

    def begin_pinned(self, cursor: Any) -> None:
        """
        Start the transaction of a pinned connection.
        """

    def interrupt(self, connection: Any) -> None:
        """
        Interrupt the statement running on a DB-API connection (called from
        the reactor thread).
        """
        raise NotImplementedError()

    def translate_backend(self, error: BaseException) -> DriverError | None:
        """
        The protocol error for a database exception, or C{None}.
        """
        return None

    def transaction_alive(self, connection: Any) -> bool:
        """
        Whether a pinned connection's transaction is still open.
        """
        return True

    # -- lifecycle ------------------------------------------------------------

    def connect(self) -> Deferred[None]:
        """
        Open the pool and prepare the database; fires when it can serve.
        """
        self.pool = self.make_pool()
        return self.pool.runInteraction(self.prepare).addErrback(self._fail_open)

    def _fail_open(self, failure: Failure) -> Failure:
        self.disconnect()
        return failure

    @property
    def connected(self) -> bool:
        return self.pool is not None

    def disconnect(self) -> Deferred[None]:
        """
        Roll back open transactions and close every connection.
        """
        pinned = [p for p in self._transactions.values() if p is not None]
        self._transactions.clear()
        d: Deferred[Any] = succeed(None)
        for connection in pinned:
            d.addCallback(_close_pinned, connection)
        pool, self.pool = self.pool, None

        def close(_: Any) -> None:
            if pool is not None:
                pool.close()

        return d.addCallback(close)

    # -- requests -------------------------------------------------------------

    def run(
        self,
        request: rq.BaseRequest,
        *,
        deadline: float | None = None,
        finish: Callable[[Any], Any] | None = None,
        transaction_id: str | None = None,
    ) -> Deferred[Any]:
        """
        Run a data request, on the pool or inside an open transaction.

        @param deadline: absolute reactor time; past it the statement is
            interrupted and rolled back and the result is L{RequestTimeout}.
        @param finish: applied to the result on the database thread, inside
            the transaction (the server encodes responses there).
        """
        if self.pool is None:
            return fail(ShuttingDown("the database is closed"))
        running = _Running()
        self._running.add(running)
        if transaction_id is None:
            d = self.pool.runInteraction(self._interaction, request, running, finish)
        else:
            pinned = self._pinned(transaction_id)
            d = pinned.call(self._savepointed, request, running, finish)
        timer = None
        if deadline is not None:
            delay = max(0.0, deadline - self.reactor.seconds())
            timer = self.reactor.callLater(delay, self._deadline, running)
        return d.addBoth(self._settle, running, timer, transaction_id)

    def _interaction(
        self, cursor: Any, request: rq.BaseRequest, running: _Running, finish: Any
    ) -> Any:
        running.start(cursor.connection)
        try:
            self.begin(cursor, request)
            value = self.perform(cursor, request)
            running.check()
            return finish(value) if finish is not None else value
        except BaseException:
            cursor.close()  # adbapi closes it only on success
            raise
        finally:
            running.stop()

    def _savepointed(
        self, connection: Any, request: rq.BaseRequest, running: _Running, finish: Any
    ) -> Any:
        cursor = adbapi.Transaction(self.pool, connection)
        running.start(cursor.connection)
        try:
            cursor.execute(self.dialect.savepoint(_SAVEPOINT))
            try:
                value = self.perform(cursor, request)
                running.check()
                result = finish(value) if finish is not None else value
            except BaseException:
                if self.transaction_alive(cursor.connection):
                    cursor.execute(self.dialect.rollback_to(_SAVEPOINT))
                    cursor.execute(self.dialect.release(_SAVEPOINT))
                raise
            cursor.execute(self.dialect.release(_SAVEPOINT))
            return result
        finally:
            running.stop()
            cursor.close()

    def _deadline(self, running: _Running) -> None:
        running.timed_out = True
        running.interrupt(self)

    def abort_running(self) -> int:
        """
        Interrupt every running request (shutdown); they answer
        L{ShuttingDown}.  Returns how many were running.
        """
        for running in self._running:
            running.aborted = True
            running.interrupt(self)
        return len(self._running)

    def _settle(
        self,
        result: Any,
        running: _Running,
        timer: IDelayedCall | None,
        transaction_id: str | None,
    ) -> Any:
        self._running.discard(running)
        if timer is not None and timer.active():
            timer.cancel()
        if not isinstance(result, Failure):
            return result
        error = self.translate(_exception(result))
        if running.aborted:
            error = ShuttingDown("the server shut down while the request ran")
        elif running.timed_out:
            error = RequestTimeout(
                "the request's deadline passed; it was interrupted and rolled back"
            )
        if isinstance(error, InternalError):
            self.log.failure("internal error running a request", result)
        if transaction_id is not None:
            pinned = self._transactions.get(transaction_id)
            lost = (
                pinned is not None
                and pinned.connection is not None
                and not (self.transaction_alive(pinned.connection))
            )
            if running.timed_out or running.aborted or lost:
                error.details = {**(error.details or {}), "transaction_ended": True}
                return self.rollback_transaction(transaction_id).addBoth(
                    lambda _: Failure(error)
                )
        return Failure(error)

    def translate(self, error: BaseException) -> DriverError:
        """
        The protocol error for any exception a request raised.
        """
        if isinstance(error, DriverError):
            return error
        if isinstance(error, OverflowError):
            return InvalidParams(f"value out of range: {error}")
        translated = self.translate_backend(error)
        if translated is not None:
            return translated
        return InternalError(f"{type(error).__name__}: {error}")

    # -- transactions ---------------------------------------------------------

    @property
    def open_transactions(self) -> int:
        return len(self._transactions)

    def _pinned(self, transaction_id: str) -> PinnedConnection:
        pinned = self._transactions.get(transaction_id)
        if pinned is None:
            raise UnknownTransaction(f"unknown transaction {transaction_id!r}")
        return pinned

    def begin_transaction(self) -> Deferred[str]:
        """
        Pin a connection to a new transaction; its id.
        """
        if self.pool is None:
            return fail(ShuttingDown("the database is closed"))
        if len(self._transactions) >= self.config.max_transactions:
            return fail(
                Busy(
                    f"too many open transactions (--max-transactions="
                    f"{self.config.max_transactions}); commit or roll back first",
                    {"max_transactions": self.config.max_transactions},
                )
            )
        transaction_id = uuid.uuid4().hex
        self._transactions[transaction_id] = None  # reserved while it begins
        pinned = PinnedConnection(self.pool, self.reactor, f"txn-{transaction_id[:8]}")

        def begin(connection: Any) -> None:
            cursor = adbapi.Transaction(self.pool, connection)
            try:
                self.begin_pinned(cursor)
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
            error = self.translate(_exception(failure))
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
        self.forget_tables()

        def closed(result: Any) -> Any:
            return pinned.close().addCallback(lambda _: result)

        d = pinned.call(end).addCallbacks(
            lambda _: True, lambda f: Failure(self.translate(_exception(f)))
        )
        return d.addBoth(closed)
