"""
L{dbdriver.server.sessions.Sessions}: open transactions and cursors by
owner and kind, C{unknown_transaction} saying why a session ended, the
idle timeout (on a C{Clock}), a transaction's end ending its cursors, and
the requests waiting in a session's lane answered when it ends.  The
driver is a real SQLite driver on a file and the queue a real
L{RequestQueue}: an ended transaction is really rolled back.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from dbdriver.drivers.sqlite.driver import SQLiteDriver
from dbdriver.exceptions import UnknownTransaction
from dbdriver.requests.methods import parse_request
from dbdriver.server import sessions as sessions_module
from dbdriver.server.config import Config
from dbdriver.server.dispatch import LANES
from dbdriver.server.interfaces import Work
from dbdriver.server.request_queue import QueueEntry, RequestQueue
from dbdriver.server.sessions import CURSOR, TRANSACTION, Sessions
from dbdriver.wire.envelope import Envelope

IDLE = 10.0


def _insert(value: str) -> Any:
    return parse_request("insert", {"table": "t", "data": {"v": value}})


@pytest_twisted.async_yield_fixture()
async def driver(tmp_path: Path) -> Any:
    config = Config(
        database=str(tmp_path / "db.sqlite3"),
        busy_timeout=0.5,
        write_lock_idle_timeout=IDLE,  # the idle timeout, not the write lock's
    )
    driver = SQLiteDriver(config, reactor)
    driver.check()
    await driver.connect()
    await driver.run(parse_request("execute", {"sql": "CREATE TABLE t (v TEXT)"}))
    yield driver
    await driver.disconnect()


def _stored(tmp_path: Path) -> list[str]:
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as connection:
        return [v for (v,) in connection.execute("SELECT v FROM t ORDER BY rowid")]


class Harness:
    """Sessions on a clock, over a real queue, recording what they answer."""

    def __init__(self, driver: SQLiteDriver) -> None:
        self.clock = Clock()
        self.expired: list[QueueEntry] = []
        self.queue = RequestQueue(100, self.clock, self.expired.append, LANES)
        self.answered: list[tuple[QueueEntry, Any]] = []
        self.sessions = Sessions(
            self.clock,
            self.queue,
            driver,
            IDLE,
            lambda entry, result: self.answered.append((entry, result)),
        )

    def wait_in(self, session_id: str, owner: object, request_id: int) -> QueueEntry:
        envelope = Envelope(request_id, _insert("queued"))
        work = Work(owner, envelope, session_id, session_id)  # type: ignore[arg-type]
        self.sessions.enter(session_id)
        return self.queue.put(
            work, priority=5, deadline=1000.0, owner=owner, lane=session_id
        )

    def why(self, session_id: str, owner: object, kind: str) -> UnknownTransaction:
        with pytest.raises(UnknownTransaction) as raised:
            self.sessions.lookup(session_id, owner, kind)  # type: ignore[arg-type]
        return raised.value


@pytest.fixture
def h(driver: SQLiteDriver) -> Harness:
    return Harness(driver)


A, B = object(), object()


def test_lookup_by_owner_and_kind(h: Harness) -> None:
    s = h.sessions
    s.begun("t1", A, TRANSACTION)  # type: ignore[arg-type]
    s.begun("c1", A, CURSOR, parent="t1")  # type: ignore[arg-type]
    s.begun("c2", B, CURSOR)  # type: ignore[arg-type]
    found = s.lookup("t1", A, TRANSACTION)  # type: ignore[arg-type]
    assert (found.id, found.kind, found.owner, found.parent) == (
        "t1",
        TRANSACTION,
        A,
        None,
    )
    assert s.lookup("c1", A, CURSOR).parent == "t1"  # type: ignore[arg-type]
    assert ("t1" in s, "c2" in s, "nope" in s) == (True, True, False)
    assert (s.count(TRANSACTION), s.count(CURSOR)) == (1, 2)
    assert s.owned_by(A) == ["t1", "c1"]  # type: ignore[arg-type]
    assert s.owned_by(B) == ["c2"]  # type: ignore[arg-type]
    other_owner = h.why("t1", B, TRANSACTION)
    assert str(other_owner) == "unknown transaction 't1'"
    assert other_owner.details == {"transaction_id": "t1"}
    wrong_kind = h.why("t1", A, CURSOR)
    assert wrong_kind.details == {"cursor_id": "t1"}
    assert h.why("nope", A, TRANSACTION).message == "unknown transaction 'nope'"


@pytest_twisted.ensureDeferred
async def test_unknown_transaction_says_why_it_ended(h: Harness) -> None:
    s = h.sessions
    for session_id in ("t1", "t2"):
        s.begun(session_id, A, TRANSACTION)  # type: ignore[arg-type]
    await s.end("t1", "its connection closed")  # the driver knew no t1: no failure
    error = h.why("t1", A, TRANSACTION)
    assert error.message == (
        "unknown transaction 't1': it ended because its connection closed"
    )
    assert "because its connection closed" in h.why("t1", B, TRANSACTION).message
    await s.end("t2", None)  # committed: nothing to explain
    assert h.why("t2", A, TRANSACTION).message == "unknown transaction 't2'"


@pytest_twisted.ensureDeferred
async def test_the_reasons_remembered_are_bounded(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions_module, "_REMEMBERED", 2)
    for n in range(3):
        h.sessions.begun(f"t{n}", A, TRANSACTION)  # type: ignore[arg-type]
        await h.sessions.end(f"t{n}", f"reason {n}")
    assert "because" not in h.why("t0", A, TRANSACTION).message
    assert "because reason 1" in h.why("t1", A, TRANSACTION).message
    assert "because reason 2" in h.why("t2", A, TRANSACTION).message


@pytest_twisted.ensureDeferred
async def test_an_idle_transaction_is_rolled_back(
    h: Harness, driver: SQLiteDriver, tmp_path: Path
) -> None:
    tid = await driver.begin_transaction()
    await driver.run(_insert("uncommitted"), transaction_id=tid)
    h.sessions.begun(tid, A, TRANSACTION)  # type: ignore[arg-type]
    h.clock.advance(IDLE - 0.01)
    assert tid in h.sessions
    assert driver.open_transactions == 1
    h.clock.advance(0.02)
    assert tid not in h.sessions
    assert driver.open_transactions == 0
    assert f"it was idle longer than {IDLE} s" in h.why(tid, A, TRANSACTION).message
    assert h.clock.getDelayedCalls() == []
    # the write lock went with it (busy_timeout is 0.5 s), the row too
    await driver.run(_insert("after"))
    assert _stored(tmp_path) == ["after"]


@pytest_twisted.ensureDeferred
async def test_an_idle_cursor_is_closed(h: Harness, driver: SQLiteDriver) -> None:
    cid = await driver.open_cursor(parse_request("open_cursor", {"sql": "SELECT 1"}))
    h.sessions.begun(cid, A, CURSOR)  # type: ignore[arg-type]
    assert driver.open_cursors == 1
    h.clock.advance(IDLE + 0.01)
    assert driver.open_cursors == 0
    assert "idle longer" in h.why(cid, A, CURSOR).message


def test_idle_counts_from_the_last_answer(h: Harness) -> None:
    s, clock = h.sessions, h.clock
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    clock.advance(4)
    s.enter("t")
    s.leave("t")  # answered at 4: idle until 14
    clock.advance(9.9)
    assert "t" in s
    clock.advance(0.2)
    assert "t" not in s


def test_a_session_with_a_request_running_is_not_idle(h: Harness) -> None:
    s, clock = h.sessions, h.clock
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    clock.advance(4)
    s.enter("t")  # runs from 4 to 30, longer than the timeout
    clock.advance(26)
    assert "t" in s
    s.leave("t")
    clock.advance(IDLE - 0.1)
    assert "t" in s
    clock.advance(0.2)
    assert "t" not in s


def test_one_idle_timer_per_session_however_many_requests(h: Harness) -> None:
    s = h.sessions
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    for _ in range(50):
        h.clock.advance(0.1)
        s.enter("t")
        s.leave("t")
    assert len(h.clock.getDelayedCalls()) == 1


@pytest_twisted.ensureDeferred
async def test_ending_a_transaction_ends_its_cursors(
    h: Harness, driver: SQLiteDriver
) -> None:
    s = h.sessions
    tid = await driver.begin_transaction()
    select = parse_request("open_cursor", {"sql": "SELECT v FROM t"})
    inner = await driver.open_cursor(select, tid)
    outer = await driver.open_cursor(select)
    s.begun(tid, A, TRANSACTION)  # type: ignore[arg-type]
    s.begun(inner, A, CURSOR, parent=tid)  # type: ignore[arg-type]
    s.begun(outer, A, CURSOR)  # type: ignore[arg-type]
    waiting = h.wait_in(inner, A, 1)
    await s.end(tid, "a request in it timed out")
    assert (tid in s, inner in s, outer in s) == (False, False, True)
    assert driver.open_transactions == 0
    assert driver.open_cursors == 1
    assert "because a request in it timed out" in h.why(inner, A, CURSOR).message
    [(entry, result)] = h.answered
    assert entry is waiting
    assert result.check(UnknownTransaction)
    await s.end(outer, "done")
    assert driver.open_cursors == 0


def test_a_committed_transactions_cursors_say_their_transaction_ended(
    h: Harness,
) -> None:
    s = h.sessions
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    s.begun("c", A, CURSOR, parent="t")  # type: ignore[arg-type]
    s.end("t", None)
    assert "because its transaction ended" in h.why("c", A, CURSOR).message


def test_ending_a_transaction_cancels_its_cursors_timers(h: Harness) -> None:
    s = h.sessions
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    s.begun("c", A, CURSOR, parent="t")  # type: ignore[arg-type]
    s.end("t", None)
    assert h.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_waiting_requests_are_answered_when_a_session_ends(
    h: Harness,
) -> None:
    s = h.sessions
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    first, second = h.wait_in("t", A, 1), h.wait_in("t", A, 2)
    assert h.queue.depth == 2
    await s.end("t", "its connection closed")
    assert [entry for entry, _ in h.answered] == [first, second]
    for _, result in h.answered:
        assert isinstance(result, Failure)
        assert result.check(UnknownTransaction)
        assert result.value.message == "it ended: its connection closed"
    assert h.queue.depth == 0
    assert h.expired == []


def test_a_commit_answers_what_waits_closed_and_leaves_the_database_alone(
    h: Harness,
) -> None:
    s = h.sessions
    s.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    h.wait_in("t", A, 1)
    fired: list[Any] = []
    s.end("t", None).addCallback(fired.append)
    assert fired == [None]  # at once: the commit itself ran elsewhere
    [(_, result)] = h.answered
    assert result.value.message == "it ended: closed"


def test_the_lanes_consumer_is_stopped_when_its_session_ends(h: Harness) -> None:
    h.sessions.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    consumer = h.queue.get("t")  # the dispatcher waits for the next request
    failures: list[Failure] = []
    consumer.addErrback(failures.append)
    h.sessions.end("t", "its connection closed")
    assert len(failures) == 1
    assert failures[0].check(CancelledError)
    assert h.answered == []


@pytest_twisted.ensureDeferred
async def test_end_without_reason_does_not_roll_back(
    h: Harness, driver: SQLiteDriver
) -> None:
    tid = await driver.begin_transaction()
    h.sessions.begun(tid, A, TRANSACTION)  # type: ignore[arg-type]
    await h.sessions.end(tid, None)
    assert driver.open_transactions == 1  # the dispatcher commits it itself
    assert await driver.rollback_transaction(tid) is True


@pytest_twisted.ensureDeferred
async def test_end_of_what_the_driver_does_not_know_still_fires(h: Harness) -> None:
    h.sessions.begun("ghost", A, TRANSACTION)  # type: ignore[arg-type]
    await h.sessions.end("ghost", "its connection closed")  # rollback failed: trapped
    assert await h.sessions.end("never-begun", "whatever") is None
    assert "because" not in h.why("never-begun", A, TRANSACTION).message
    assert h.answered == []


@pytest_twisted.ensureDeferred
async def test_end_all(h: Harness, driver: SQLiteDriver) -> None:
    tid = await driver.begin_transaction()
    h.sessions.begun(tid, A, TRANSACTION)  # type: ignore[arg-type]
    h.sessions.begun("c", B, CURSOR)  # type: ignore[arg-type]
    ends = h.sessions.end_all("the server shut down")
    assert len(ends) == 2
    for d in ends:
        await d  # none fails, though the driver knew no cursor "c"
    assert (h.sessions.count(TRANSACTION), h.sessions.count(CURSOR)) == (0, 0)
    assert driver.open_transactions == 0
    assert "because the server shut down" in h.why("c", B, CURSOR).message


def test_leave_after_the_end_is_harmless(h: Harness) -> None:
    h.sessions.begun("t", A, TRANSACTION)  # type: ignore[arg-type]
    h.sessions.enter("t")
    h.sessions.end("t", None)
    h.sessions.leave("t")
    assert "t" not in h.sessions
    assert h.clock.getDelayedCalls() == []
