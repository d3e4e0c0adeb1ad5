"""
L{dbdriver.server.dispatch.Dispatcher} between a real L{RequestQueue} and
a real SQLite driver, answering to a recording L{IAnswers}: the lane each
request kind waits in, cheap reads answered on the spot, writes grouped,
transaction control and transaction lanes, a begin or a cursor whose owner
is gone undone, and C{drain} (on a C{Clock}).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from dbdriver.drivers.postgresql.driver import PostgreSQLDriver
from dbdriver.drivers.sqlite.driver import SQLiteDriver
from dbdriver.requests.methods import parse_request
from dbdriver.server.config import Config
from dbdriver.server.dispatch import CONTROL, HEAVY, INLINE, LANES, WRITES, Dispatcher
from dbdriver.server.interfaces import IAnswers, Work
from dbdriver.server.request_queue import QueueEntry, RequestQueue
from dbdriver.server.sessions import CURSOR, TRANSACTION, Sessions
from dbdriver.wire.cbor import response
from dbdriver.wire.envelope import Envelope, decode_payload
from tests.support.structural import mismatches

TABLE = {"table": "t"}
COLUMN = {"name": "a", "type": "text"}
KINDS = [
    ("begin_transaction", {}, CONTROL),
    ("open_cursor", {"table": "t"}, CONTROL),
    ("open_cursor", {"sql": "SELECT 1"}, CONTROL),
    ("select", {"table": "t"}, "reads"),
    ("count", {"table": "t"}, "reads"),
    ("list_tables", {}, "reads"),
    ("get_table_info", {"table": "t"}, "reads"),
    ("insert", {"table": "t", "data": {"v": 1}}, WRITES),
    ("insert_many", {"table": "t", "rows": [{"v": 1}]}, WRITES),
    ("update", {"table": "t", "where": {"v": 1}, "data": {"v": 2}}, WRITES),
    ("delete", {"table": "t", "where": {"v": 1}}, WRITES),
    ("execute", {"sql": "SELECT 1"}, WRITES),  # raw SQL may write
    ("transaction", {"operations": [{"method": "count", "params": TABLE}]}, WRITES),
    ("create_table", {"schema": {"name": "u", "columns": [COLUMN]}}, WRITES),
    ("drop_table", {"table": "t"}, WRITES),
    ("sync_schema", {"schema_definition": {"tables": []}}, WRITES),
]


class Owner:
    """The connection a request came from, as the dispatcher sees it."""

    connected_ = True


class Answers:
    """An L{IAnswers} that records each outcome by request id."""

    stopping = False

    def __init__(self) -> None:
        self.results: dict[int, Any] = {}
        self.order: list[int] = []
        self._waiting: dict[int, Deferred[Any]] = {}

    def finish_for(self, work: Work) -> Any:
        request_id = work.envelope.request_id
        return lambda value: response(request_id, value)

    def answer(self, entry: QueueEntry, result: Any) -> None:
        request_id = entry.item.envelope.request_id
        if isinstance(result, bytes):
            result = decode_payload(result)["result"]
        self.results[request_id] = result
        self.order.append(request_id)
        waiting = self._waiting.pop(request_id, None)
        if waiting is not None:
            waiting.callback(result)

    def of(self, request_id: int) -> Deferred[Any]:
        if request_id in self.results:
            d: Deferred[Any] = Deferred()
            d.callback(self.results[request_id])
            return d
        d = self._waiting[request_id] = Deferred()
        return d


class Harness:
    def __init__(self, driver: Any, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.driver = driver
        self.queue = RequestQueue(100, self.clock, lambda entry: None, LANES)
        self.answers = Answers()
        self.sessions = Sessions(self.clock, self.queue, driver, 60.0, self.answer)
        self.dispatcher = Dispatcher(
            self.clock, driver, self.queue, self.sessions, self.answers
        )
        self.ids = iter(range(1, 1000))

    def answer(self, entry: QueueEntry, result: Any) -> None:
        self.answers.answer(entry, result)

    def put(
        self,
        method: str,
        params: dict[str, Any],
        owner: Any = None,
        transaction_id: str | None = None,
        session: str | None = None,
    ) -> int:
        """Queue a request as the server does; its id."""
        request_id = next(self.ids)
        request = parse_request(method, params)
        work = Work(owner or OWNER, Envelope(request_id, request), transaction_id)
        work.session = session or transaction_id
        lane = work.session or self.dispatcher.lane_for(request)
        self.queue.put(
            work,
            priority=5,
            deadline=reactor.seconds() + 30,  # the driver's clock is the reactor
            owner=work.protocol,
            lane=lane,
        )
        return request_id


OWNER = Owner()


@pytest_twisted.async_yield_fixture()
async def driver(tmp_path: Path) -> Any:
    driver = SQLiteDriver(Config(database=str(tmp_path / "db.sqlite3")), reactor)
    await driver.connect()
    await driver.run(parse_request("execute", {"sql": "CREATE TABLE t (v)"}))
    yield driver
    await driver.disconnect()


@pytest.fixture
def h(driver: SQLiteDriver) -> Harness:
    harness = Harness(driver)
    harness.dispatcher.start()
    return harness


def _stored(tmp_path: Path) -> list[Any]:
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as connection:
        return [v for (v,) in connection.execute("SELECT v FROM t ORDER BY rowid")]


def test_the_recording_answers_are_answers() -> None:
    assert mismatches(IAnswers, Answers()) == []


@pytest.mark.parametrize(
    ("inline", "reads"), [(SQLiteDriver, INLINE), (PostgreSQLDriver, HEAVY)]
)
def test_lane_for_each_request_kind(inline: type, reads: str) -> None:
    config = Config(database="postgresql://u@h/db" if reads == HEAVY else ":memory:")
    harness = Harness(inline(config, Clock()))
    for method, params, lane in KINDS:
        request = parse_request(method, params)
        expected = reads if lane == "reads" else lane
        assert harness.dispatcher.lane_for(request) == expected, method
        assert expected in LANES


@pytest_twisted.ensureDeferred
async def test_a_cheap_read_is_answered_on_the_spot(h: Harness) -> None:
    request_id = h.put("count", {"table": "t"})
    assert h.answers.results == {request_id: 0}  # before any reactor turn
    assert h.queue.max_depth == 0  # never counted as queued


@pytest_twisted.ensureDeferred
async def test_writes_wait_for_the_one_writer_and_go_in_one_group(
    h: Harness, tmp_path: Path
) -> None:
    ids = [h.put("insert", {"table": "t", "data": {"v": n}}) for n in range(5)]
    assert h.dispatcher.running == 1  # the first went at once, alone
    assert h.queue.depth == 4
    assert [await h.answers.of(i) for i in ids] == [None] * 5  # t has no key
    assert h.dispatcher.running == 0
    assert h.queue.depth == 0
    assert sorted(_stored(tmp_path)) == [0, 1, 2, 3, 4]


@pytest_twisted.ensureDeferred
async def test_a_transaction_from_begin_to_commit(
    h: Harness, driver: SQLiteDriver, tmp_path: Path
) -> None:
    tid = await h.answers.of(h.put("begin_transaction", {}))
    session = h.sessions.lookup(tid, OWNER, TRANSACTION)  # type: ignore[arg-type]
    assert session.owner is OWNER
    ids = [
        h.put("insert", {"table": "t", "data": {"v": n}}, transaction_id=tid)
        for n in ("a", "b", "c")
    ]
    ids.append(h.put("select", {"table": "t"}, transaction_id=tid))
    assert await h.answers.of(ids[-1]) == [{"v": "a"}, {"v": "b"}, {"v": "c"}]
    assert h.answers.order[-4:] == ids  # in arrival order
    assert _stored(tmp_path) == []  # not committed yet
    commit = h.put("commit_transaction", {"transaction_id": tid}, transaction_id=tid)
    assert await h.answers.of(commit) is True
    assert tid not in h.sessions
    assert driver.open_transactions == 0
    assert _stored(tmp_path) == ["a", "b", "c"]


@pytest.mark.parametrize("gone", ["disconnected", "stopping"])
@pytest_twisted.ensureDeferred
async def test_a_begin_nobody_will_use_is_rolled_back(
    h: Harness, driver: SQLiteDriver, gone: str
) -> None:
    owner = Owner()
    request_id = h.put("begin_transaction", {}, owner=owner)
    if gone == "disconnected":
        owner.connected_ = False  # while the transaction begins
    else:
        h.answers.stopping = True
    tid = await h.answers.of(request_id)
    assert isinstance(tid, str)
    assert tid not in h.sessions
    assert driver.open_transactions == 0


@pytest_twisted.ensureDeferred
async def test_a_cursor_whose_transaction_ended_meanwhile_is_closed(
    h: Harness, driver: SQLiteDriver
) -> None:
    tid = await h.answers.of(h.put("begin_transaction", {}))
    opening = h.put("open_cursor", {"table": "t"}, transaction_id=tid)
    assert h.dispatcher.running == 1  # taken at once: it opens on the pinned thread
    await h.sessions.end(tid, "its connection closed")  # rolled back after it
    cid = await h.answers.of(opening)
    assert isinstance(cid, str)
    assert cid not in h.sessions
    assert driver.open_cursors == 0


@pytest_twisted.ensureDeferred
async def test_a_cursor_serves_its_fetches_then_closes(
    h: Harness, driver: SQLiteDriver
) -> None:
    await h.answers.of(h.put("insert_many", {"table": "t", "rows": [{"v": 1}] * 3}))
    cid = await h.answers.of(h.put("open_cursor", {"table": "t"}))
    assert h.sessions.lookup(cid, OWNER, CURSOR).parent is None  # type: ignore[arg-type]
    first = h.put("fetch", {"cursor_id": cid, "size": 2}, session=cid)
    second = h.put("fetch", {"cursor_id": cid, "size": 2}, session=cid)
    assert await h.answers.of(first) == {"rows": [{"v": 1}] * 2, "done": False}
    assert await h.answers.of(second) == {"rows": [{"v": 1}], "done": True}
    closing_ = h.put("close_cursor", {"cursor_id": cid}, session=cid)
    assert await h.answers.of(closing_) is True
    assert cid not in h.sessions
    assert driver.open_cursors == 0


# -- drain ----------------------------------------------------------------------


def test_drain_with_nothing_queued_fires_at_once(h: Harness) -> None:
    fired: list[Any] = []
    h.dispatcher.drain(10.0).addCallback(fired.append)
    assert fired == [None]
    assert h.dispatcher._waiting == {}  # the lanes' consumers were cancelled
    assert h.clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_after_drain_nothing_more_is_taken(h: Harness) -> None:
    await h.dispatcher.drain(10.0)
    h.put("insert", {"table": "t", "data": {"v": 1}})
    h.put("count", {"table": "t"})  # not answered on the spot any more
    h.clock.advance(1)
    assert h.queue.depth == 2
    assert h.answers.results == {}
    assert h.queue.waiting(HEAVY) == 1  # left for the server to answer


@pytest_twisted.ensureDeferred
async def test_drain_waits_for_what_runs(h: Harness) -> None:
    request_id = h.put("insert", {"table": "t", "data": {"v": 1}})
    fired: list[Any] = []
    h.dispatcher.drain(10.0).addCallback(fired.append)
    assert fired == []
    await h.answers.of(request_id)
    assert fired == []  # noticed at the next poll
    h.clock.advance(0.02)
    assert fired == [None]


def test_drain_gives_up_after_the_grace(driver: SQLiteDriver) -> None:
    harness = Harness(driver)  # not started: what is queued stays
    harness.put("insert", {"table": "t", "data": {"v": 1}})
    fired: list[Any] = []
    harness.dispatcher.drain(1.0).addCallback(fired.append)
    harness.clock.advance(0.95)
    assert fired == []
    harness.clock.pump([0.02, 0.02, 0.02])
    assert fired == [None]
    assert harness.queue.depth == 1  # the server answers it shutting_down
