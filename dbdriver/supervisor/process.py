"""
L{DriverProcess}: the driver as a supervised child of the application's own
process, a L{twisted.application.service.Service}.

The child is C{python -m dbdriver --socket=S --database=D --ready-fd=3
--exit-with-parent ...}: it writes C{READY <socket>} on its fd 3 once it
accepts, logs to its stderr (forwarded here, see L{ChildLog}), and shuts
down by itself when its stdin, a pipe this process holds open and never
writes, reaches EOF (this process died, however it died).

L{twisted.runner.procmon.ProcessMonitor} is not used: it has no readiness,
no limit on failed starts, no reset of its backoff after a healthy run, and
it would hand the child's fds 0 and 3 to nobody.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ProcessExitedAlready
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.client.reconnecting import ReconnectingClient
from dbdriver.supervisor.backoff import STOP_MARGIN, RestartPolicy, shutdown_timeout
from dbdriver.supervisor.logs import ChildLog

__all__ = ["DriverProcess", "DriverStartError"]

READY_FD = 3


class DriverStartError(Exception):
    """
    The driver could not be started: its children exited before they were
    ready as many times in a row as the restart policy allows, or the
    service was stopped first.

    @ivar lines: the last lines the last child wrote to its stderr.
    @ivar attempts: how many children were started and failed.
    @ivar status: the exit status of the last child (L{None}: killed by a
        signal, or never started).
    """

    def __init__(
        self,
        message: str,
        lines: Sequence[str] = (),
        attempts: int = 0,
        status: int | None = None,
    ) -> None:
        self.message = message
        self.lines = tuple(lines)
        self.attempts = attempts
        self.status = status
        text = message + "".join(f"\n  {line}" for line in self.lines)
        super().__init__(text)


class _Child(ProcessProtocol):
    """One child process; tells its L{DriverProcess} what happens to it."""

    def __init__(self, owner: DriverProcess) -> None:
        self.owner = owner
        self.log = ChildLog(None)
        self.ready_data = b""
        self.ready_at: float | None = None

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.log.pid = self.transport.pid

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD == READY_FD:
            self.ready_data += data
            if b"\n" in self.ready_data and self.ready_at is None:
                line = self.ready_data.split(b"\n", 1)[0].decode("utf-8", "replace")
                self.owner._ready(self, line)
        else:  # stdout and stderr alike
            self.log.received(data)

    def childConnectionLost(self, childFD: int) -> None:
        if childFD == 2:
            self.log.ended()

    def processEnded(self, reason: Failure) -> None:
        self.log.ended()
        self.owner._ended(self, getattr(reason.value, "exitCode", None))


class DriverProcess(Service):
    """
    Starts the driver as a child process, restarts it when it exits
    unexpectedly (exponential backoff, see L{RestartPolicy}), and stops it
    with the service.

    @ivar state: C{"stopped"}, C{"starting"} (a child is starting),
        C{"running"} (it is ready), C{"backoff"} (waiting to restart),
        C{"stopping"} or C{"failed"} (gave up; L{whenReady} fails).
    @ivar pid: the current child's pid, or L{None}.
    @ivar restarts: children started after the first one.
    @ivar policy: the L{RestartPolicy}.
    """

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        *,
        database: str,
        socket: str,
        args: Sequence[str] = (),
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] = ("-m", "dbdriver"),
        policy: RestartPolicy | None = None,
        stop_timeout: float | None = None,
        ready_timeout: float | None = 60.0,
    ) -> None:
        """
        @param args: more options of the driver (C{--pool-size=4}, ...).
        @param env: variables added to (or replacing) a copy of
            C{os.environ} for the child.
        @param command: what follows C{python} before the options.
        @param stop_timeout: seconds between SIGTERM and SIGKILL (default:
            the driver's C{--shutdown-timeout} plus L{STOP_MARGIN}).
        @param ready_timeout: seconds a child may take to be ready before it
            is killed, a failed start (L{None}: no limit).
        """
        self.reactor = reactor
        self.database = database
        self.socket = socket
        self._clients: list[ReconnectingClient] = []
        self.args = list(args)
        self.python = python
        self.env = dict(env or {})
        self.command = list(command)
        self.policy = policy if policy is not None else RestartPolicy()
        self.stop_timeout = (
            stop_timeout
            if stop_timeout is not None
            else shutdown_timeout(self.args) + STOP_MARGIN
        )
        self.ready_timeout = ready_timeout
        self.state = "stopped"
        self.pid: int | None = None
        self.restarts = 0
        self._child: _Child | None = None
        self._started = 0
        self._owned_socket = False
        self._error: DriverStartError | None = None
        self._waiting: list[Deferred[str]] = []
        self._restart_call: IDelayedCall | None = None
        self._kill_call: IDelayedCall | None = None
        self._slow_call: IDelayedCall | None = None
        self._stopped: list[Deferred[None]] = []

    def argv(self) -> list[str]:
        """The child's command line."""
        return [
            self.python,
            *self.command,
            f"--socket={self.socket}",
            f"--database={self.database}",
            f"--ready-fd={READY_FD}",
            "--exit-with-parent",
            *self.args,
        ]

    def environment(self) -> dict[str, str]:
        """The child's environment."""
        environment = dict(os.environ)
        environment.update(self.env)
        return environment

    def startService(self) -> None:
        super().startService()  # type: ignore[no-untyped-call]
        self._error = None
        self.policy.failures = 0
        self._spawn()

    def _spawn(self) -> None:
        self._restart_call = None
        child = _Child(self)
        self._child = child
        self.state = "starting"
        if self._started:
            self.restarts += 1
        self._started += 1
        transport = self.reactor.spawnProcess(
            child,
            self.python,
            self.argv(),
            env=self.environment(),
            childFDs={0: "w", 1: "r", 2: "r", READY_FD: "r"},
        )
        self.pid = transport.pid
        if self.ready_timeout is not None:
            self._slow_call = self.reactor.callLater(self.ready_timeout, self._slow)
        self.log.info(
            "dbdriver child {pid} starting: {argv}", pid=self.pid, argv=self.argv()
        )

    def _ready(self, child: _Child, line: str) -> None:
        # Events come from the current child only: the next one is spawned
        # after the last event (processEnded) of the one before.
        word, _, path = line.partition(" ")
        if word != "READY":
            self.log.warn(
                "dbdriver child {pid}: {line!r} on its ready fd",
                pid=self.pid,
                line=line,
            )
            return
        self._cancel_slow()
        child.ready_at = self.reactor.seconds()
        self._owned_socket = True
        self.policy.ready()
        if self.state == "starting":
            self.state = "running"
        self.log.info("dbdriver child {pid} ready on {path}", pid=self.pid, path=path)
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(path or self.socket)

    def _slow(self) -> None:
        self._slow_call = None
        self.log.error(
            "dbdriver child {pid} not ready after {timeout} s; killing it",
            pid=self.pid,
            timeout=self.ready_timeout,
        )
        self._signal("KILL")

    def _cancel_slow(self) -> None:
        if self._slow_call is not None:
            self._slow_call.cancel()
            self._slow_call = None

    def _ended(self, child: _Child, status: int | None) -> None:
        self._cancel_slow()
        self._child = None
        pid, self.pid = self.pid, None
        if self.state == "stopping":
            self._gone()
            return
        if child.ready_at is not None:
            uptime = self.reactor.seconds() - child.ready_at
            delay: float | None = self.policy.ended(uptime)
            self.log.warn(
                "dbdriver child {pid} exited (status {status}) after {uptime:.1f} s;"
                " restarting in {delay} s",
                pid=pid,
                status=status,
                uptime=uptime,
                delay=delay,
            )
        else:
            delay = self.policy.failed_start()
            if delay is None:
                self._give_up(child, status)
                return
            self.log.warn(
                "dbdriver child {pid} exited (status {status}) before it was ready"
                " (attempt {attempt} of {attempts}); retrying in {delay} s",
                pid=pid,
                status=status,
                attempt=self.policy.failures,
                attempts=self.policy.attempts,
                delay=delay,
            )
        self.state = "backoff"
        self._restart_call = self.reactor.callLater(delay, self._spawn)

    def _give_up(self, child: _Child, status: int | None) -> None:
        self.state = "failed"
        self._error = DriverStartError(
            f"dbdriver could not start: {self.policy.failures} attempts in a row"
            f" exited before they were ready (last status {status})",
            child.log.lines,
            self.policy.failures,
            status,
        )
        self.log.error("{error}", error=self._error)
        self._fail_waiting(self._error)

    def _fail_waiting(self, error: DriverStartError) -> None:
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.errback(error)

    def whenReady(self) -> Deferred[str]:
        """
        Fires with the socket path once the current child accepts
        connections (at once if it does); fails with L{DriverStartError} if
        the service gives up starting it, or is stopped first.
        """
        if self.state == "running":
            return succeed(self.socket)
        if self._error is not None:
            return fail(self._error)
        d: Deferred[str] = Deferred()
        self._waiting.append(d)
        return d

    def client(self, **options: Any) -> Deferred[ReconnectingClient]:
        """
        A new L{ReconnectingClient} on the driver's socket (C{options} are
        its own), running and connected once the driver is ready; it follows
        the driver through restarts, and stops with this service.
        """
        client = ReconnectingClient(self.reactor, self.socket, **options)
        self._clients.append(client)

        def connected(_: object) -> ReconnectingClient:
            return client

        def start(_: object) -> Deferred[None]:
            if not client.running:
                client.startService()
            return client.whenConnected()

        return self.whenReady().addCallback(start).addCallback(connected)

    def stopService(self) -> Deferred[None]:
        """
        SIGTERM the child, SIGKILL it after L{stop_timeout}; fires once it
        is gone and its socket file removed.
        """
        super().stopService()  # type: ignore[no-untyped-call]
        clients, self._clients = self._clients, []
        for client in clients:
            if client.running:
                client.stopService()
        if self._restart_call is not None:
            self._restart_call.cancel()
            self._restart_call = None
        if self.state != "stopping":
            self._fail_waiting(
                DriverStartError("dbdriver was stopped before it was ready")
            )
        d: Deferred[None] = Deferred()
        self._stopped.append(d)
        if self._child is None:
            self._gone()
            return d
        if self.state != "stopping":
            self.state = "stopping"
            self.log.info("dbdriver child {pid} stopping", pid=self.pid)
            self._signal("TERM")
            self._kill_call = self.reactor.callLater(self.stop_timeout, self._kill)
        return d

    def _signal(self, name: str) -> None:
        child = self._child
        if child is not None and child.transport is not None:
            with contextlib.suppress(ProcessExitedAlready):
                child.transport.signalProcess(name)

    def _kill(self) -> None:
        self._kill_call = None
        self.log.error(
            "dbdriver child {pid} still running {timeout} s after SIGTERM; killing it",
            pid=self.pid,
            timeout=self.stop_timeout,
        )
        self._signal("KILL")

    def _gone(self) -> None:
        if self._kill_call is not None:
            self._kill_call.cancel()
            self._kill_call = None
        if self._owned_socket:
            _remove_socket(self.socket)
            self._owned_socket = False
        self.state = "stopped"
        stopped, self._stopped = self._stopped, []
        for d in stopped:
            d.callback(None)


def _remove_socket(path: str) -> None:
    """Remove the socket file a killed child left (never another kind of file)."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
