"""
The driver interface: a database behind L{adbapi.ConnectionPool}s, asked
for table-level operations and transactions, answering with L{Deferred}s.

L{BaseDatabaseDriver} does everything that is the same on every backend:
batched reads and group-committed writes on the pools (L{BatchExecution}),
transactions on pinned connections (L{PinnedTransactions}), deadlines that
interrupt running statements, and the translation of exceptions into
protocol errors.  A backend supplies the pools, its L{Dialect}, its catalog
queries, its error mapping and how to interrupt a statement.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, gatherResults
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver.drivers.engine.batch import READ, WRITE, BatchExecution
from dbdriver.drivers.engine.cursors import Cursors
from dbdriver.drivers.engine.jobs import Job
from dbdriver.drivers.engine.transactions import PinnedTransactions
from dbdriver.drivers.interfaces import DriverSettings
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.operations import TableOperations
from dbdriver.drivers.sql.uri import mask_password
from dbdriver.drivers.table_api import TableAPI
from dbdriver.exceptions import DriverError, InternalError, InvalidParams, ShuttingDown

__all__ = ["BaseDatabaseDriver"]


def _outcome(job: Job) -> Any:
    if job.error is not None:
        return Failure(job.error)
    return job.result


class BaseDatabaseDriver(
    BatchExecution, PinnedTransactions, Cursors, TableOperations, TableAPI
):
    """
    A backend of the driver process.

    @cvar backend: the name C{server_info} reports.
    @cvar inline_reads: whether cheap reads may run on the reactor thread
        (an embedded database with a bounded statement budget).
    @ivar pool: the pool that writes (and, unless C{read_pool} differs,
        reads), once L{connect}ed.
    """

    log = Logger()
    backend: ClassVar[str] = ""
    inline_reads: ClassVar[bool] = False
    dialect: Dialect = Dialect()

    def __init__(self, config: DriverSettings, reactor: Any) -> None:
        TableOperations.__init__(self)
        self.config = config
        self.reactor = reactor
        self.max_rows = config.max_rows
        self.max_message_size = config.max_message_size
        self.pool: adbapi.ConnectionPool | None = None
        self.read_pool: adbapi.ConnectionPool | None = None
        self._init_batches()
        self._init_transactions()
        self._init_cursors()

    @property
    def database_label(self) -> str:
        """
        C{--database} as logs and messages show it (no password).
        """
        return mask_password(self.config.database)

    # -- backend hooks --------------------------------------------------------

    @property
    def pool_size(self) -> int:
        """
        Threads (and connections) that run reads.
        """
        return self.config.pool_size or 4

    @property
    def write_concurrency(self) -> int:
        """
        Write groups that may run at once.
        """
        return 1

    @abstractmethod
    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        """
        The pools for writes and for reads (may be the same pool).
        """

    def prepare(self, cursor: Any) -> None:
        """
        Runs once on the pool after connecting: check and set up the database.
        """

    def begin_group(self, cursor: Any) -> None:
        """
        Start the transaction of a write group (backends whose connections
        autocommit start one explicitly).
        """

    def begin_pinned(self, cursor: Any) -> None:
        """
        Start the transaction of a pinned connection.
        """

    @abstractmethod
    def interrupt(self, connection: Any) -> None:
        """
        Interrupt the statement running on a DB-API connection (called from
        the reactor thread, which it must not block).
        """

    def translate_backend(self, error: BaseException) -> DriverError | None:
        """
        The protocol error for a database exception, or C{None}.
        """
        return None

    def transaction_alive(self, connection: Any) -> bool:
        """
        Whether the transaction open on a connection is still open.
        """
        return True

    def run_inline(self, job: Job) -> bool:
        """
        Try a read on the reactor thread within a small budget; C{False}
        when it needs a database thread after all (nothing was changed).
        """
        return False

    # -- lifecycle ------------------------------------------------------------

    def connect(self) -> Deferred[None]:
        """
        Open the pools and prepare the database; fires when it can serve.
        """
        self.pool, self.read_pool = self.make_pools()
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
        pools = {id(p): p for p in (self.pool, self.read_pool) if p is not None}
        self.pool = self.read_pool = None

        def close(_: Any) -> None:
            for pool in pools.values():
                pool.close()
            self.close_inline()

        closing = self.close_all_cursors() + self.close_transactions()
        d = gatherResults(closing, consumeErrors=True)
        return d.addCallback(close)

    def close_inline(self) -> None:
        """
        Close what L{run_inline} uses.
        """

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
        Run one data request, on the pools or inside an open transaction.

        @param deadline: absolute reactor time; past it the statement is
            interrupted and rolled back and the result is L{RequestTimeout}.
        @param finish: applied to the result on the database thread, inside
            the transaction (the server encodes responses there).
        """
        if self.pool is None:
            return fail(ShuttingDown("the database is closed"))
        job = Job(request, deadline, finish)
        if transaction_id is not None:
            return self.run_pinned(job, transaction_id).addCallback(_outcome)
        if request.reads and self.run_inline(job):
            self.settle_job(job)
            d: Deferred[Any] = Deferred()
            d.callback(job)
            return d.addCallback(_outcome)
        kind = READ if request.reads else WRITE
        return self.run_batch([job], kind).addCallback(lambda jobs: _outcome(jobs[0]))

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
