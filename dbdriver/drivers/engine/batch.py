"""
Batched execution on database threads, the same on every backend.

Reads run several to a thread hop.  Writes are group-committed: one
database transaction for many requests (from many clients), each under its
own savepoint, so one failing request never affects another, and each is
acknowledged only after the commit.  A raw C{execute} or a C{sync_schema}
runs alone, outside any group (a statement that cannot run inside a
transaction, or one that manages its own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.sql.dialect import REQUEST_SAVEPOINT as _SAVEPOINT
from dbdriver.exceptions import InternalError, RequestTimeout, ShuttingDown

__all__ = ["READ", "WRITE", "BatchExecution"]

READ, WRITE = "read", "write"


class BatchExecution:
    """
    Runs L{Job}s in L{Batch}es on the driver's pools.  Mixed into the
    driver, which supplies C{pool}, C{read_pool}, C{dialect}, C{perform},
    C{translate}, C{interrupt}, C{transaction_alive} and C{begin_group}.
    """

    log = Logger()
    pool: adbapi.ConnectionPool | None
    read_pool: adbapi.ConnectionPool | None
    reactor: Any
    interrupt: Callable[[Any], None]
    #: Whether a failed statement undoes only itself, leaving the
    #: transaction usable (then single statements need no savepoint).
    statement_atomic = False

    def _init_batches(self) -> None:
        self._batches: set[Batch] = set()

    # -- reactor side -------------------------------------------------------------

    def run_batch(self, jobs: list[Job], kind: str) -> Deferred[list[Job]]:
        """
        Run C{jobs} in one thread hop; fires with them, each holding its
        result or its protocol error (never fails).
        """
        pool = self.read_pool if kind == READ else self.pool
        batch = Batch(jobs)
        if pool is None:
            for job in jobs:
                job.fail(ShuttingDown("the database is closed"))
            d: Deferred[Any] = Deferred()
            d.callback(None)
        else:
            self._batches.add(batch)
            self._arm(batch)
            hop = self._read_hop if kind == READ else self._write_hop
            d = pool.runInteraction(hop, batch)
        return d.addBoth(self._settle_batch, batch)

    def _arm(self, batch: Batch) -> None:
        deadline = batch.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.reactor.seconds())
            batch.timer = self.reactor.callLater(delay, self._expire_batch, batch)

    def _expire_batch(self, batch: Batch) -> None:
        batch.timer = None
        batch.expire(self.reactor.seconds(), self.interrupt)
        if batch in self._batches:
            self._arm(batch)

    def abort_running(self) -> int:
        """
        Interrupt every running batch (shutdown); its jobs answer
        L{ShuttingDown}.  Returns how many batches were running.
        """
        for batch in self._batches:
            batch.abort(self.interrupt)
        return len(self._batches)

    def _settle_batch(self, outcome: Any, batch: Batch) -> list[Job]:
        self._batches.discard(batch)
        if batch.timer is not None and batch.timer.active():
            batch.timer.cancel()
        if isinstance(outcome, Failure):  # the hop itself broke
            assert outcome.value is not None
            error = self.translate(outcome.value)  # type: ignore[attr-defined]
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
            error = self.translate(job.error)  # type: ignore[attr-defined]
            if isinstance(error, InternalError):
                self.log.failure(
                    "internal error running {method}",
                    Failure(job.error),
                    method=job.request.method,
                )
            job.error = error

    # -- thread side -------------------------------------------------------------

    def _read_hop(self, cursor: Any, batch: Batch) -> None:
        connection = cursor.connection
        for job in batch.jobs:
            try:
                batch.start(job, connection)
                job.succeed(self.perform(cursor, job.request))  # type: ignore[attr-defined]
            except Exception as e:
                job.fail(e)
                self.recover(connection)
            finally:
                batch.stop(job)

    def recover(self, connection: Any) -> None:
        """
        After a failure: roll back, and make the connection usable for the
        next request (a backend may reopen a lost connection here).
        """
        connection.rollback()

    def needs_savepoint(self, request: Any) -> bool:
        """
        Whether a request runs under a savepoint of its own, to fail alone.
        Not where the backend undoes a failed statement by itself (SQLite,
        InnoDB) and the request is a read or a single statement, unless that
        statement returns rows: an answer too large must undo its write.
        """
        if not self.statement_atomic or getattr(request, "returning", None):
            return True
        return not (request.reads or request.single_statement)

    def runs_alone(self, request: Any) -> bool:
        """
        Whether a write runs alone, outside any group: the request's own
        C{alone}, or what the backend adds (MySQL: DDL, which commits).
        """
        return bool(request.alone)

    def _write_hop(self, cursor: Any, batch: Batch) -> None:
        jobs = batch.jobs
        start = 0
        while start < len(jobs):
            if self.runs_alone(jobs[start].request):
                self._alone(cursor, batch, jobs[start])
                start += 1
                continue
            end = start
            while end < len(jobs) and not self.runs_alone(jobs[end].request):
                end += 1
            self._group(cursor, batch, jobs[start:end])
            start = end

    def _alone(self, cursor: Any, batch: Batch, job: Job) -> None:
        connection = cursor.connection
        try:
            batch.start(job, connection)
            job.succeed(self.perform(cursor, job.request))  # type: ignore[attr-defined]
            connection.commit()
        except Exception as e:
            job.fail(e)
            self.recover(connection)
        finally:
            batch.stop(job)

    def _group(self, cursor: Any, batch: Batch, jobs: list[Job]) -> None:
        """
        Run C{jobs} in one transaction, a savepoint each; if the transaction
        itself is lost (an interrupt rolls back all of it on some backends),
        run the others again.
        """
        connection = cursor.connection
        pending = jobs
        while pending:
            try:
                self.begin_group(cursor)  # type: ignore[attr-defined]
            except Exception as e:
                for job in pending:
                    job.fail(e)
                    job.done = True
                return
            written, lost = self._savepoints(cursor, batch, pending)
            if lost is None:
                try:
                    connection.commit()
                except Exception as e:
                    for job in written:
                        job.fail(e)
                    self.recover(connection)
                return
            self.recover(connection)
            for job in written:
                job.result = None
            pending = written + pending[pending.index(lost) + 1 :]

    def _savepoints(
        self, cursor: Any, batch: Batch, jobs: list[Job]
    ) -> tuple[list[Job], Job | None]:
        dialect = self.dialect  # type: ignore[attr-defined]
        connection = cursor.connection
        written: list[Job] = []
        for job in jobs:
            try:
                batch.start(job, connection)
            except Exception as e:
                job.fail(e)
                batch.stop(job)
                continue
            savepoint = self.needs_savepoint(job.request)
            ran = False
            try:
                if savepoint:
                    cursor.execute(dialect.savepoint(_SAVEPOINT))
                value = self.perform(cursor, job.request)  # type: ignore[attr-defined]
                ran = True
                job.succeed(value)
                if savepoint:
                    cursor.execute(dialect.release(_SAVEPOINT))
                written.append(job)
            except Exception as e:
                job.fail(e)
                alive = self.transaction_alive(connection)  # type: ignore[attr-defined]
                if not alive or (ran and not savepoint):
                    return written, job  # undo it with the whole group
                if savepoint:
                    cursor.execute(dialect.rollback_to(_SAVEPOINT))
                    cursor.execute(dialect.release(_SAVEPOINT))
            finally:
                batch.stop(job)
        return written, None
