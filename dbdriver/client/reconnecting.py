"""
L{ReconnectingClient}: the driver's methods on a connection that is made
again whenever it is lost (the driver restarted), as a
L{twisted.application.service.Service}.

A call made while disconnected waits for the connection, up to its own
C{timeout} (else the client's default), then goes; one that waits longer
fails with L{RequestTimeout}.  A call in flight when the connection is lost
fails with L{ConnectionLost} (it may or may not have been applied) and is
not sent again, unless it was made with C{retry=True}: then it is sent once
more after reconnecting.  A transaction or a cursor lives on the connection
that opened it: once that is lost, its next use fails with
L{UnknownTransaction}.

Events: L{ReconnectingClient.onConnectionLost} and
L{ReconnectingClient.onReconnected} register callbacks called on each loss
and each reconnection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Unpack, cast

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet.defer import (
    CancelledError,
    Deferred,
    TimeoutError,
    fail,
    succeed,
)
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IProtocol,
    IReactorTime,
    IReactorUNIX,
)
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.client.api import DriverClient, Transaction
from dbdriver.client.cursors import _call_on, _check
from dbdriver.client.methods import _Methods
from dbdriver.client.params import CallOptions, Params, _Envelope
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientProtocol,
)
from dbdriver.exceptions import (
    ConnectionLost,
    DriverError,
    RequestTimeout,
    UnknownTransaction,
)
from dbdriver.requests.values import Row

__all__ = ["ReconnectingClient"]

#: The deadline of a call made without C{timeout} (the server's default).
DEFAULT_TIMEOUT = 30.0

#: How long to wait before each attempt to connect again.
_RETRY = backoffPolicy(initialDelay=0.1, maxDelay=5.0, factor=2.0)


class _Connection(DriverClientProtocol):
    """A connection that tells its L{ReconnectingClient} when it closes."""

    def __init__(self, client: ReconnectingClient, max_message_size: int) -> None:
        super().__init__(max_message_size)
        self._client = client

    def connectionLost(self, reason: Failure | None = None) -> None:
        # The client forgets this connection first, so that a call retried
        # from the errbacks below waits for the next one.
        self._client._down(self, reason)
        super().connectionLost(reason)


class _Factory(Factory[_Connection]):
    """Builds the L{_Connection}s of one L{ReconnectingClient}."""

    def __init__(self, client: ReconnectingClient, max_message_size: int) -> None:
        self.client = client
        self.max_message_size = max_message_size

    def buildProtocol(self, addr: IAddress | None) -> _Connection:
        p = _Connection(self.client, self.max_message_size)
        p.factory = self
        return p


class _Pinned(DriverClient):
    """
    The calls of a cursor on the connection that opened it: once that is
    lost, they fail locally with L{UnknownTransaction}.
    """

    def _envelope(self, options: CallOptions) -> _Envelope | DriverError:
        if not self.protocol.is_open:
            return UnknownTransaction("the cursor's connection was lost")
        return super()._envelope(options)


class ReconnectingClient(Service, _Methods):
    """
    Every method of L{DriverClient} (and L{transaction}, L{iterate},
    C{batch}) on a Unix socket, connected by a
    L{twisted.application.internet.ClientService} (whose retry policy
    makes the connection again after each loss) while the service runs.

    @ivar connected: whether a connection is open now.
    @ivar reconnections: how many times the connection was made again.
    @ivar timeout: how long a call without C{timeout} waits for the
        connection.
    """

    log = Logger()

    def __init__(
        self,
        reactor: IReactorUNIX,
        path: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
        retryPolicy: Callable[[int], float] | None = None,
        connect_timeout: float = 30,
        token: str | None = None,
    ) -> None:
        """
        @param reactor: the reactor (Unix sockets and time).
        @param path: the driver's socket.
        @param timeout: the default deadline of a call (waiting included).
        @param retryPolicy: seconds to wait before the Nth attempt to
            connect (L{ClientService}'s; default: 0.1 s doubling up to 5 s,
            with jitter, for a driver on this machine).
        @param connect_timeout: seconds one connection attempt may take.
        @param token: the server's token (C{--auth-token-file}), sent first
            on every connection.
        """
        self.path = path
        self._token = token
        self.timeout = timeout
        self.reconnections = 0
        self._clock = cast(IReactorTime, reactor)
        self._current: DriverClientProtocol | None = None
        self._ever_connected = False
        self._waiting: list[Deferred[DriverClientProtocol]] = []
        self._on_lost: list[Callable[[Failure | None], object]] = []
        self._on_reconnected: list[Callable[[int], object]] = []
        self._later: IDelayedCall | None = None
        endpoint = UNIXClientEndpoint(reactor, path, timeout=connect_timeout)
        self._service = ClientService(
            endpoint,
            _Factory(self, max_message_size),
            retryPolicy=retryPolicy or _RETRY,
            clock=self._clock,
        )

    # --- the service -----------------------------------------------------------

    def startService(self) -> None:
        """Start connecting (and reconnecting after every loss)."""
        super().startService()  # type: ignore[no-untyped-call]
        self._service.startService()
        self._arm()

    def stopService(self) -> Deferred[None]:
        """
        Close the connection (calls in flight fail with L{ConnectionLost}, as
        do calls waiting for a connection); fires once it is closed.
        """
        super().stopService()  # type: ignore[no-untyped-call]
        if self._later is not None and self._later.active():
            self._later.cancel()
        self._later = None
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.errback(ConnectionLost("the client stopped"))
        return self._service.stopService()

    def close(self) -> Deferred[None]:
        """
        L{stopService}, under the name L{DriverClient.close} has: code that
        closes a client works with either.
        """
        return self.stopService()

    # --- the connection --------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a connection to the driver is open now."""
        return self._current is not None

    def whenConnected(self, timeout: float | None = None) -> Deferred[None]:
        """
        Fires once connected (at once if connected now); fails with
        L{RequestTimeout} after C{timeout} seconds (C{None}: L{timeout}), or
        with L{ConnectionLost} if the client is not running or stops.
        """
        return self._connection(timeout).addCallback(lambda _: None)

    def onConnectionLost(self, callback: Callable[[Failure | None], object]) -> None:
        """Call C{callback(reason)} each time the connection is lost."""
        self._on_lost.append(callback)

    def onReconnected(self, callback: Callable[[int], object]) -> None:
        """
        Call C{callback(reconnections)} each time the connection is made
        again (not the first time).
        """
        self._on_reconnected.append(callback)

    def _arm(self) -> None:
        """Be told of the next connection, once the L{ClientService} has it."""
        self._later = None
        if self.running:
            d = self._service.whenConnected()
            d.addCallback(self._up).addErrback(self._not_connected)

    def _not_connected(self, failure: Failure) -> None:
        """The service stopped before connecting; anything else is a bug."""
        if not isinstance(failure.value, CancelledError):
            self.log.failure("while connecting", failure)

    def _up(self, connection: IProtocol) -> None:
        """
        The L{ClientService} connected: at the next turn (out of its state
        machine, which what the waiting calls do might re-enter), they go.
        """
        protocol = cast(DriverClientProtocol, connection)
        self._later = self._clock.callLater(0, self._connected, protocol)

    def _connected(self, protocol: DriverClientProtocol) -> None:
        """A connection is open: the calls waiting for it go."""
        self._later = None
        if not protocol.is_open:  # lost already: wait for the next one
            self._arm()
            return
        self._current = protocol
        if self._token is not None:  # first on the wire: the calls follow it
            d = protocol.call("authenticate", {"token": self._token})
            d.addErrback(lambda f: self.log.error("authenticate: {f}", f=f.value))
        again = self._ever_connected
        self._ever_connected = True
        if again:
            self.reconnections += 1
            self.log.info(
                "reconnected to {path} ({n} reconnections)",
                path=self.path,
                n=self.reconnections,
            )
            self._notify(self._on_reconnected, self.reconnections)
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(protocol)

    def _down(self, protocol: DriverClientProtocol, reason: Failure | None) -> None:
        """A connection was lost: calls wait for the next one."""
        if self._current is not protocol:
            return
        self._current = None
        if self.running:
            # The ClientService learns of the loss after this returns.
            self._later = self._clock.callLater(0, self._arm)
        why = reason.getErrorMessage() if reason is not None else "closed"
        self.log.warn("connection to {path} lost: {why}", path=self.path, why=why)
        self._notify(self._on_lost, reason)

    def _notify(self, callbacks: list[Callable[[Any], object]], arg: object) -> None:
        for callback in list(callbacks):
            try:
                callback(arg)
            except Exception:
                self.log.failure("event callback {callback!r}", callback=callback)

    def _connection(self, timeout: float | None) -> Deferred[DriverClientProtocol]:
        """
        The open connection, at once or once made; fails with
        L{RequestTimeout} after C{timeout} seconds (C{None}: L{timeout}).
        """
        if self._current is not None:
            return succeed(self._current)
        if not self.running:
            return fail(ConnectionLost("the client is not running"))
        wait = self.timeout if timeout is None else timeout

        def forget(d: Deferred[DriverClientProtocol]) -> None:
            if d in self._waiting:
                self._waiting.remove(d)

        d: Deferred[DriverClientProtocol] = Deferred(forget)
        self._waiting.append(d)

        def timed_out(failure: Failure) -> Failure:
            if isinstance(failure.value, TimeoutError):
                raise RequestTimeout(
                    f"not connected to the driver within {wait} s", {"timeout": wait}
                )
            return failure

        d.addTimeout(wait, self._clock)
        return d.addErrback(timed_out)

    # --- the calls -------------------------------------------------------------

    @property
    def _protocol(self) -> DriverClientProtocol:
        if self._current is None:
            raise ConnectionLost("not connected to the driver")
        return self._current

    def _call(self, method: str, params: Params, envelope: _Envelope) -> Deferred[Any]:
        """
        Send the request once connected (within its timeout); with
        C{retry}, once more after a L{ConnectionLost}.
        """
        _check(envelope)
        d = self._when_sent(method, params, envelope)
        if envelope.get("retry"):

            def again(failure: Failure) -> Deferred[Any] | Failure:
                if isinstance(failure.value, ConnectionLost) and self.running:
                    self.log.info(
                        "{method}: sent again after a lost connection", method=method
                    )
                    return self._when_sent(method, params, envelope)
                return failure

            d.addErrback(again)
        return d

    def _when_sent(
        self, method: str, params: Params, envelope: _Envelope
    ) -> Deferred[Any]:
        """Send the request once connected, with the time left of its timeout."""
        timeout = envelope.get("timeout")
        if self._current is not None:
            return _call_on(self._current, method, params, envelope)
        started = self._clock.seconds()

        def send(protocol: DriverClientProtocol) -> Deferred[Any]:
            left = envelope
            if timeout is not None:
                rest = max(timeout - (self._clock.seconds() - started), 0.001)
                left = {**envelope, "timeout": rest}
            return _call_on(protocol, method, params, left)

        return self._connection(timeout).addCallback(send)

    def transaction(self, **defaults: Unpack[CallOptions]) -> Transaction:
        """
        A transaction on the connection open when it begins (waiting for
        one, within its timeout); see L{DriverClient.transaction}.
        """
        return Transaction(
            self, priority=defaults.get("priority"), timeout=defaults.get("timeout")
        )

    def _begin(
        self, priority: int | None, timeout: float | None
    ) -> Deferred[tuple[str, DriverClientProtocol]]:
        """Begin a transaction once connected; it stays on that connection."""
        d = self._connection(timeout)
        return d.addCallback(lambda p: DriverClient(p)._begin(priority, timeout))

    async def _rows(
        self, opening: Deferred[str], size: int, timeout: float | None
    ) -> AsyncIterator[Row]:
        """A cursor's rows, read on the connection that opened it."""
        cursor_id = await opening
        # Fired from the answer's frame: the connection it came on is current.
        pinned = _Pinned(self._protocol)
        async for row in pinned._rows(succeed(cursor_id), size, timeout):
            yield row

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"<ReconnectingClient {self.path!r} {state}>"
