"""
The driver's methods on a connection: L{DriverClient}, the L{Transaction}s
it opens, and L{connect} / L{connect_endpoint}, which give a client.
"""

from __future__ import annotations

from contextlib import suppress
from types import TracebackType
from typing import Protocol, Unpack, cast

import attrs
from twisted.internet.defer import Deferred, fail
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.error import ConnectError
from twisted.internet.interfaces import (
    IProtocol,
    IReactorTime,
    IReactorUNIX,
    IStreamClientEndpoint,
)
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.client.methods import _Methods
from dbdriver.client.params import CallOptions, _Envelope
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientFactory,
    DriverClientProtocol,
)
from dbdriver.exceptions import ConnectionLost, DriverError, UnknownTransaction

__all__ = ["DriverClient", "Transaction", "connect", "connect_endpoint"]


@attrs.define(eq=False)
class DriverClient(_Methods):
    """
    The driver's methods on a connected L{DriverClientProtocol}.

    @ivar protocol: the connection.
    """

    protocol: DriverClientProtocol

    @property
    def _protocol(self) -> DriverClientProtocol:
        return self.protocol

    def transaction(self, **defaults: Unpack[CallOptions]) -> Transaction:
        """
        A transaction, begun by C{async with} (or L{Transaction.begin}), whose
        requests default to C{priority} and C{timeout}.
        """
        return Transaction(
            self, priority=defaults.get("priority"), timeout=defaults.get("timeout")
        )

    def _begin(
        self, priority: int | None, timeout: float | None
    ) -> Deferred[tuple[str, DriverClientProtocol]]:
        """Begin a transaction; fires with its id and its connection."""
        d = self.begin_transaction(priority=priority, timeout=timeout)
        return d.addCallback(lambda transaction_id: (transaction_id, self.protocol))

    def close(self) -> Deferred[None]:
        """Close the connection; fires once it is closed."""
        return self.protocol.close()


class _Host(Protocol):
    """What a L{Transaction} begins on: a client (plain or reconnecting)."""

    def _begin(
        self, priority: int | None, timeout: float | None
    ) -> Deferred[tuple[str, DriverClientProtocol]]:
        """Begin a transaction; fires with its id and the connection it is on."""


@attrs.define(eq=False)
class Transaction(_Methods):
    """
    An open transaction: its methods run inside it, in order.

    As an async context manager it begins on entry, commits when the block
    succeeds and rolls back when it raises.  After L{commit} or
    L{rollback}, or once the connection it began on is lost, calls fail
    locally with L{UnknownTransaction}.
    """

    log = Logger()

    _client: _Host
    _priority: int | None = attrs.field(default=None, kw_only=True)
    _timeout: float | None = attrs.field(default=None, kw_only=True)
    _id: str | None = attrs.field(default=None, init=False)
    _state: str = attrs.field(default="not begun", init=False)
    _connection: DriverClientProtocol | None = attrs.field(default=None, init=False)

    @property
    def transaction_id(self) -> str | None:
        """The server's id of the transaction (C{None} before it began)."""
        return self._id

    def begin(self) -> Deferred[Transaction]:
        """Begin the transaction; fires with this object."""
        if self._state != "not begun":
            return fail(RuntimeError(f"transaction already {self._state}"))
        self._state = "beginning"
        d = self._client._begin(self._priority, self._timeout)
        d.addErrback(self._then, "not begun (begin failed)")
        return d.addCallback(self._began)

    def _began(self, begun: tuple[str, DriverClientProtocol]) -> Transaction:
        self._id, self._connection = begun
        self._state = "open"
        return self

    def _then(self, failure: Failure, state: str) -> Failure:
        """Pass C{failure} on, entering C{state}."""
        self._state = state
        return failure

    @property
    def _protocol(self) -> DriverClientProtocol:
        if self._connection is None:
            raise RuntimeError("transaction not begun")
        return self._connection

    def _open(self) -> bool:
        """Whether the transaction is open (it is not once its connection is lost)."""
        if self._state == "open" and not self._protocol.is_open:
            self._state = "lost with its connection"
        return self._state == "open"

    def _envelope(self, options: CallOptions) -> _Envelope | DriverError:
        """Inside the transaction, C{priority} and C{timeout} default to its own."""
        if not self._open():
            return self._finished()
        priority, timeout = options.get("priority"), options.get("timeout")
        return {
            **options,
            "priority": self._priority if priority is None else priority,
            "timeout": self._timeout if timeout is None else timeout,
            "transaction_id": self._id,
        }

    def _finished(self) -> UnknownTransaction:
        return UnknownTransaction(
            f"transaction {self._id!r} is {self._state}", {"transaction_id": self._id}
        )

    def commit(self, **options: Unpack[CallOptions]) -> Deferred[bool]:
        """Commit; fires with C{True}."""
        return self._end("commit_transaction", "committed", options)

    def rollback(self, **options: Unpack[CallOptions]) -> Deferred[bool]:
        """Roll back; fires with C{True}."""
        return self._end("rollback_transaction", "rolled back", options)

    def _end(self, method: str, state: str, options: CallOptions) -> Deferred[bool]:
        if not self._open():
            return fail(self._finished())
        d: Deferred[bool] = self._send(method, options, transaction_id=self._id)
        self._state = state
        return d.addErrback(self._then, f"ended ({method} failed)")

    async def _abandon(self) -> None:
        """Roll back if open; one the server no longer has is fine."""
        if self._state == "open":
            with suppress(UnknownTransaction, ConnectionLost):
                await self.rollback()

    async def __aenter__(self) -> Transaction:
        return await self.begin()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is not None:
            await self._abandon()
        elif self._state == "open":
            try:
                await self.commit()
            except DriverError as e:
                if not isinstance(e, (UnknownTransaction, ConnectionLost)):
                    await self._rollback_after_failed_commit()
                raise
        return False

    async def _rollback_after_failed_commit(self) -> None:
        """The commit may not have run: roll back, and only log a failure."""
        self._state = "open"
        try:
            await self._abandon()
        except DriverError as e:
            self.log.warn("rollback after a failed commit: {error!r}", error=e)


