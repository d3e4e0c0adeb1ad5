"""
Issue 12, defect 10: counts at the edge of what the databases take get
the same answer on every backend: C{limit} and C{offset} up to 2^63-1 run,
past it they are C{invalid_params} (they were C{internal} or
C{constraint_violation}), sent by a peer that skips the client's checks.
"""

from __future__ import annotations

import datetime

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.testing import RunningDriver
from tests.support.data import PROJECTS
from tests.support.raw import connect_raw

EDGE = 2**63 - 1


@pytest.mark.parametrize(
    "params",
    [{"offset": EDGE + 1}, {"limit": EDGE + 1}, {"offset": 10**5000}, {"limit": -1}],
    ids=["offset-2^63", "limit-2^63", "offset-bignum", "limit-negative"],
)
@pytest_twisted.ensureDeferred
async def test_counts_past_the_edge(running: RunningDriver, params: dict) -> None:
    client = await running.client()
    await client.create_table(PROJECTS)
    peer = await connect_raw(reactor, running.socket_path)
    select = {"table": "projects", **params}
    answer = await peer.call({"id": 1, "method": "select", "params": select})
    assert answer["error"]["code"] == "invalid_params"


@pytest_twisted.ensureDeferred
async def test_counts_at_the_edge(running: RunningDriver) -> None:
    client = await running.client()
    await client.create_table(PROJECTS)
    await client.insert("projects", {"name": "a"})
    peer = await connect_raw(reactor, running.socket_path)
    for params, rows in [({"offset": EDGE}, 0), ({"limit": EDGE}, 1)]:
        select = {"table": "projects", **params}
        answer = await peer.call({"id": 1, "method": "select", "params": select})
        assert len(answer["result"]) == rows, answer


@pytest.mark.parametrize(
    "value",
    [b"x", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)],
    ids=["bytes", "datetime"],
)
@pytest_twisted.ensureDeferred
async def test_a_json_column_refuses_bytes_and_datetimes(
    running: RunningDriver, value: object
) -> None:
    client = await running.client()
    key = {"name": "id", "type": "integer", "primary_key": True}
    table = {"name": "d", "columns": [key, {"name": "j", "type": "json"}]}
    await client.create_table(table)
    peer = await connect_raw(reactor, running.socket_path)
    insert = {"table": "d", "data": {"j": value}}
    answer = await peer.call({"id": 1, "method": "insert", "params": insert})
    assert answer["error"]["code"] == "invalid_params"
    assert await client.count("d") == 0
