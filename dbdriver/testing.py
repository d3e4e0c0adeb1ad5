"""
A testing helper for applications that use dbdriver: a real driver server
running inside the test's own reactor, on a socket in a temporary
directory, with an in-memory SQLite database by default.

    running = await start_driver(tmp_path)
    client = await running.client()
    ...
    await running.stop()
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import attrs
from twisted.internet.defer import Deferred, gatherResults
from twisted.python.failure import Failure

from dbdriver.client import DriverClient, connect
from dbdriver.server.config import Config
from dbdriver.server.runner import DriverService

__all__ = ["RunningDriver", "start_driver"]

#: The longest socket path every platform binds (C{sun_path} holds 104 bytes
#: on macOS, 108 on Linux, the final NUL included).
MAX_SOCKET_PATH = 100


@attrs.define
class RunningDriver:
    """
    A started in-process driver.

    @ivar service: its L{DriverService} (its C{server} holds the queue and
        statistics).
    @ivar socket_path: where it listens.
    """

    service: DriverService
    socket_path: str
    reactor: Any
    clients: list[DriverClient] = attrs.Factory(list)
    private_directory: str | None = attrs.field(default=None, kw_only=True)

    def client(self, token: str | None = None) -> Deferred[DriverClient]:
        """
        A new client connected to this driver (presenting C{token} first,
        if given); closed by L{stop}.
        """

        def keep(client: DriverClient) -> DriverClient:
            self.clients.append(client)
            return client

        d = connect(self.reactor, self.socket_path, token=token)
        return d.addCallback(keep)

    def stop(self) -> Deferred[None]:
        """
        Close the clients and shut the driver down (section 7 of the
        protocol, as on SIGTERM).
        """
        closing = [c.close() for c in self.clients]
        self.clients.clear()
        d: Deferred[Any] = gatherResults(closing, consumeErrors=True)
        d.addCallback(lambda _: self.service.stopService())
        return d.addCallback(lambda _: _remove(self.private_directory))


def start_driver(
    directory: str | os.PathLike[str],
    *,
    database: str = ":memory:",
    reactor: Any = None,
    **settings: Any,
) -> Deferred[RunningDriver]:
    """
    Start a driver listening on C{directory}/driver.sock.

    @param settings: any other L{Config} field (C{queue_size=...}, ...).
    """
    if reactor is None:
        from twisted.internet import reactor as _reactor

        reactor = _reactor
    config = Config(database=database, **settings)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(os.fspath(directory), "driver.sock")
    private = None
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        private = tempfile.mkdtemp(prefix="dbdriver-")
        path = os.path.join(private, "driver.sock")
    service = DriverService(
        config, socket_path=path, reactor=reactor, exit_on_failure=False
    )
    try:
        service.startService()
    except BaseException:
        _remove(private)
        raise

    def started(_: object) -> RunningDriver:
        return RunningDriver(service, path, reactor, private_directory=private)

    def failed(failure: Failure) -> Deferred[Any]:
        # What did start (the pools, a port) is closed before the failure
        # is passed on.
        stopped: Deferred[Any] = service.stopService()
        return stopped.addCallback(lambda _: _remove(private)).addCallback(
            lambda _: failure
        )

    return service.ready.addCallbacks(started, failed)


def _remove(directory: str | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
