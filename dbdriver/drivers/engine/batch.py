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

from twisted.internet.defer import Deferred

from dbdriver.drivers.engine.engine import Engine
from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.dialect import REQUEST_SAVEPOINT
from dbdriver.exceptions import ShuttingDown

__all__ = ["READ", "WRITE", "BatchRunner"]

READ, WRITE = "read", "write"


class BatchRunner:
    """
    Runs L{Job}s in L{Batch}es on the engine's pools: read hops and
    group-committed write hops.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.backend
        self.operations = engine.operations

    # -- reactor side -------------------------------------------------------------

    def run_batch(self, jobs: list[Job], kind: str) -> Deferred[list[Job]]:
        """
        Run C{jobs} in one thread hop; fires with them, each holding its
        result or its protocol error (never fails).
        """
        engine = self.engine
        pool = engine.read_pool if kind == READ else engine.pool
        batch = Batch(jobs, engine.waits)
        d: Deferred[object]
        if pool is None:
            for job in jobs:
                job.fail(ShuttingDown("the database is closed"))
            d = Deferred()
            d.callback(None)
        else:
            engine.watch(batch)
            hop = self._read_hop if kind == READ else self._write_hop
            d = pool.runInteraction(hop, batch)
        return d.addBoth(engine.settle_batch, batch)

    # -- thread side -------------------------------------------------------------

    def _read_hop(self, cursor: DBCursor, batch: Batch) -> None:
        connection = cursor.connection
        perform = self.operations.perform
        for job in batch.jobs:
            try:
                batch.start(job, connection)
                job.succeed(perform(cursor, job.request))
            except Exception as e:
                job.fail(e)
                self.backend.recover(connection)
            finally:
                batch.stop(job)

    def _write_hop(self, cursor: DBCursor, batch: Batch) -> None:
        runs_alone = self.operations.runs_alone
        jobs = batch.jobs
        start = 0
        while start < len(jobs):
            if runs_alone(jobs[start].request):
                self._alone(cursor, batch, jobs[start])
                start += 1
                continue
            end = start
            while end < len(jobs) and not runs_alone(jobs[end].request):
                end += 1
            self._group(cursor, batch, jobs[start:end])
            start = end

    def _alone(self, cursor: DBCursor, batch: Batch, job: Job) -> None:
        connection = cursor.connection
        try:
            batch.start(job, connection)
            job.succeed(self.operations.perform(cursor, job.request))
            connection.commit()
        except Exception as e:
            job.fail(e)
            self.backend.recover(connection)
        finally:
            batch.stop(job)

    def _group(self, cursor: DBCursor, batch: Batch, jobs: list[Job]) -> None:
        """
        Run C{jobs} in one transaction, a savepoint each; if the transaction
        itself is lost (an interrupt rolls back all of it on some backends),
        run the others again.
        """
        connection = cursor.connection
        pending = jobs
        while pending:
            try:
                ready = batch.begin(pending, cursor, self.backend.begin_group)
            except Exception as e:
                for job in pending:
                    job.fail(e)
                    job.done = True
                return
            if ready is not pending:  # the wait was cut at a deadline
                pending = ready
                continue
            written, lost = self._savepoints(cursor, batch, pending)
            if lost is None:
                try:
                    connection.commit()
                except Exception as e:
                    for job in written:
                        job.fail(e)
                    self.backend.recover(connection)
                return
            self.backend.recover(connection)
            for job in written:
                job.result = None
            pending = written + pending[pending.index(lost) + 1 :]

    def _savepoints(
        self, cursor: DBCursor, batch: Batch, jobs: list[Job]
    ) -> tuple[list[Job], Job | None]:
        operations = self.operations
        dialect = operations.dialect
        connection = cursor.connection
        written: list[Job] = []
        for job in jobs:
            try:
                batch.start(job, connection)
            except Exception as e:
                job.fail(e)
                batch.stop(job)
                continue
            savepoint = operations.needs_savepoint(job.request)
            ran = False
            try:
                if savepoint:
                    cursor.execute(dialect.savepoint(REQUEST_SAVEPOINT))
                value = operations.perform(cursor, job.request)
                ran = True
                job.succeed(value)
                if savepoint:
                    cursor.execute(dialect.release(REQUEST_SAVEPOINT))
                written.append(job)
            except Exception as e:
                job.fail(e)
                alive = self.backend.transaction_alive(connection)
                if not alive or (ran and not savepoint):
                    return written, job  # undo it with the whole group
                if savepoint:
                    cursor.execute(dialect.rollback_to(REQUEST_SAVEPOINT))
                    cursor.execute(dialect.release(REQUEST_SAVEPOINT))
            finally:
                batch.stop(job)
        return written, None
