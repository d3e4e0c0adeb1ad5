"""
Jobs: requests on their way through a database thread, in batches.

A L{Batch} is what one thread hop runs: several reads, or a group of writes
committed together.  It knows which job runs on which connection, so that
a deadline interrupts exactly that statement (and nothing after it), and
one timer serves the whole batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBConnection
from dbdriver.exceptions import RequestTimeout, ShuttingDown
from dbdriver.wire.cbor import plain

__all__ = ["Batch", "Job"]


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


class Batch:
    """
    The jobs of one thread hop and the connection running the current one.
    """

    __slots__ = ("connection", "current", "jobs", "lock", "timer")

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.lock = threading.Lock()
        self.connection: DBConnection | None = None
        self.current: Job | None = None
        self.timer: IDelayedCall | None = None

    def start(self, job: Job, connection: DBConnection) -> None:
        """
        Thread side: C{job} now runs on C{connection}.
        """
        with self.lock:
            self.current = job
            self.connection = connection
        job.check()

    def stop(self, job: Job) -> None:
        """
        Thread side: C{job} is over (its connection may run other things).
        """
        with self.lock:
            self.current = None
        job.done = True

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
