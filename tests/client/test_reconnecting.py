"""
L{dbdriver.client.reconnecting}: a L{ReconnectingClient} of a real driver
(L{dbdriver.testing.start_driver}, SQLite) that is stopped and started
again on the same socket: calls in flight fail C{connection_lost} and are
not sent again (unless C{retry=True}), calls made while it is down wait for
it within their timeout, transactions and cursors of the lost connection
answer C{unknown_transaction}, and the state and events say what happened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure

from dbdriver import exceptions as exc
from dbdriver.client.api import connect
from dbdriver.client.protocol import DriverClientProtocol
from dbdriver.client.reconnecting import ReconnectingClient
from dbdriver.testing import RunningDriver, start_driver
from tests.support.live import db_path, error_of

_TABLE = {
    "name": "notes",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "text", "type": "text"},
    ],
}


class _Events:
    """The client's losses and reconnections, each awaitable once."""

    def __init__(self, client: ReconnectingClient) -> None:
        self.lost: list[Deferred[None]] = [Deferred()]
        self.back: list[Deferred[None]] = [Deferred()]
        client.onConnectionLost(self._fire(self.lost))
        client.onReconnected(self._fire(self.back))

    @staticmethod
    def _fire(events: list[Deferred[None]]) -> Callable[[Any], None]:
        def fire(_: Any) -> None:
            events[-1].callback(None)
            events.append(Deferred())

        return fire


