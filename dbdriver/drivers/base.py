"""
The driver: a database behind L{adbapi.ConnectionPool}s, asked for
table-level operations and transactions, answering with L{Deferred}s.

L{BaseDatabaseDriver} composes the backend-neutral engine
(C{dbdriver.drivers.engine}: the pools and their running batches, read hops
and group-committed writes, transactions on pinned connections, cursors)
with one backend: a L{DatabaseBackend} (its pools, transaction hooks and
interrupt) and its L{TableOperations} (its SQL, catalog, error translation
and schema backend).  Each backend's module names its driver class, which
builds the two and hands them here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import attrs
from twisted.internet.defer import Deferred, fail, gatherResults, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver.drivers.engine.batch import READ, WRITE, BatchRunner
from dbdriver.drivers.engine.cursors import Cursors
from dbdriver.drivers.engine.engine import Engine
from dbdriver.drivers.engine.jobs import Job
from dbdriver.drivers.engine.transactions import IdlePinned, Transactions
from dbdriver.drivers.interfaces import DatabaseBackend, DriverReactor, DriverSettings
from dbdriver.drivers.schema.sync import applied_schema
from dbdriver.drivers.sql.operations import TableOperations
from dbdriver.drivers.sql.uri import mask_password
from dbdriver.drivers.table_api import TableAPI
from dbdriver.exceptions import ShuttingDown

__all__ = ["BaseDatabaseDriver", "InlineReads", "WriteLocking"]


class InlineReads(Protocol):
    """
    Reads on the reactor thread within a small budget (SQLite's
    L{dbdriver.drivers.sqlite.inline.InlineReader}).
    """

    def run(self, job: Job) -> bool:
        """
        Run C{job} here if it fits; C{False} if it needs a database thread
        (nothing was changed).
        """

    def close(self) -> None:
        """Close what the reads use."""


@runtime_checkable
class WriteLocking(Protocol):
    """
    A backend with one write lock that a transaction takes at its first
    write (SQLite): held idle too long, the transaction is rolled back.
    """

    @property
    def write_lock_idle_timeout(self) -> float:
        """Seconds a transaction may hold the write lock while idle."""

    def takes_write_lock(self, request: rq.BaseRequest) -> bool:
        """Whether running C{request} in a transaction may take it."""


def _not_inline(job: Job) -> bool:
    return False


def _outcome(job: Job) -> object:
    if job.error is not None:
        return Failure(job.error)
    return job.result


def _first_outcome(jobs: list[Job]) -> object:
    return _outcome(jobs[0])


@attrs.define(eq=False, slots=False)
class BaseDatabaseDriver(TableAPI):
    """
    A database the server (or an embedding process) runs requests on.

    @ivar backend: the name C{server_info} reports.
    @ivar inline_reads: whether cheap reads may run on the reactor thread.
    @ivar dbms: the backend: pools, transaction hooks, interrupt.
    @ivar operations: the backend's table operations (the host of its
        C{sync_schema}).
    @ivar engine: the pools and the batches running on them.
    @ivar run_batch: C{run_batch(jobs, kind)}: run jobs in one thread hop
        (L{BatchRunner.run_batch}); fires with them, never fails.
    @ivar run_inline: C{run_inline(job)}: try a read on the reactor thread
        (L{InlineReads.run}); C{False} if it needs a thread.
    @ivar settle_job: C{settle_job(job)}: turn a job's exception into the
        protocol error it answers (L{Engine.settle_job}).
    """

    log = Logger()

    config: DriverSettings
    reactor: DriverReactor
    dbms: DatabaseBackend = attrs.field(alias="backend")
    operations: TableOperations
    inline: InlineReads | None = None
    backend: str = attrs.field(init=False)
    inline_reads: bool = attrs.field(init=False)
    engine: Engine = attrs.field(init=False)
    batches: BatchRunner = attrs.field(init=False)
    transactions: Transactions = attrs.field(init=False)
    cursors: Cursors = attrs.field(init=False)
    run_batch: Callable[[list[Job], str], Deferred[list[Job]]] = attrs.field(init=False)
    settle_job: Callable[[Job], None] = attrs.field(init=False)
    run_inline: Callable[[Job], bool] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        config, operations, inline = self.config, self.operations, self.inline
        self.backend = operations.backend
        self.inline_reads = inline is not None
        self.engine = engine = Engine(self.dbms, operations, self.reactor)
        idle = IdlePinned(engine)
        self.batches = BatchRunner(engine)
        self.transactions = Transactions(engine, idle, config.max_transactions)
        self.cursors = Cursors(
            engine,
            idle,
            self.transactions,
            config.max_transactions,
            config.max_message_size,
        )
        if isinstance(self.dbms, WriteLocking):
            self.transactions.locks = self.dbms.takes_write_lock
        # What the dispatcher calls for each request: one lookup away.
        self.run_batch = self.batches.run_batch
        self.settle_job = engine.settle_job
        self.run_inline = _not_inline if inline is None else inline.run

    @property
    def database_label(self) -> str:
        """
        C{--database} as logs and messages show it (no password).
        """
        return mask_password(self.config.database)

    @property
    def pool_size(self) -> int:
        """
        Threads (and connections) that run reads.
        """
        return self.dbms.pool_size

    @property
    def write_concurrency(self) -> int:
        """
        Write groups that may run at once.
        """
        return self.dbms.write_concurrency

    @property
    def write_lock_idle_timeout(self) -> float | None:
        """
        Seconds an open transaction may hold the write lock while idle
        (C{None}: the backend has no such lock).
        """
        dbms = self.dbms
        return dbms.write_lock_idle_timeout if isinstance(dbms, WriteLocking) else None

    def holds_write_lock(self, transaction_id: str) -> bool:
        """
        Whether the open transaction may hold the write lock.
        """
        return self.transactions.holds_write_lock(transaction_id)

    @property
    def open_transactions(self) -> int:
        return len(self.transactions)

    @property
    def open_cursors(self) -> int:
        return len(self.cursors)

    def applied_schema(self) -> dict[str, object] | None:
        """
        The latest definition C{sync_schema} applied (C{server_info}'s
        C{schema}), or C{None}.
        """
        return applied_schema(self.operations)

    # -- lifecycle ------------------------------------------------------------

    def check(self) -> None:
        """
        Before serving: the database can be opened (raises if not).
        """
        self.dbms.check()

    def connect(self) -> Deferred[None]:
        """
        Open the pools and prepare the database; fires when it can serve.
        """
        return self.engine.open().addErrback(self._fail_open)

    def _fail_open(self, failure: Failure) -> Failure:
        self.disconnect()
        return failure

    @property
    def connected(self) -> bool:
        return self.engine.pool is not None

    def disconnect(self) -> Deferred[None]:
        """
        Roll back open transactions and close every connection.
        """
        pools = self.engine.detach()

        def close(_: object) -> None:
            for pool in pools:
                pool.close()
            if self.inline is not None:
                self.inline.close()

        closing: list[Deferred[None]] = [
            *self.cursors.close_all(),
            *self.transactions.close_all(),
        ]
        return gatherResults(closing, consumeErrors=True).addCallback(close)

    def abort_running(self) -> int:
        """
        Interrupt every running batch (shutdown); how many were running.
        """
        return self.engine.abort_running()

    # -- requests -------------------------------------------------------------

    def run(
        self,
        request: rq.BaseRequest,
        *,
        deadline: float | None = None,
        finish: Callable[[object], object] | None = None,
        transaction_id: str | None = None,
    ) -> Deferred[object]:
        """
        Run one data request, on the pools or inside an open transaction.

        @param deadline: absolute reactor time; past it the statement is
            interrupted and rolled back and the result is L{RequestTimeout}.
        @param finish: applied to the result on the database thread, inside
            the transaction (the server encodes responses there).
        """
        if self.engine.pool is None:
            return fail(ShuttingDown("the database is closed"))
        job = Job(request, deadline, finish)
        if transaction_id is not None:
            return self.transactions.run(job, transaction_id).addCallback(_outcome)
        if request.reads and self.run_inline(job):
            self.settle_job(job)
            return succeed(job).addCallback(_outcome)
        kind = READ if request.reads else WRITE
        return self.run_batch([job], kind).addCallback(_first_outcome)

    def begin_transaction(self) -> Deferred[str]:
        """
        Pin a connection to a new transaction; its id.
        """
        return self.transactions.begin()

    def commit_transaction(self, transaction_id: str) -> Deferred[bool]:
        return self.transactions.commit(transaction_id)

    def rollback_transaction(self, transaction_id: str) -> Deferred[bool]:
        return self.transactions.rollback(transaction_id)

    def open_cursor(
        self, request: rq.OpenCursorRequest, transaction_id: str | None = None
    ) -> Deferred[str]:
        """
        Run a cursor's query (inside a transaction, or on its own); its id.
        """
        return self.cursors.open_cursor(request, transaction_id)

    def fetch(
        self,
        cursor_id: str,
        size: int,
        *,
        deadline: float | None = None,
        finish: Callable[[object], object] | None = None,
    ) -> Deferred[object]:
        """
        A cursor's next page, C{{"rows": [...], "done": bool}}.

        @param deadline: absolute reactor time; past it the read is
            interrupted, the cursor closed and the result is
            L{RequestTimeout}.
        @param finish: applied to the page on the database thread.
        """
        request = rq.FetchRequest(cursor_id=cursor_id, size=size)
        return self.cursors.fetch(Job(request, deadline, finish))

    def close_cursor(self, cursor_id: str) -> Deferred[bool]:
        return self.cursors.close_cursor(cursor_id)
