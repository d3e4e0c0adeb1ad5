"""
L{dbdriver.client.reconnecting} against real driver processes
(C{twistd -n dbdriver}, SQLite): C{kill -9} of the driver with calls in
flight, a new driver on the same socket, every acknowledged write kept,
and L{connect} waiting for a driver that is not up yet.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from dbdriver import exceptions as exc
from dbdriver.client.api import connect
from dbdriver.client.reconnecting import ReconnectingClient
from tests.conftest import DriverProcess
from tests.support.backends import SLOW_SQL
from tests.support.live import error_of

_TABLE = {
    "name": "notes",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "n", "type": "integer"},
    ],
}

Start = Callable[..., DriverProcess]


def _next(client: ReconnectingClient, hook: str) -> Deferred[None]:
    """Fires at the client's next loss (C{"lost"}) or reconnection (C{"back"})."""
    d: Deferred[None] = Deferred()

    def fire(_: Any) -> None:
        if not d.called:
            d.callback(None)

    if hook == "lost":
        client.onConnectionLost(fire)
    else:
        client.onReconnected(fire)
    return d


@pytest_twisted.ensureDeferred
async def test_kill_9_with_calls_in_flight(start_driver: Start, tmp_path: Path) -> None:
    driver = start_driver()
    client = ReconnectingClient(reactor, driver.socket, retryPolicy=lambda n: 0.05)
    client.startService()
    try:
        await client.whenConnected(timeout=20)
        await client.create_table(_TABLE)
        acknowledged = {await client.insert("notes", {"n": n}) for n in range(10)}
        # A query that never ends: certainly in flight when the driver dies.
        endless = client.execute(SLOW_SQL["sqlite"], timeout=60)
        in_flight = [client.insert("notes", {"n": 100 + n}) for n in range(50)]
        lost, back = _next(client, "lost"), _next(client, "back")
        driver.send(signal.SIGKILL)
        driver.wait()
        outcomes: list[object] = []
        for d in in_flight:
            try:
                acknowledged.add(await d)
                outcomes.append("ok")
            except exc.DriverError as e:
                outcomes.append(e.code)
        await lost
        assert set(outcomes) <= {"ok", "connection_lost"}
        error = await error_of(endless)
        assert isinstance(error, exc.ConnectionLost) and error.code == "connection_lost"
        assert not client.connected
        waiting = client.count("notes", timeout=30)
        # A new driver on the same socket (the stale file is replaced).
        start_driver(directory=tmp_path)
        await back
        assert client.connected and client.reconnections == 1
        count = await waiting
        ids = {r["id"] for r in await client.select("notes", columns=["id"])}
        assert acknowledged <= ids and count == len(ids)
        assert await client.insert("notes", {"n": -1}) not in acknowledged
    finally:
        await client.stopService()


@pytest_twisted.ensureDeferred
async def test_connect_waits_for_the_process(start_driver: Start) -> None:
    driver = start_driver(wait=False)
    client = await connect(reactor, driver.socket, wait=20)
    try:
        assert await client.ping() == "pong"
    finally:
        await client.close()
