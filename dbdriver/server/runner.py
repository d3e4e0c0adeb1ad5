"""
The driver process as a twistd service: claim the socket, open the
database, then listen (so the socket file appears only when the server can
answer); on stop, shut down as PROTOCOL.md section 7 says.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, gatherResults, maybeDeferred
from twisted.internet.endpoints import UNIXServerEndpoint, serverFromString
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.server.access import AccessPolicy, load_token
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver
from dbdriver.server.lifecycle import announce_ready, watch_parent
from dbdriver.server.limits import listen_backlog, raise_descriptor_limit, with_backlog
from dbdriver.server.notify import notify
from dbdriver.server.rpc_server import DriverServer, DriverServerFactory

__all__ = ["DriverService", "claim_socket"]

SWITCH_INTERVAL = 0.0005
#: Descriptors kept for the database, its pools and the listeners.
DESCRIPTOR_RESERVE = 64


def claim_socket(path: str) -> None:
    """
    Make C{path} free for a new listener: a stale socket (no process accepts
    on it) is removed; a live one, or a file that is not a socket, raises
    L{SystemExit} without touching it.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise SystemExit(
            f"dbdriver: {path} exists and is not a socket; not touching it"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(path)
    except OSError as e:
        if e.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise SystemExit(f"dbdriver: cannot check socket {path}: {e}") from None
        os.unlink(path)
        return
    finally:
        probe.close()
    raise SystemExit(f"dbdriver: another server is listening on {path}; not starting")


class DriverService(Service):
    """
    Runs one driver: database, server, listening endpoints.

    @ivar ready: fires with the service once it listens (fails if it cannot
        start).
    @ivar ready_fd: where to write C{READY <socket>} once it listens.
    @ivar exit_with_parent: stop at the end of file of stdin.
    @ivar exit_on_failure: whether a failed start stops the reactor and
        exits the process with status 1 (the driver process); without it,
        the service only stops (a driver inside a test).
    """

    log = Logger()

    def __init__(
        self,
        config: Config,
        *,
        socket_path: str | None = None,
        mode: int = 0o600,
        listen: tuple[str, ...] = (),
        reactor: Any = None,
        ready_fd: int | None = None,
        exit_with_parent: bool = False,
        exit_on_failure: bool = True,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as _reactor

            reactor = _reactor
        self.config = config
        self.socket_path = socket_path
        self.mode = mode
        self.listen = listen
        self.reactor = reactor
        self.ready_fd = ready_fd
        self.exit_with_parent = exit_with_parent
        self.exit_on_failure = exit_on_failure
        self.ready: Deferred[DriverService] = Deferred()
        self.driver: BaseDatabaseDriver | None = None
        self.server: DriverServer | None = None
        self.ports: list[IListeningPort] = []
        self.access = AccessPolicy(config.allow_uid, config.allow_gid)
        self._stopping: Deferred[None] | None = None

    def startService(self) -> None:
        super().startService()
        # The reactor thread and the database threads hand the GIL back and
        # forth on every statement; the default 5 ms switch interval would
        # make a database thread wait that long each time the reactor is busy.
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.config.auth_token_file is not None:
            self.access.token = load_token(self.config.auth_token_file)
        soft, _ = raise_descriptor_limit()
        if self.config.max_connections + DESCRIPTOR_RESERVE > soft:
            self.log.warn(
                "--max-connections={n} leaves too few of {soft} descriptors "
                "for the database: lower it, or raise the hard limit",
                n=self.config.max_connections,
                soft=soft,
            )
        if self.socket_path is not None:
            claim_socket(self.socket_path)
        self.driver = make_driver(self.config, self.reactor)
        try:
            self.driver.check()
        except Exception as e:
            raise SystemExit(
                f"dbdriver: cannot open {self.driver.database_label}: {e}"
            ) from e
        if self.exit_with_parent:
            watch_parent(self.reactor, self._parent_gone)
        self.reactor.callWhenRunning(self._start)

    def _parent_gone(self) -> None:
        if self._stopping is None and self.reactor.running:
            self.reactor.stop()

    def _endpoints(self) -> list[IStreamServerEndpoint]:
        backlog = listen_backlog()
        endpoints = [
            serverFromString(self.reactor, with_backlog(spec, backlog))
            for spec in self.listen
        ]
        if self.socket_path is not None:
            unix = UNIXServerEndpoint(
                self.reactor, self.socket_path, backlog=backlog, mode=self.mode
            )
            endpoints.insert(0, unix)
        return endpoints

    def _start(self) -> Deferred[None]:
        assert self.driver is not None
        d = self.driver.connect()
        d.addCallback(self._listen)
        d.addErrback(self._fatal)
        return d

    def _listen(self, _: object) -> Deferred[None]:
        assert self.driver is not None
        self.server = DriverServer(
            self.config, self.driver, self.reactor, access=self.access
        )
        self.server.dispatcher.start()
        factory = DriverServerFactory(self.server)
        listening = [e.listen(factory) for e in self._endpoints()]

        def listening_on(ports: list[IListeningPort]) -> None:
            self.ports = ports
            self.log.info(
                "dbdriver ready: {backend} database {database}, listening on {where}",
                backend=self.driver.backend if self.driver else "?",
                database=self.driver.database_label if self.driver else "?",
                where=", ".join(str(p.getHost()) for p in ports),
            )
            if self.ready_fd is not None:
                announce_ready(self.ready_fd, self._where(ports))
            notify("READY=1")
            self.ready.callback(self)

        return gatherResults(listening, consumeErrors=True).addCallback(listening_on)

    def _where(self, ports: list[IListeningPort]) -> str:
        if self.socket_path is not None:
            return os.path.abspath(self.socket_path)
        host = ports[0].getHost()
        name = getattr(host, "name", None)  # a UNIXAddress's path, as bytes
        return os.fsdecode(name) if name else str(host)

    def _fatal(self, failure: Failure) -> None:
        self.log.failure("dbdriver could not start", failure)
        if not self.ready.called:
            self.ready.errback(failure)
        if not self.exit_on_failure:
            self.stopService()
        elif self.reactor.running:
            self.reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
            self.reactor.stop()

    def stopService(self) -> Deferred[None]:
        super().stopService()
        if self._stopping is None:
            self._stopping = self._shutdown()
        return self._stopping

    def _shutdown(self) -> Deferred[None]:
        self.log.info("dbdriver stopping")
        notify("STOPPING=1")
        ports, self.ports = self.ports, []
        d: Deferred[Any] = gatherResults(
            [maybeDeferred(p.stopListening) for p in ports], consumeErrors=True
        )
        if self.server is not None:
            server = self.server
            d.addCallback(lambda _: server.stop())
            d.addCallback(lambda _: server.disconnect_all())
        if self.driver is not None:
            driver = self.driver
            d.addCallback(lambda _: driver.disconnect())
        d.addErrback(lambda f: self.log.failure("error while stopping", f))
        return d.addCallback(lambda _: self.log.info("dbdriver stopped"))
