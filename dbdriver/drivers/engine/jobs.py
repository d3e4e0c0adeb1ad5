"""
Jobs: requests on their way through a database thread, in batches.

A L{Batch} is what one thread hop runs: several reads, or a group of writes
committed together.  It knows which job runs on which connection, so that
a deadline interrupts exactly that statement (and nothing after it), and
one timer serves the whole batch.

A backend whose lock waits an interrupt does not end (SQLite's busy
handler) gets a L{WaitCut}: a job whose deadline is nearer than the
longest wait runs with the wait cut to the time it has left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DatabaseBackend, DBConnection, DBCursor
from dbdriver.exceptions import RequestTimeout, ShuttingDown
from dbdriver.wire.cbor import plain

__all__ = ["Batch", "Job", "WaitCut"]


class Job:
    """
    One request to run: its outcome is C{result} (what C{finish} made of
    the value) or C{error}.
    """

    __slots__ = (
        "aborted", "deadline", "done", "error", "finish", "request", "result",
        "timed_out",
    )  # fmt: skip

    def __init__(
        self,
        request: rq.BaseRequest,
        deadline: float | None = None,
        finish: Callable[[object], object] | None = None,
    ) -> None:
        self.request = request
        self.deadline = deadline
        self.finish = finish
        self.result: object = None
        self.error: BaseException | None = None
        self.done = False
        self.timed_out = False
        self.aborted = False

    def check(self) -> None:
        """
        Raise if the job must not start or go on (thread side).
        """
        if self.aborted:
            raise ShuttingDown("the server is shutting down")
        if self.timed_out:
            raise RequestTimeout("the request's deadline passed")

    def succeed(self, value: object) -> None:
        self.check()
        self.result = plain(value) if self.finish is None else self.finish(value)
        self.error = None

    def fail(self, error: BaseException) -> None:
        self.result = None
        self.error = error


class WaitCut:
    """
    Thread side: cuts a backend's lock wait (L{DatabaseBackend.lock_wait})
    at a deadline nearer than it, and restores it.

    @ivar clock: the deadlines' clock (the reactor's C{seconds}).
    """

    __slots__ = ("backend", "clock", "longest")

    def __init__(
        self, backend: DatabaseBackend, clock: Callable[[], float], longest: float
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.longest = longest

    def cut(self, connection: DBConnection, deadline: float) -> bool:
        """
        Cut the wait on C{connection} if C{deadline} is nearer than the
        longest wait; whether it was.
        """
        left = deadline - self.clock()
        if left >= self.longest:
            return False
        self.backend.limit_lock_wait(connection, max(0.0, left))
        return True

    def restore(self, connection: DBConnection) -> None:
        self.backend.restore_lock_wait(connection)

    def passed(self, deadline: float | None) -> bool:
        return deadline is not None and self.clock() >= deadline


class Batch:
    """
    The jobs of one thread hop and the connection running the current one.

    @ivar waits: cuts lock waits at deadlines (C{None}: the backend's
        interrupt ends them).
    @ivar cut: the connection whose wait the current job cut.
    """

    __slots__ = ("connection", "current", "cut", "jobs", "lock", "timer", "waits")

    def __init__(self, jobs: list[Job], waits: WaitCut | None = None) -> None:
        self.jobs = jobs
        self.waits = waits
        self.lock = threading.Lock()
        self.connection: DBConnection | None = None
        self.current: Job | None = None
        self.cut: DBConnection | None = None
        self.timer: IDelayedCall | None = None

    def start(self, job: Job, connection: DBConnection) -> None:
        """
        Thread side: C{job} now runs on C{connection}.
        """
        with self.lock:
            self.current = job
            self.connection = connection
        job.check()
        waits, deadline = self.waits, job.deadline
        if (
            waits is not None
            and deadline is not None
            and waits.cut(connection, deadline)
        ):
            self.cut = connection

    def stop(self, job: Job) -> None:
        """
        Thread side: C{job} is over (its connection may run other things).
        A job whose wait was cut and that failed past its deadline timed
        out (the cut wait ended it, maybe before the timer noticed).
        """
        with self.lock:
            self.current = None
        if self.cut is not None:
            self._uncut(job)
        job.done = True

    def _uncut(self, job: Job) -> None:
        connection, self.cut = self.cut, None
        waits = self.waits
        assert waits is not None and connection is not None
        waits.restore(connection)
        if job.error is not None and waits.passed(job.deadline):
            job.timed_out = True

    def begin(
        self, jobs: list[Job], cursor: DBCursor, begin: Callable[[DBCursor], None]
    ) -> list[Job]:
        """
        Thread side: C{begin(cursor)} (where C{jobs} wait for a lock, such
        as a write group's C{BEGIN}), its wait cut at their nearest
        deadline; the jobs to run then.  If it fails past that deadline, the
        jobs past theirs time out and the others are returned, to begin
        again; if it fails otherwise, it raises.
        """
        waits = self.waits
        deadlines = [j.deadline for j in jobs if j.deadline is not None]
        connection = cursor.connection
        if waits is None or not deadlines or not waits.cut(connection, min(deadlines)):
            begin(cursor)
            return jobs
        try:
            begin(cursor)
        except Exception as e:
            waits.restore(connection)
            late = [j for j in jobs if waits.passed(j.deadline)]
            if not late:
                raise
            for job in late:
                job.fail(e)
                job.timed_out = job.done = True
            return [j for j in jobs if not j.done]
        waits.restore(connection)
        return jobs

    def next_deadline(self) -> float | None:
        deadlines = [
            j.deadline
            for j in self.jobs
            if j.deadline is not None and not j.done and not j.timed_out
        ]
        return min(deadlines) if deadlines else None

    def expire(self, now: float, interrupt: Callable[[DBConnection], None]) -> None:
        """
        Reactor side: mark the jobs past their deadline; interrupt the one
        running, if it is one of them.
        """
        for job in self.jobs:
            if job.deadline is not None and job.deadline <= now and not job.done:
                job.timed_out = True
        self._interrupt_current(lambda job: job.timed_out, interrupt)

    def abort(self, interrupt: Callable[[DBConnection], None]) -> None:
        for job in self.jobs:
            job.aborted = True
        self._interrupt_current(lambda job: True, interrupt)

    def _interrupt_current(
        self, which: Callable[[Job], bool], interrupt: Callable[[DBConnection], None]
    ) -> None:
        with self.lock:
            current, connection = self.current, self.connection
            if current is not None and connection is not None and which(current):
                interrupt(connection)