def connect_endpoint(
    endpoint: IStreamClientEndpoint,
    *,
    max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    token: str | None = None,
) -> Deferred[DriverClient]:
    """
    Connect to the driver through any client endpoint (e.g.
    C{clientFromString(reactor, "tcp:host=db:port=7000")}).

    @param token: the server's token (C{--auth-token-file}), sent first
        with C{authenticate}; fails with L{Unauthenticated} if refused.
    """
    d = endpoint.connect(DriverClientFactory(max_message_size)).addCallback(_client)
    if token is not None:
        d.addCallback(_authenticate, token)
    return d


def _authenticate(client: DriverClient, token: str) -> Deferred[DriverClient]:
    """Present C{token}; fires with C{client} once the server accepts it."""
    d: Deferred[bool] = client.protocol.call("authenticate", {"token": token})
    return d.addCallback(lambda _: client)


def _client(protocol: IProtocol) -> DriverClient:
    """The client of a connection a L{DriverClientFactory} built."""
    if not isinstance(protocol, DriverClientProtocol):
        raise TypeError(f"not a driver connection: {protocol!r}")
    return DriverClient(protocol)


def connect(
    reactor: IReactorUNIX,
    path: str,
    *,
    max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    timeout: float = 30,
    wait: float = 0,
    token: str | None = None,
) -> Deferred[DriverClient]:
    """
    Connect to the driver's Unix socket at C{path} within C{timeout} seconds.

    @param wait: for up to this many seconds, try again while the socket
        does not accept (the driver is not up yet), then fail with the
        last C{ConnectError}; 0: try once.
    @param token: see L{connect_endpoint}.
    """
    endpoint = UNIXClientEndpoint(reactor, path, timeout=timeout)
    if wait <= 0:
        return connect_endpoint(
            endpoint, max_message_size=max_message_size, token=token
        )
    clock = cast(IReactorTime, reactor)
    deadline = clock.seconds() + wait
    return Deferred.fromCoroutine(
        _connect_within(clock, endpoint, max_message_size, deadline, token)
    )


async def _connect_within(
    clock: IReactorTime,
    endpoint: IStreamClientEndpoint,
    max_message_size: int,
    deadline: float,
    token: str | None = None,
) -> DriverClient:
    """Connect through C{endpoint}, trying again until C{deadline}."""
    delay = 0.01
    while True:
        try:
            return await connect_endpoint(
                endpoint, max_message_size=max_message_size, token=token
            )
        except ConnectError as e:
            left = deadline - clock.seconds()
            if left <= 0:
                raise
            Transaction.log.debug(
                "driver not accepting yet ({error}); waiting", error=e
            )
            await deferLater(clock, min(delay, left))
            delay = min(delay * 2, 0.25)
