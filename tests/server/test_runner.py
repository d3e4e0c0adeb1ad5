"""
L{dbdriver.server.runner} in-process: L{claim_socket} on every kind of
path (absent, stale, live, not a socket), and L{DriverService} started and
stopped inside the test's reactor on a temporary socket.  (tests/process/
checks the same refusals through a real twistd; these check the service's
own state: what it built, what it left, what stopping twice does.)
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import FirstError

from dbdriver.client import connect
from dbdriver.server.config import Config
from dbdriver.server.runner import SWITCH_INTERVAL, DriverService, claim_socket
from tests.support.raw import connect_raw


@pytest.fixture(autouse=True)
def _switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[str]:
    """A socket file on which a live server listens."""
    path = str(tmp_path / "live.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    yield path
    server.close()


def _stale(path: str) -> str:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # the file stays, nobody accepts on it
    return path


# -- claim_socket ----------------------------------------------------------------


def test_claim_an_absent_path(tmp_path: Path) -> None:
    path = tmp_path / "driver.sock"
    claim_socket(str(path))
    assert not path.exists()


def test_claim_removes_a_stale_socket(tmp_path: Path) -> None:
    path = _stale(str(tmp_path / "driver.sock"))
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    claim_socket(path)
    assert not os.path.lexists(path)


def test_claim_refuses_a_live_socket(listening: str) -> None:
    with pytest.raises(SystemExit, match="another server is listening"):
        claim_socket(listening)
    assert stat.S_ISSOCK(os.lstat(listening).st_mode)
    probe = socket.socket(socket.AF_UNIX)
    probe.connect(listening)  # still served
    probe.close()


@pytest.mark.parametrize("kind", ["file", "directory", "symlink-to-live-socket"])
def test_claim_refuses_what_is_not_a_socket(
    tmp_path: Path, listening: str, kind: str
) -> None:
    path = tmp_path / "driver.sock"
    if kind == "file":
        path.write_text("precious")
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(listening)
    with pytest.raises(SystemExit, match="is not a socket; not touching it"):
        claim_socket(str(path))
    assert os.path.lexists(path)
    if kind == "file":
        assert path.read_text() == "precious"
    if kind.startswith("symlink"):
        assert path.is_symlink()


# -- DriverService ----------------------------------------------------------------


def _service(tmp_path: Path, **kwargs: Any) -> DriverService:
    config = kwargs.pop("config", Config(database=str(tmp_path / "db.sqlite3")))
    kwargs.setdefault("socket_path", str(tmp_path / "driver.sock"))
    return DriverService(config, reactor=reactor, **kwargs)


@pytest_twisted.ensureDeferred
async def test_start_serve_stop(tmp_path: Path) -> None:
    service = _service(tmp_path)
    service.startService()
    assert service.running
    assert await service.ready is service
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    path = tmp_path / "driver.sock"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(service.ports) == 1
    assert service.server is not None and service.driver is not None
    assert service.driver.connected
    client = await connect(reactor, str(path))
    assert await client.ping() == "pong"
    await client.close()
    stopping = service.stopService()
    assert service.stopService() is stopping  # stopping twice is one shutdown
    await stopping
    assert not service.running
    assert not os.path.lexists(path)
    assert service.ports == []
    assert not service.driver.connected
    assert (tmp_path / "db.sqlite3").exists()


@pytest_twisted.ensureDeferred
async def test_stop_closes_the_client_connections(tmp_path: Path) -> None:
    service = _service(tmp_path)
    service.startService()
    await service.ready
    peers = [await connect_raw(reactor, str(tmp_path / "driver.sock")) for _ in "ab"]
    assert (await peers[0].call({"id": 1, "method": "ping"}))["result"] == "pong"
    assert service.server is not None and len(service.server.connections) == 2
    await service.stopService()
    for peer in peers:
        await peer.closed
    assert service.server.connections == set()


@pytest_twisted.ensureDeferred
async def test_socket_mode_and_extra_endpoints(tmp_path: Path) -> None:
    extra = tmp_path / "extra.sock"
    service = _service(tmp_path, mode=0o660, listen=(f"unix:{extra}:mode=640",))
    service.startService()
    await service.ready
    assert stat.S_IMODE(os.stat(tmp_path / "driver.sock").st_mode) == 0o660
    assert stat.S_IMODE(os.stat(extra).st_mode) == 0o640
    assert len(service.ports) == 2
    for path in (tmp_path / "driver.sock", extra):
        client = await connect(reactor, str(path))
        assert await client.ping() == "pong"
        await client.close()
    await service.stopService()
    assert not os.path.lexists(extra)


@pytest_twisted.ensureDeferred
async def test_listen_only_without_a_socket_path(tmp_path: Path) -> None:
    extra = tmp_path / "only.sock"
    service = _service(tmp_path, socket_path=None, listen=(f"unix:{extra}",))
    service.startService()
    await service.ready
    assert not (tmp_path / "driver.sock").exists()
    client = await connect(reactor, str(extra))
    assert await client.ping() == "pong"
    await client.close()
    await service.stopService()


def test_refuses_a_live_socket_before_opening_anything(
    tmp_path: Path, listening: str
) -> None:
    service = _service(tmp_path, socket_path=listening)
    with pytest.raises(SystemExit, match="another server is listening"):
        service.startService()
    assert service.driver is None
    assert not (tmp_path / "db.sqlite3").exists()
    assert stat.S_ISSOCK(os.lstat(listening).st_mode)


@pytest_twisted.ensureDeferred
async def test_replaces_a_stale_socket(tmp_path: Path) -> None:
    path = _stale(str(tmp_path / "driver.sock"))
    service = _service(tmp_path)
    service.startService()
    await service.ready
    client = await connect(reactor, path)
    assert await client.ping() == "pong"
    await client.close()
    await service.stopService()
    assert not os.path.lexists(path)


def test_a_database_that_cannot_open_fails_before_listening(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").write_bytes(b"not a database" * 100)
    service = _service(tmp_path)
    with pytest.raises(SystemExit, match="cannot open"):
        service.startService()
    assert not os.path.lexists(tmp_path / "driver.sock")
    assert service.driver is not None and not service.driver.connected
    assert service.server is None


def test_a_read_only_server_needs_its_file(tmp_path: Path) -> None:
    config = Config(database=str(tmp_path / "absent.sqlite3"), read_only=True)
    service = _service(tmp_path, config=config)
    with pytest.raises(SystemExit, match="does not exist"):
        service.startService()
    assert not (tmp_path / "absent.sqlite3").exists()
    assert not os.path.lexists(tmp_path / "driver.sock")


@pytest_twisted.ensureDeferred
async def test_stop_before_it_listens(tmp_path: Path) -> None:
    service = _service(tmp_path)
    await service.stopService()  # never started: nothing to undo, no error
    assert service.ports == []
    assert not os.path.lexists(tmp_path / "driver.sock")


@pytest_twisted.ensureDeferred
async def test_a_failed_start_without_exit_stops_only_the_service(
    tmp_path: Path,
) -> None:
    where = tmp_path / "no such directory" / "x.sock"
    service = _service(
        tmp_path, socket_path=None, listen=(f"unix:{where}",), exit_on_failure=False
    )
    service.startService()
    with pytest.raises(FirstError) as raised:
        await service.ready
    assert raised.value.subFailure.check(FileNotFoundError)
    await service.stopService()  # already stopping: the same shutdown
    assert not service.running
    assert service.driver is not None and not service.driver.connected
    assert reactor.running  # the test's reactor goes on
