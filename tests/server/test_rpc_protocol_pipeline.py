"""
Defect 1 of issue 12: a request that the server refuses in the middle of
a pipeline neither re-runs the requests before it nor silences the ones
after it (each frame is consumed before it is handled).
"""

from __future__ import annotations

import cbor2
import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

TABLE = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "integer"},
    ],
}
INSERTS = 3000
#: How long one answer may take before the test fails (instead of hanging).
PATIENCE = 30


def frame(message: object) -> bytes:
    payload = cbor2.dumps(message)
    return b"%d:%s," % (len(payload), payload)


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    # Room for the whole pipeline on one connection (--connection-queue is
    # 1,000 by default: past it a flood meets queue_full, by design).
    driver = await start_driver(
        tmp_path,
        database=str(tmp_path / "db.sqlite3"),
        connection_queue=2 * INSERTS,
    )
    yield driver
    await driver.stop()


async def call(peer, message):
    peer.send(message)
    return await peer.next().addTimeout(PATIENCE, reactor)


async def count_rows(peer, request_id: int) -> int:
    answer = await call(
        peer, {"id": request_id, "method": "count", "params": {"table": "t"}}
    )
    return answer["result"]


#: Requests refused in the middle of the pipeline: the one of the issue, and
#: ones that raised something other than a protocol error before the fix.
BAD = {
    "table-array": {"method": "select", "params": {"table": []}},
    "timeout-overflow": {"method": "ping", "timeout": 10**400},
    "offset-bignum": {"method": "select", "params": {"table": "t", "offset": 10**5000}},
}


@pytest.mark.parametrize("bad", list(BAD.values()), ids=list(BAD))
@pytest_twisted.ensureDeferred
async def test_bad_frame_in_a_pipeline_runs_nothing_twice(running, bad):
    client = await running.client()
    await client.create_table(TABLE)
    peer = await connect_raw(reactor, running.socket_path)
    stream = b"".join(
        frame({"id": i, "method": "insert", "params": {"table": "t", "data": {"v": i}}})
        for i in range(INSERTS)
    )
    stream += frame({"id": INSERTS, **bad})
    stream += frame({"id": INSERTS + 1, "method": "ping"})
    peer.send_bytes(stream)  # one write: the driver reads it over many turns
    answers = {}
    for _ in range(INSERTS + 2):
        answer = await peer.next().addTimeout(PATIENCE, reactor)
        answers[answer["id"]] = answer
    assert sorted(answers) == list(range(INSERTS + 2))
    assert answers[INSERTS]["error"]["code"] in ("bad_request", "invalid_params")
    assert answers[INSERTS + 1]["result"] == "pong"
    assert all("result" in answers[i] for i in range(INSERTS))
    assert await count_rows(peer, INSERTS + 2) == INSERTS
    assert (await call(peer, {"id": INSERTS + 3, "method": "ping"}))["result"] == "pong"
    assert await count_rows(peer, INSERTS + 4) == INSERTS
