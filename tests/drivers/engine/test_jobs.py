"""
L{dbdriver.drivers.engine.jobs}: a L{Job}'s outcome and the checks that stop
it after an abort or a timeout, and a L{Batch}'s deadlines: C{expire} marks
the jobs past theirs and interrupts only the one running, never one that
finished; C{next_deadline} ignores what is done or timed out.
"""

from __future__ import annotations

import sqlite3

import cbor2
import pytest
from twisted.internet import reactor

from dbdriver import requests as rq
from dbdriver.drivers.engine.jobs import Batch, Job, WaitCut
from dbdriver.drivers.sqlite.driver import SQLiteBackend
from dbdriver.drivers.sqlite.guard import GuardedConnection, SessionGuard
from dbdriver.exceptions import RequestTimeout, ShuttingDown
from dbdriver.server.config import Config
from dbdriver.wire.cbor import Encoded


def request() -> rq.BaseRequest:
    return rq.ExecuteRequest(sql="SELECT 1")


class Connection:
    """A stand-in DB-API connection: only its identity matters here."""

    def cursor(self):
        raise AssertionError("not used")

    def commit(self) -> None:
        raise AssertionError("not used")

    def rollback(self) -> None:
        raise AssertionError("not used")


def test_succeed_keeps_the_value_made_plain_or_finished() -> None:
    job = Job(request())
    job.succeed([Encoded(cbor2.dumps({"a": 1}), 1), 2])
    assert job.result == [{"a": 1}, 2] and job.error is None
    finished = Job(request(), finish=lambda value: ("finished", value))
    finished.succeed(3)
    assert finished.result == ("finished", 3)


def test_fail_replaces_a_result() -> None:
    job = Job(request())
    job.succeed(1)
    error = ValueError("x")
    job.fail(error)
    assert job.result is None and job.error is error


def test_check_after_abort_and_timeout() -> None:
    job = Job(request())
    job.check()
    job.timed_out = True
    with pytest.raises(RequestTimeout):
        job.check()
    with pytest.raises(RequestTimeout):
        job.succeed(1)
    assert job.result is None
    job.aborted = True  # shutting down wins over the deadline
    with pytest.raises(ShuttingDown):
        job.check()


def test_next_deadline_skips_done_timed_out_and_unbounded() -> None:
    done, late, free, soon, later = (Job(request(), d) for d in (1, 2, None, 5, 9))
    done.done = True
    late.timed_out = True
    batch = Batch([done, late, free, soon, later])
    assert batch.next_deadline() == 5
    assert Batch([Job(request())]).next_deadline() is None


def test_expire_interrupts_only_the_running_job_past_its_deadline() -> None:
    first, second = Job(request(), 10.0), Job(request(), 20.0)
    batch = Batch([first, second])
    connection = Connection()
    interrupted: list[object] = []
    batch.start(first, connection)
    batch.expire(5.0, interrupted.append)
    assert interrupted == [] and not first.timed_out
    batch.expire(15.0, interrupted.append)
    assert first.timed_out and not second.timed_out
    assert interrupted == [connection]


def test_expire_does_not_interrupt_a_finished_job() -> None:
    first, second = Job(request(), 10.0), Job(request(), 100.0)
    batch = Batch([first, second])
    interrupted: list[object] = []
    batch.start(first, Connection())
    batch.stop(first)
    assert first.done and batch.current is None
    batch.expire(50.0, interrupted.append)
    assert not first.timed_out and interrupted == []
    # The next job, not yet past its deadline, runs on.
    batch.start(second, Connection())
    batch.expire(50.0, interrupted.append)
    assert interrupted == [] and not second.timed_out


def test_start_refuses_a_job_already_past_its_deadline() -> None:
    job = Job(request(), 1.0)
    batch = Batch([job])
    batch.expire(2.0, lambda connection: None)
    with pytest.raises(RequestTimeout):
        batch.start(job, Connection())


