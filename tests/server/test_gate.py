"""
L{dbdriver.server.gate} through a real driver on a real Unix socket
(PROTOCOL.md section 9): C{--max-connections} (C{busy}), the token and
C{authenticate}, peer credentials, and C{--connection-queue} (one client's
flood never fills the queue for the others).
"""

from __future__ import annotations

import os

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import DeferredList, gatherResults
from twisted.internet.task import deferLater

from dbdriver.client import connect
from dbdriver.exceptions import QueueFull, Unauthenticated
from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

TABLE = {"name": "t", "columns": [{"name": "v", "type": "text"}]}
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c"
)


@pytest_twisted.async_yield_fixture()
async def running(tmp_path, request):
    settings = dict(getattr(request, "param", {}))
    if settings.pop("token", None):
        token_file = tmp_path / "token"
        token_file.write_text("s3cret\n")
        settings["auth_token_file"] = str(token_file)
    driver = await start_driver(
        tmp_path, database=str(tmp_path / "db.sqlite3"), **settings
    )
    yield driver
    await driver.stop()


async def refused(running, code, *messages):
    """A raw connection's one answer (after sending C{messages}), then its close."""
    peer = await connect_raw(reactor, running.socket_path)
    for message in messages:
        peer.send(message)
    answer = await peer.next()
    await peer.closed
    assert answer["error"]["code"] == code
    assert peer.frames.pending == []  # nothing after the refusal
    return answer


@pytest.mark.parametrize("running", [{"max_connections": 2}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_connection_over_the_limit_gets_busy_and_is_closed(running):
    first, second = await running.client(), await running.client()
    answer = await refused(running, "busy")
    assert answer["id"] is None
    assert answer["error"]["details"] == {"max_connections": 2}
    assert await first.ping() == "pong"
    transaction_id = await second.begin_transaction()
    await second.rollback_transaction(transaction_id)
    stats = await first.stats()
    assert stats["connections"] == 2
    assert stats["connections_refused"] == {"busy": 1}
    await first.close()
    third = await running.client()  # a place was freed
    assert await third.ping() == "pong"


@pytest.mark.parametrize("running", [{"token": True}], indirect=True)
@pytest_twisted.ensureDeferred
async def test_the_first_request_must_authenticate(running):
    answer = await refused(running, "unauthenticated", {"id": 7, "method": "ping"})
    assert answer["id"] == 7
    wrong = {"id": 1, "method": "authenticate", "params": {"token": "guess"}}
    ping = {"id": 2, "method": "ping"}
    answer = await refused(running, "unauthenticated", wrong, ping)
    assert (answer["id"], answer["error"]["message"]) == (1, "wrong token")

    peer = await connect_raw(reactor, running.socket_path)
    right = {"id": 1, "method": "authenticate", "params": {"token": "s3cret"}}
    assert await peer.call(right) == {"id": 1, "result": True}
    assert await peer.call(ping) == {"id": 2, "result": "pong"}
    peer.transport.loseConnection()

    client = await running.client(token="s3cret")
    stats = await client.stats()
    assert stats["connections_refused"] == {"unauthenticated": 2}
    with pytest.raises(Unauthenticated):
        await running.client(token="guess")
    with pytest.raises(Unauthenticated):
        await (await running.client()).ping()


@pytest_twisted.ensureDeferred
async def test_authenticate_without_a_token_file_answers_true(running):
    client = await connect(reactor, running.socket_path, token="anything")
    assert await client.ping() == "pong"
    await client.close()


def _ids(running, uid=(), gid=()):
    config = running.service.config
    running.service.access.allow_uid, running.service.access.allow_gid = uid, gid
    return config


@pytest_twisted.ensureDeferred
async def test_peer_credentials_outside_the_allowed_ids_are_refused(running):
    uid, gid = os.getuid(), os.getgid()
    _ids(running, uid=(uid + 1,))
    answer = await refused(running, "unauthenticated")
    assert answer["id"] is None
    assert answer["error"]["details"] == {"uid": uid, "gid": gid}
    _ids(running, uid=(uid + 1,), gid=(gid,))
    assert await (await running.client()).ping() == "pong"
    _ids(running, uid=(uid,))
    assert await (await running.client()).ping() == "pong"


@pytest.mark.parametrize(
    ("running", "limit"),
    [
        ({"pool_size": 1, "queue_size": 20, "connection_queue": 5}, 5),
        # --connection-queue over the queue's size: half of it is the limit.
        ({"pool_size": 1, "queue_size": 20}, 10),
    ],
    indirect=["running"],
    ids=["connection-queue", "half-the-queue"],
)
@pytest_twisted.ensureDeferred
async def test_one_connection_flooding_does_not_fill_the_queue_of_others(
    running, limit
):
    flooder, other = await running.client(), await running.client()
    await other.create_table(TABLE)
    slow = flooder.execute(SLOW, timeout=1.0)  # holds the writer meanwhile
    flood = [flooder.insert("t", {"v": "a"}) for _ in range(40)]
    await flooder.ping()  # the flood is read and queued (or refused) by now
    mine = [other.insert("t", {"v": "b"}) for _ in range(5)]
    await gatherResults(mine)  # none refused: queue_full is the flooder's only
    outcomes = await DeferredList([slow, *flood], consumeErrors=True)
    full = [f for ok, f in outcomes[1:] if not ok and f.check(QueueFull)]
    assert len(full) == 40 - limit
    assert full[0].value.details == {"connection_queue": limit}
    stats = await other.stats()
    assert stats["requests"]["rejected_full"] == 40 - limit
    assert await other.count("t", {"v": "b"}) == 5


@pytest_twisted.ensureDeferred
async def test_a_client_that_stops_reading_is_held_then_served_in_full(running):
    client = await running.client()
    await client.create_table(TABLE)
    await client.insert_many("t", [{"v": "x" * 65536}] * 16)  # ~1 MiB a select
    peer = await connect_raw(reactor, running.socket_path)
    peer.transport.pauseProducing()  # reads nothing for now
    for i in range(60):
        peer.send({"id": i, "method": "select", "params": {"table": "t"}})
    await deferLater(reactor, 1.0, lambda: None)
    (held,) = [p for p in running.service.server.gate.peers.values() if p.paused]
    assert held.waiting() > 0  # its requests wait here, not their answers
    stats = await client.stats()  # the others are served meanwhile
    assert stats["requests"]["completed"] < 30
    peer.transport.resumeProducing()
    answers = [await peer.next() for _ in range(60)]
    assert sorted(a["id"] for a in answers) == list(range(60))
    assert all(len(a["result"]) == 16 for a in answers)
    assert not held.paused and held.waiting() == 0


@pytest_twisted.ensureDeferred
async def test_requests_held_at_shutdown_are_all_answered(running):
    client = await running.client()
    await client.create_table(TABLE)
    await client.insert_many("t", [{"v": "x" * 65536}] * 16)
    peer = await connect_raw(reactor, running.socket_path)
    peer.transport.pauseProducing()
    for i in range(60):
        peer.send({"id": i, "method": "select", "params": {"table": "t"}})
    await deferLater(reactor, 0.5, lambda: None)
    stopping = running.service.stopService()
    await deferLater(reactor, 0.5, lambda: None)
    peer.transport.resumeProducing()
    answers = [await peer.next() for _ in range(60)]
    assert sorted(a["id"] for a in answers) == list(range(60))
    codes = {a["error"]["code"] for a in answers if "error" in a}
    assert codes <= {"shutting_down"}
    await stopping
