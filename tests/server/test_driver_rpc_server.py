"""
The RPC server in-process: framing, request validation, dispatch through
the queue, deadlines, statistics and shutdown, over a real Unix socket.
"""

from __future__ import annotations

import math

import cbor2
import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import DeferredList, gatherResults

from dbdriver.exceptions import (
    InternalError,
    QueueFull,
    RequestTimeout,
    ShuttingDown,
    UnknownTransaction,
)
from dbdriver.requests.methods import CountRequest
from dbdriver.server.dispatch import WRITES
from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c"
)
TABLE = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}


@pytest_twisted.async_yield_fixture()
async def running(tmp_path, request):
    settings = getattr(request, "param", {})
    driver = await start_driver(
        tmp_path, database=str(tmp_path / "db.sqlite3"), **settings
    )
    yield driver
    await driver.stop()


async def raw(running):
    return await connect_raw(reactor, running.socket_path)


# -- framing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"abc:xyz,", b"3:abcX", b"01:a,", b":", b"-1:a,", b"12a:"],
    ids=[
        "letters",
        "no-comma",
        "leading-zero",
        "empty-length",
        "negative",
        "bad-digit",
    ],
)
@pytest_twisted.ensureDeferred
async def test_broken_framing_answers_bad_frame_and_closes(running, data):
    peer = await raw(running)
    other = await raw(running)
    peer.send_bytes(data)
    frame = await peer.next()
    assert frame["id"] is None
    assert frame["error"]["code"] == "bad_frame"
    await peer.closed
    assert (await other.call({"id": 1, "method": "ping"}))["result"] == "pong"