def test_abort_marks_every_job_and_interrupts_the_running_one() -> None:
    jobs = [Job(request()), Job(request())]
    batch = Batch(jobs)
    connection = Connection()
    interrupted: list[object] = []
    batch.abort(interrupted.append)
    assert interrupted == []  # nothing running yet
    assert all(job.aborted for job in jobs)
    with pytest.raises(ShuttingDown):
        batch.start(jobs[0], connection)
    batch.abort(interrupted.append)
    assert interrupted == [connection]


# -- cutting a lock wait the backend's interrupt does not end (SQLite) ------------


class Clock:
    """The deadlines' clock, set by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _waits(clock: Clock) -> tuple[WaitCut, GuardedConnection]:
    """A cut on a real SQLite backend (busy timeout 5 s) and a guarded connection."""
    backend = SQLiteBackend(Config(database=":memory:", busy_timeout=5.0), reactor)
    connection = sqlite3.connect(
        ":memory:", isolation_level=None, factory=GuardedConnection
    )
    connection.execute("PRAGMA busy_timeout = 5000")
    connection.install(SessionGuard(read_only=False, allow_session=False))
    assert backend.lock_wait == 5.0
    return WaitCut(backend, clock, 5.0), connection


def _busy_timeout(connection: GuardedConnection) -> int:
    return connection.execute("PRAGMA busy_timeout").fetchone()[0]


def test_a_far_deadline_leaves_the_wait_alone() -> None:
    waits, connection = _waits(Clock())
    far, unbounded = Job(request(), 30.0), Job(request())
    batch = Batch([far, unbounded], waits)
    for job in (far, unbounded):
        batch.start(job, connection)
        assert batch.cut is None and _busy_timeout(connection) == 5000
        batch.stop(job)


def test_a_near_deadline_cuts_the_wait_and_a_late_failure_times_out() -> None:
    clock = Clock()
    waits, connection = _waits(clock)
    early, late = Job(request(), 0.2504), Job(request(), 1.0)
    batch = Batch([early, late], waits)
    batch.start(early, connection)
    assert _busy_timeout(connection) == 251  # rounded up: not before the deadline
    early.fail(sqlite3.OperationalError("database is locked"))
    clock.now = 0.26
    batch.stop(early)
    assert early.timed_out and _busy_timeout(connection) == 5000
    batch.start(late, connection)
    assert _busy_timeout(connection) == 740
    late.fail(sqlite3.IntegrityError("before its deadline"))
    batch.stop(late)
    assert not late.timed_out and _busy_timeout(connection) == 5000


def test_begin_times_out_the_late_jobs_and_returns_the_others() -> None:
    clock = Clock()
    waits, connection = _waits(clock)
    near, far, free = Job(request(), 1.0), Job(request(), 3.0), Job(request())
    batch = Batch([near, far, free], waits)
    seen: list[int] = []

    def locked(cursor: sqlite3.Cursor) -> None:
        seen.append(_busy_timeout(connection))
        clock.now = 1.0
        raise sqlite3.OperationalError("database is locked")

    assert batch.begin(batch.jobs, connection.cursor(), locked) == [far, free]
    assert seen == [1000] and _busy_timeout(connection) == 5000
    assert near.timed_out and near.done and near.error is not None
    # Failing before any deadline: the error is the group's.
    clock.now = 2.0
    with pytest.raises(sqlite3.OperationalError):
        batch.begin([far, free], connection.cursor(), locked)
    assert not far.timed_out and _busy_timeout(connection) == 5000


def test_begin_without_a_cut_just_begins() -> None:
    waits, connection = _waits(Clock())
    jobs = [Job(request(), 0.5)]
    began: list[object] = []
    assert Batch(jobs, waits).begin(jobs, connection.cursor(), began.append) is jobs
    assert _busy_timeout(connection) == 5000 and len(began) == 1
    assert Batch(jobs).begin(jobs, connection.cursor(), began.append) is jobs
    far = [Job(request(), 60.0)]
    assert Batch(far, waits).begin(far, connection.cursor(), began.append) is far
    assert len(began) == 3
