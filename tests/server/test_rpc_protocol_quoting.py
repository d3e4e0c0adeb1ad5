"""
Issue 12, defect 10: an error message quotes at most 200 characters of
the input it is about (PROTOCOL.md section 3), so a huge bad name gives a
small error frame (a 9 MB method name gave 18 MB, over the frame limit).
"""

from __future__ import annotations

import re

import cbor2
import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.requests.inputs import QUOTE_LIMIT
from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

HUGE = "x" * 9_000_000
PATIENCE = 30

CASES = {
    "method": ({"method": HUGE}, "unknown_method"),
    "table": ({"method": "select", "params": {"table": HUGE}}, "invalid_params"),
    "param-key": (
        {"method": "select", "params": {"table": "t", HUGE: 1}},
        "invalid_params",
    ),
    "column": (
        {"method": "insert", "params": {"table": "t", "data": {HUGE: 1}}},
        "invalid_params",
    ),
    "where-operator": (
        {"method": "select", "params": {"table": "t", "where": {"v": {HUGE: 1}}}},
        "invalid_params",
    ),
    "where-dollar": (
        {"method": "select", "params": {"table": "t", "where": {"$" + HUGE: 1}}},
        "invalid_params",
    ),
    "top-level-key": ({"method": "ping", HUGE: 1}, "bad_request"),
    "uuid": (
        {
            "method": "create_table",
            "params": {
                "schema": {
                    "name": "u",
                    "columns": [{"name": "a", "type": "uuid", "default": HUGE}],
                }
            },
        },
        "invalid_params",
    ),
    "operation-method": (
        {"method": "transaction", "params": {"operations": [{"method": HUGE}]}},
        "invalid_params",
    ),
    "bignum-list": (
        {"method": "select", "params": {"table": [10**5000] * 100}},
        "invalid_params",
    ),
}


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    driver = await start_driver(tmp_path, database=str(tmp_path / "db.sqlite3"))
    yield driver
    await driver.stop()


@pytest.mark.parametrize("name", list(CASES))
@pytest_twisted.ensureDeferred
async def test_a_huge_input_gives_a_small_error_frame(running, name):
    message, code = CASES[name]
    peer = await connect_raw(reactor, running.socket_path)
    peer.send({"id": 7, **message})
    reply = await peer.next().addTimeout(PATIENCE, reactor)
    assert reply["id"] == 7
    assert reply["error"]["code"] == code, reply["error"]["message"][:300]
    assert len(cbor2.dumps(reply)) < 2 * QUOTE_LIMIT + 500
    runs = re.findall("x+", repr(reply))
    assert max(map(len, runs), default=0) <= QUOTE_LIMIT
    peer.send({"id": 8, "method": "ping"})
    assert await peer.next().addTimeout(PATIENCE, reactor) == {
        "id": 8,
        "result": "pong",
    }