class _Rig:
    """A driver on a file in C{directory}, started and stopped at will."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: RunningDriver | None = None

    async def start(self) -> RunningDriver:
        self.running = await start_driver(
            self.directory, database=db_path(self.directory), shutdown_timeout=0.5
        )
        return self.running

    async def stop(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            await running.stop()

    def crash(self) -> None:
        """Drop every connection at once, unanswered (as a killed driver)."""
        assert self.running is not None and self.running.service.server is not None
        for protocol in list(self.running.service.server.connections):
            protocol.transport.abortConnection()  # type: ignore[attr-defined]

    @property
    def path(self) -> str:
        return str(self.directory / "driver.sock")


@pytest_twisted.async_yield_fixture()
async def rig(tmp_path: Path) -> AsyncIterator[_Rig]:
    rig = _Rig(tmp_path)
    await rig.start()
    try:
        yield rig
    finally:
        await rig.stop()


@pytest_twisted.async_yield_fixture()
async def client(rig: _Rig) -> AsyncIterator[ReconnectingClient]:
    client = ReconnectingClient(reactor, rig.path, retryPolicy=lambda n: 0.02)
    client.startService()
    await client.whenConnected(timeout=10)
    try:
        yield client
    finally:
        await client.stopService()


async def _restart(rig: _Rig, client: ReconnectingClient, events: _Events) -> None:
    """Stop the driver, see the loss, start it again, see the reconnection."""
    lost, back = events.lost[-1], events.back[-1]
    await rig.stop()
    await lost
    assert not client.connected
    await rig.start()
    await back


@pytest_twisted.ensureDeferred
async def test_first_connection(client: ReconnectingClient) -> None:
    assert client.connected and client.reconnections == 0
    assert await client.ping() == "pong"
    assert "connected" in repr(client)


@pytest_twisted.ensureDeferred
async def test_a_restart_is_lived_through(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    await client.create_table(_TABLE)
    await client.insert("notes", {"text": "before"})
    await _restart(rig, client, events)
    assert client.connected and client.reconnections == 1
    assert await client.count("notes") == 1
    assert await client.insert("notes", {"text": "after"}) == 2
    await _restart(rig, client, events)
    assert client.reconnections == 2
    ops = [{"method": "insert", "params": {"table": "notes", "data": {"text": "b"}}}]
    assert await client.batch(ops) == [3]
    assert await client.count("notes") == 3


@pytest_twisted.ensureDeferred
async def test_calls_in_flight_fail_connection_lost(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    await client.create_table(_TABLE)
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    slow += "SELECT count(*) FROM c"
    in_flight = [client.execute(slow, timeout=5), client.count("notes")]
    in_flight += [client.insert("notes", {"text": str(n)}) for n in range(3)]
    lost = events.lost[-1]
    rig.crash()
    for d in in_flight:
        error = await error_of(d)
        assert isinstance(error, exc.ConnectionLost), error
        assert error.code == "connection_lost"
    await lost
    await client.whenConnected(timeout=10)  # the same driver, still up
    assert client.reconnections == 1
    assert await client.ping() == "pong"


@pytest_twisted.ensureDeferred
async def test_the_driver_stopping_under_calls(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    calls = [client.ping() for _ in range(20)]
    stopping = rig.stop()
    outcomes: list[object] = []
    for d in calls:
        try:
            outcomes.append(await d)
        except exc.DriverError as e:
            outcomes.append(e.code)
    await stopping
    await events.lost[-1]
    # Each is answered, refused as the driver stops, or lost: never silent.
    assert set(outcomes) <= {"pong", "shutting_down", "connection_lost"}


@pytest_twisted.ensureDeferred
async def test_a_call_made_while_down_waits_for_the_driver(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    await rig.stop()
    await events.lost[-1]
    waiting = client.ping(timeout=20)
    default = client.server_info()
    short = client.ping(timeout=0.1)
    error = await error_of(short)
    assert isinstance(error, exc.RequestTimeout), error
    assert not waiting.called and not default.called
    await rig.start()
    assert await waiting == "pong"
    assert (await default)["backend"] == "sqlite"
    assert client.reconnections == 1


@pytest_twisted.ensureDeferred
async def test_retry_sends_a_read_again(rig: _Rig, client: ReconnectingClient) -> None:
    events = _Events(client)
    await client.create_table(_TABLE)
    await client.insert("notes", {"text": "kept"})
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    slow += "SELECT count(*) FROM c"
    blocker = client.execute(slow, timeout=5)
    read = client.select("notes", retry=True, timeout=20)
    unretried = client.select("notes", timeout=20)
    await rig.stop()
    await events.lost[-1]
    assert isinstance(await error_of(blocker), exc.DriverError)
    assert not read.called
    await rig.start()
    assert [r["text"] for r in await read] == ["kept"]
    outcome = await error_of(unretried)
    assert outcome.code in {"connection_lost", "shutting_down"}


@pytest_twisted.ensureDeferred
async def test_a_transaction_of_the_lost_connection(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    await client.create_table(_TABLE)

    async def work() -> None:
        async with client.transaction() as tx:
            await tx.insert("notes", {"text": "lost"})
            await _restart(rig, client, events)
            await tx.insert("notes", {"text": "never"})

    with pytest.raises(exc.UnknownTransaction):
        await Deferred.fromCoroutine(work())
    assert await client.count("notes") == 0
    # A transaction begun now is on the new connection.
    async with client.transaction() as tx:
        await tx.insert("notes", {"text": "kept"})
    assert await client.count("notes") == 1


@pytest_twisted.ensureDeferred
async def test_commit_after_the_loss(rig: _Rig, client: ReconnectingClient) -> None:
    events = _Events(client)
    tx = await client.transaction().begin()
    await _restart(rig, client, events)
    with pytest.raises(exc.UnknownTransaction, match="lost"):
        await tx.commit()


@pytest_twisted.ensureDeferred
async def test_a_cursor_of_the_lost_connection(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)
    await client.create_table(_TABLE)
    await client.insert_many("notes", [{"text": str(n)} for n in range(5)])
    rows = client.iterate("notes", size=2)
    assert (await rows.__anext__())["text"] == "0"
    await _restart(rig, client, events)
    assert (await rows.__anext__())["text"] == "1"  # the page already read
    with pytest.raises(exc.UnknownTransaction):
        await rows.__anext__()
    assert [r["text"] async for r in client.iterate("notes")] == list("01234")


@pytest_twisted.ensureDeferred
async def test_a_stopped_client_refuses_calls(rig: _Rig) -> None:
    client = ReconnectingClient(reactor, rig.path)
    assert isinstance(await error_of(client.ping()), exc.ConnectionLost)
    client.startService()
    waiting = client.ping(timeout=10)
    await client.stopService()
    assert isinstance(await error_of(waiting), exc.ConnectionLost)
    assert not client.connected and "disconnected" in repr(client)


@pytest_twisted.ensureDeferred
async def test_a_failing_callback_is_logged(
    rig: _Rig, client: ReconnectingClient
) -> None:
    events = _Events(client)

    def broken(reason: Failure | None) -> None:
        raise RuntimeError("broken")

    client.onConnectionLost(broken)
    await _restart(rig, client, events)
    assert await client.ping() == "pong"


@pytest_twisted.ensureDeferred
async def test_unknown_options_are_a_type_error(client: ReconnectingClient) -> None:
    with pytest.raises(TypeError, match="timout"):
        client.ping(timout=1)  # type: ignore[call-arg]


@pytest_twisted.ensureDeferred
async def test_connect_waits_for_the_driver(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    connecting = connect(reactor, rig.path, wait=5)
    assert not connecting.called
    await rig.start()
    try:
        client = await connecting
        assert await client.ping() == "pong"
        await client.close()
    finally:
        await rig.stop()


@pytest_twisted.ensureDeferred
async def test_connect_gives_up_after_its_wait(tmp_path: Path) -> None:
    with pytest.raises(ConnectError):
        await connect(reactor, str(tmp_path / "none.sock"), wait=0.2)
    with pytest.raises(ConnectError):
        await connect(reactor, str(tmp_path / "none.sock"))


@pytest_twisted.ensureDeferred
async def test_retry_passes_other_errors_on(client: ReconnectingClient) -> None:
    error = await error_of(client.select("absent", retry=True))
    assert isinstance(error, exc.NoSuchTable)


@pytest_twisted.ensureDeferred
async def test_a_connection_lost_before_it_is_used(
    client: ReconnectingClient,
) -> None:
    """Closed between the service's connecting and the client's next turn."""
    gone = DriverClientProtocol()
    client._down(gone, None)  # not the current one: nothing happens
    assert client.connected
    client._current = None
    client._connected(gone)  # closed already: waits for the next one
    assert not client.connected
    with pytest.raises(exc.ConnectionLost):
        _ = client._protocol
    client._not_connected(Failure(RuntimeError("logged")))
