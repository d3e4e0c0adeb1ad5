"""
The core of the engine: the pools of one backend, the batches running on
them (and inside transactions and cursors) with their deadlines, and the
protocol error each job answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVarTuple

import attrs
from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.drivers.engine.jobs import Batch, Job, WaitCut
from dbdriver.drivers.engine.pinned import PinnedConnection
from dbdriver.drivers.interfaces import DatabaseBackend, DriverReactor
from dbdriver.drivers.sql.operations import TableOperations
from dbdriver.exceptions import InternalError, RequestTimeout, ShuttingDown

__all__ = ["Engine"]

_Ts = TypeVarTuple("_Ts")


@attrs.define(eq=False)
class Engine:
    """
    Owns the pools of C{backend} and every running L{Batch}: arms its
    deadline (one timer a batch), interrupts it at shutdown, and settles
    its jobs' exceptions into protocol errors.

    @ivar pool: the pool that writes, once L{open}ed.
    @ivar read_pool: the pool that reads (may be C{pool}).
    """

    log = Logger()

    backend: DatabaseBackend
    operations: TableOperations
    reactor: DriverReactor
    pool: adbapi.ConnectionPool | None = attrs.field(init=False, default=None)
    read_pool: adbapi.ConnectionPool | None = attrs.field(init=False, default=None)
    _running: set[Batch] = attrs.field(init=False, factory=set)
    #: Cuts the backend's lock waits at deadlines, if an interrupt does not.
    waits: WaitCut | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        longest = self.backend.lock_wait
        if longest is not None:
            self.waits = WaitCut(self.backend, self.reactor.seconds, longest)

    # -- pools --------------------------------------------------------------------

    def open(self) -> Deferred[None]:
        """
        Open the pools and prepare the database.
        """
        self.pool, self.read_pool = self.backend.make_pools()
        d: Deferred[None] = self.pool.runInteraction(self.backend.prepare)
        return d

    def detach(self) -> list[adbapi.ConnectionPool]:
        """
        Take no more work; the pools to close once what runs has ended.
        """
        pools = {id(p): p for p in (self.pool, self.read_pool) if p is not None}
        self.pool = self.read_pool = None
        return list(pools.values())

    # -- running batches ----------------------------------------------------------

    def watch(self, batch: Batch) -> None:
        """
        C{batch} starts running: arm its deadline.
        """
        self._running.add(batch)
        self._arm(batch)

    def _arm(self, batch: Batch) -> None:
        deadline = batch.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.reactor.seconds())
            batch.timer = self.reactor.callLater(delay, self._expire, batch)

    def _expire(self, batch: Batch) -> None:
        batch.timer = None
        batch.expire(self.reactor.seconds(), self.backend.interrupt)
        if batch in self._running:
            self._arm(batch)

    def abort_running(self) -> int:
        """
        Interrupt every running batch (shutdown); its jobs answer
        L{ShuttingDown}.  Returns how many batches were running.
        """
        for batch in self._running:
            batch.abort(self.backend.interrupt)
        return len(self._running)

    def run_pinned(
        self,
        pinned: PinnedConnection,
        job: Job,
        work: Callable[[adbapi.Connection, Batch, *_Ts], None],
        *args: *_Ts,
    ) -> Deferred[list[Job]]:
        """
        Run C{job} alone on a pinned connection (a transaction's or a
        cursor's), as C{work(connection, batch, *args)} there, its deadline
        armed; fires with the settled jobs, never fails.
        """
        batch = Batch([job], self.waits)
        self.watch(batch)
        d = pinned.call(work, batch, *args)
        return d.addBoth(self.settle_batch, batch)

    def settle_batch(self, outcome: object, batch: Batch) -> list[Job]:
        """
        C{batch} ended (C{outcome} is a L{Failure} if its hop itself broke):
        its jobs, each holding its result or its protocol error.
        """
        self._running.discard(batch)
        if batch.timer is not None and batch.timer.active():
            batch.timer.cancel()
        if isinstance(outcome, Failure):
            assert outcome.value is not None
            error = self.operations.translate(outcome.value)
            if isinstance(error, InternalError):  # a bug
                self.log.failure("batch failed", outcome)
            else:  # the database's doing: no connection could be opened, ...
                self.log.warn("batch failed: {error}", error=error.message)
            for job in batch.jobs:
                if job.error is None and job.result is None:
                    job.fail(error)
        for job in batch.jobs:
            self.settle_job(job)
        return batch.jobs

    def settle_job(self, job: Job) -> None:
        """
        Turn a job's exception into the protocol error to answer.
        """
        if job.error is None:
            return
        if job.aborted:
            job.error = ShuttingDown("the server shut down while the request ran")
        elif job.timed_out:
            job.error = RequestTimeout(
                "the request's deadline passed; it was interrupted and rolled back"
            )
        else:
            error = self.operations.translate(job.error)
            if isinstance(error, InternalError):
                self.log.failure(
                    "internal error running {method}",
                    Failure(job.error),
                    method=job.request.method,
                )
            job.error = error