@pytest.mark.parametrize("running", [{"max_message_size": 1000}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_oversize_prefix_answers_at_once(running):
    peer = await raw(running)
    peer.send_bytes(b"1001:")  # no payload follows: the prefix alone is enough
    frame = await peer.next()
    assert frame == {
        "id": None,
        "error": {
            "code": "message_too_large",
            "message": frame["error"]["message"],
            "details": {"limit": 1000, "length": 1001},
        },
    }
    await peer.closed
    peer = await raw(running)
    peer.send_bytes(b"99999999999")  # longer than any allowed length, no colon yet
    assert (await peer.next())["error"]["code"] == "message_too_large"
    await peer.closed


@pytest_twisted.ensureDeferred
async def test_frames_split_and_pipelined(running):
    peer = await raw(running)
    stream = b"".join(
        b"%d:%s," % (len(p), p)
        for p in (cbor2.dumps({"id": i, "method": "ping"}) for i in range(1, 51))
    )
    for i in range(0, len(stream), 7):
        peer.send_bytes(stream[i : i + 7])
    answers = [await peer.next() for _ in range(50)]
    assert sorted(a["id"] for a in answers) == list(range(1, 51))
    assert {a["result"] for a in answers} == {"pong"}


# -- request validation --------------------------------------------------------

BAD_REQUESTS = [
    (cbor2.dumps([1, 2]), None, "bad_request"),
    (b"\xff\xfe", None, "bad_request"),
    (cbor2.dumps({"id": 1, "method": "ping"}) + b"\x00", None, "bad_request"),
    (b"\xa2\x62id\x01\x62id\x02", None, "bad_request"),  # duplicate key
    (cbor2.dumps({"method": "ping"}), None, "bad_request"),
    (cbor2.dumps({"id": -1, "method": "ping"}), None, "bad_request"),
    (cbor2.dumps({"id": "1", "method": "ping"}), None, "bad_request"),
    (cbor2.dumps({"id": True, "method": "ping"}), None, "bad_request"),
    (cbor2.dumps({"id": 7}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": 3}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "extra": 1}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "priority": 10}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "priority": True}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "timeout": 0}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "timeout": "1"}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "timeout": math.nan}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "transaction_id": 5}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "ping", "params": []}), 7, "bad_request"),
    (cbor2.dumps({"id": 7, "method": "frobnicate"}), 7, "unknown_method"),
    (cbor2.dumps({"id": 7, "method": "ping", "params": {"x": 1}}), 7, "invalid_params"),
    (cbor2.dumps({"id": 7, "method": "select", "params": {}}), 7, "invalid_params"),
]


@pytest_twisted.ensureDeferred
async def test_bad_requests_answer_and_keep_the_connection(running):
    peer = await raw(running)
    for payload, request_id, code in BAD_REQUESTS:
        peer.send_frame(payload)
        answer = await peer.next()
        assert answer["id"] == request_id, payload
        assert answer["error"]["code"] == code, (payload, answer)
    assert (await peer.call({"id": 99, "method": "ping"})) == {
        "id": 99,
        "result": "pong",
    }
    stats = (await peer.call({"id": 100, "method": "stats"}))["result"]
    requests = stats["requests"]
    assert requests["received"] == len(BAD_REQUESTS) + 2
    assert requests["failed"] == len(BAD_REQUESTS)
    assert requests["completed"] == 1  # the ping; stats counts itself after


@pytest_twisted.ensureDeferred
async def test_server_info(running):
    client = await running.client()
    info = await client.server_info()
    assert info["protocol"] == 1
    assert info["backend"] == "sqlite"
    assert info["read_only"] is False
    assert info["limits"] == {
        "max_message_size": 16 * 1024 * 1024,
        "queue_size": 10000,
        "request_timeout": 30.0,
        "max_rows": 1000000,
    }


# -- queue, deadlines ------------------------------------------------------------


# One connection may fill half the queue (--connection-queue's cap).
@pytest.mark.parametrize("running", [{"pool_size": 1, "queue_size": 4}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_queue_full_answers_at_once(running):
    client = await running.client()
    await client.create_table(TABLE)
    slow = client.execute(SLOW, timeout=1.0)
    waiting = [client.ping() for _ in range(1)] + [
        client.insert("t", {"v": "w"}) for _ in range(4)
    ]
    results = await DeferredList(waiting, consumeErrors=True)
    full = [r for ok, r in results if not ok and r.check(QueueFull)]
    assert len(full) == 2  # 2 wait in the queue, the other 2 are refused
    with pytest.raises(RequestTimeout):
        await slow
    stats = await client.stats()
    assert stats["requests"]["rejected_full"] == 2
    assert stats["queue"]["capacity"] == 4


@pytest.mark.parametrize("running", [{"pool_size": 1}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_deadline_in_queue_never_runs(running):
    client = await running.client()
    await client.create_table(TABLE)
    slow = client.execute(SLOW, timeout=1.0)
    late = client.insert("t", {"id": 1, "v": "never"}, timeout=0.2)
    with pytest.raises(RequestTimeout) as raised:
        await late
    assert "queued" in raised.value.message
    with pytest.raises(RequestTimeout):
        await slow
    assert await client.count("t") == 0
    # one expired in the queue, one was interrupted while running
    assert (await client.stats())["requests"]["timed_out"] == 2


#: A cursor whose first row comes at once and whose second takes a count to
#: a billion.
SLOW_SECOND_ROW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT x FROM c WHERE x = 1 OR x = 1000000000"
)


@pytest_twisted.ensureDeferred
async def test_a_fetch_past_its_deadline_is_interrupted(running):
    client = await running.client()
    cursor = await client.open_cursor(sql=SLOW_SECOND_ROW)
    page = client.fetch(cursor, 1, timeout=0.3)
    # Without its deadline the fetch would count on: stop waiting long before.
    page.addTimeout(5, reactor)
    with pytest.raises(RequestTimeout) as raised:
        await page
    assert "interrupted" in raised.value.message
    with pytest.raises(UnknownTransaction):  # the cursor was closed
        await client.fetch(cursor, 1)
    assert (await client.execute("SELECT 1"))["rows"] == [[1]]


@pytest_twisted.ensureDeferred
async def test_running_statement_is_interrupted(running):
    client = await running.client()
    with pytest.raises(RequestTimeout) as raised:
        await client.execute(SLOW, timeout=0.3)
    assert "interrupted" in raised.value.message
    assert await client.ping() == "pong"
    assert (await client.execute("SELECT 1"))["rows"] == [[1]]


@pytest_twisted.ensureDeferred
async def test_priority_orders_waiting_requests(running):
    client = await running.client()
    await client.create_table(TABLE)
    running.service.server.dispatcher.room[WRITES] = 1  # one write group at a time
    slow = client.execute(SLOW, timeout=0.5)
    writes = [client.insert("t", {"v": f"p{p}"}, priority=p) for p in (0, 3, 9, 5, 9)]
    await DeferredList([slow], consumeErrors=True)
    await gatherResults(writes)
    rows = await client.select("t", order_by=["id"])
    assert [r["v"] for r in rows] == ["p9", "p9", "p5", "p3", "p0"]


@pytest.mark.parametrize("running", [{"pool_size": 1}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_disconnected_client_requests_are_dropped(running):
    watcher = await running.client()
    await watcher.create_table(TABLE)
    gone = await running.client()
    slow = watcher.execute(SLOW, timeout=0.5)
    doomed = [gone.insert("t", {"v": "x"}) for _ in range(5)]
    await gone.ping()  # answered at once: the inserts before it are queued
    assert (await watcher.stats())["queue"]["depth"] == 5
    await gone.close()
    await DeferredList([*doomed, slow], consumeErrors=True)
    assert (await watcher.stats())["queue"]["depth"] == 0
    assert await watcher.count("t") == 0


@pytest_twisted.ensureDeferred
async def test_internal_error_is_answered_and_serving_goes_on(running, monkeypatch):
    client = await running.client()
    driver = running.service.driver

    def broken(cursor, request):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(driver.operations._handlers, CountRequest, broken)

    with pytest.raises(InternalError):
        await client.count("sqlite_master")
    assert await client.ping() == "pong"


# -- shutdown ------------------------------------------------------------------


@pytest.mark.parametrize(
    "running", [{"pool_size": 1, "shutdown_timeout": 0.3}], indirect=True
)
@pytest_twisted.ensureDeferred
async def test_shutdown_answers_late_and_leftover_requests(running, tmp_path):
    client = await running.client()
    await client.create_table(TABLE)
    slow = client.execute(SLOW, timeout=5.0)
    queued = client.insert("t", {"v": "w"})
    await client.ping()  # both above are read: one runs, one waits
    stopping = running.service.stopService()
    with pytest.raises(ShuttingDown):
        await client.count("sqlite_master")
    await stopping
    results = await DeferredList([slow, queued], consumeErrors=True)
    assert [r.check(ShuttingDown) for _, r in results] == [ShuttingDown] * 2
    assert not (tmp_path / "driver.sock").exists()


@pytest_twisted.ensureDeferred
async def test_a_busy_connection_yields_between_turns(running, monkeypatch):
    from dbdriver.server.rpc_protocol import DriverServerProtocol

    monkeypatch.setattr(DriverServerProtocol, "TURN", 0.0)  # yield after each frame
    peer = await raw(running)
    other = await raw(running)
    burst = b"".join(
        b"%d:%s," % (len(p), p)
        for p in (cbor2.dumps({"id": i, "method": "ping"}) for i in range(1, 101))
    )
    peer.send_bytes(burst)
    answer = await other.call({"id": 7, "method": "ping"})
    assert answer == {"id": 7, "result": "pong"}
    ids = [(await peer.next())["id"] for _ in range(100)]
    assert ids == list(range(1, 101))
