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
from typing import Any

import attrs
from twisted.internet.defer import Deferred, gatherResults

from dbdriver.client import DriverClient, connect
from dbdriver.server.config import Config
from dbdriver.server.runner import DriverService

__all__ = ["RunningDriver", "start_driver"]


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

    def client(self) -> Deferred[DriverClient]:
        """
        A new client connected to this driver; closed by L{stop}.
        """

        def keep(client: DriverClient) -> DriverClient:
            self.clients.append(client)
            return client

        return connect(self.reactor, self.socket_path).addCallback(keep)

    def stop(self) -> Deferred[None]:
        """
        Close the clients and shut the driver down (section 7 of the
        protocol, as on SIGTERM).
        """
        closing = [c.close() for c in self.clients]
        self.clients.clear()
        d: Deferred[Any] = gatherResults(closing, consumeErrors=True)
        d.addCallback(lambda _: self.service.stopService())
        return d.addCallback(lambda _: None)


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
    path = os.path.join(os.fspath(directory), "driver.sock")
    service = DriverService(
        Config(database=database, **settings), socket_path=path, reactor=reactor
    )
    service.startService()
    return service.ready.addCallback(lambda _: RunningDriver(service, path, reactor))
