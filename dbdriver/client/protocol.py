"""
The Twisted client of the driver (PROTOCOL.md): requests pipelined on one
connection, each answered by a L{Deferred} that fails with the typed
exceptions of L{dbdriver.exceptions}.  Params the server would refuse as
C{invalid_params} fail locally, before anything is sent.
"""

from __future__ import annotations

import functools
import itertools
from contextlib import suppress
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.interfaces import (
    IAddress,
    IProtocol,
    IReactorUNIX,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.client.methods import _Methods
from dbdriver.exceptions import (
    ConnectionLost,
    DriverError,
    InvalidParams,
    UnknownTransaction,
    error_for_code,
)
from dbdriver.requests.methods import REQUEST_TYPES
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.framing import NetstringFraming
from dbdriver.wire.results import BaseResult, ErrorResult, result_from_wire

__all__ = [
    "DEFAULT_CLIENT_MAX_MESSAGE_SIZE",
    "DriverClient",
    "DriverClientFactory",
    "DriverClientProtocol",
    "Transaction",
    "connect",
    "connect_endpoint",
]

#: The largest response frame a client accepts by default: the server's own
#: limit bounds what it sends, so this only guards against a broken peer.
DEFAULT_CLIENT_MAX_MESSAGE_SIZE = 1 << 30

#: Connection-level errors after which the server closes the connection.
_CLOSING_CODES = frozenset({"bad_frame", "message_too_large"})

_Params = dict[str, Any] | None


def _copy(error: DriverError) -> DriverError:
    """A fresh exception like C{error}, for failing many L{Deferred}s."""
    return error_for_code(error.code, error.message, error.details)


def _encode(message: dict[str, Any]) -> bytes:
    """A request payload, without its unset (C{None}) keys."""
    try:
        return encode({k: v for k, v in message.items() if v is not None})
    except Exception as e:
        raise InvalidParams(f"{message['method']}: cannot encode: {e}") from e


def _validate(method: str, params: dict[str, Any] | None) -> None:
    """Check C{params} of a known C{method} the way the server will."""
    cls = REQUEST_TYPES.get(method)
    try:
        if cls is not None:
            cls.from_params(params)
    except DriverError:
        raise
    except Exception as e:
        raise InvalidParams(f"{method}: {e}") from e


class DriverClientProtocol(NetstringFraming):
    """
    One connection to the driver: requests out, responses matched by id.

    @ivar MAX_LENGTH: the largest response frame accepted.
    """

    log = Logger()

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        self.MAX_LENGTH = max_message_size
        self._ids = itertools.count(1)
        self._pending: dict[int, Deferred[Any]] = {}
        self._connected = False
        self._lost = False
        self._error: DriverError | None = None
        self._closed: list[Deferred[None]] = []

    def connectionMade(self) -> None:
        self._connected = True

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        priority: int | None = None,
        timeout: float | None = None,
        transaction_id: str | None = None,
    ) -> Deferred[Any]:
        """
        Send one request.

        @param method: a method of PROTOCOL.md section 4; unknown methods
            are sent anyway (the server answers C{unknown_method}).
        @param params: the method's params (validated locally first).
        @param priority: queue priority, 0..9 (server default 5).
        @param timeout: deadline in seconds (server default 30).
        @param transaction_id: run inside that open transaction.
        @return: fires with the result, or fails with a L{DriverError}
            (L{ConnectionLost} if the connection closes first).
        """
        if not self._connected:
            lost = "closed" if self._lost else "not open"
            return fail(ConnectionLost(f"connection to the driver {lost}"))
        if self._error is not None:
            return fail(_copy(self._error))
        try:
            _validate(method, params)
            request_id = next(self._ids)
            message = {"id": request_id, "method": method, "params": params}
            message.update(
                priority=priority, timeout=timeout, transaction_id=transaction_id
            )
            payload = _encode(message)
        except DriverError as e:
            return fail(e)
        d: Deferred[Any] = Deferred(functools.partial(self._forget, request_id))
        self._pending[request_id] = d
        self.send_frame(payload)
        return d

    def close(self) -> Deferred[None]:
        """Close; pending requests fail with L{ConnectionLost}; fires once closed."""
        if not self._connected:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._closed.append(d)
        self.transport.loseConnection()
        return d

    @property
    def pending(self) -> int:
        """The number of requests sent and not yet answered."""
        return len(self._pending)

    def _forget(self, request_id: int, d: Deferred[Any]) -> None:
        """Cancel a request locally: its answer, if any, is ignored."""
        self._pending.pop(request_id, None)

    def stringReceived(self, string: bytes) -> None:
        result = self._read(string)
        if result is None:
            return
        if result.request_id is None:
            if isinstance(result, ErrorResult):
                self.log.warn("connection error: {error!r}", error=result.error)
                if result.error.code in _CLOSING_CODES:
                    self._error = result.error
                self._fail_all(result.error)
            return
        d = self._pending.pop(result.request_id, None)
        if d is None:
            self.log.warn("response to unknown id {id!r}", id=result.request_id)
            return
        try:
            value = result.unwrap()
        except DriverError:
            d.errback()
        else:
            d.callback(value)

    def _read(self, string: bytes) -> BaseResult | None:
        """The result in a frame; an unreadable frame breaks the connection."""
        message: Any = None
        try:
            message = decode_payload(string)
            return result_from_wire(message)
        except DriverError as e:
            request_id = message.get("id") if isinstance(message, dict) else None
            if type(request_id) is int and request_id in self._pending:
                return ErrorResult(request_id, e)
            self._fail_connection(e)
            return None

    def frameError(self, error: DriverError) -> None:
        self._fail_connection(error)

    def _fail_connection(self, error: DriverError) -> None:
        self.log.error("bad response, closing: {error!r}", error=error)
        self._error = error
        self._fail_all(error)
        self.transport.loseConnection()

    def _fail_all(self, error: DriverError) -> None:
        pending, self._pending = self._pending, {}
        for d in pending.values():
            d.errback(_copy(error))

    def connectionLost(self, reason: Failure | None = None) -> None:
        self._connected = False
        self._lost = True
        why = reason.getErrorMessage() if reason is not None else "closed"
        self._fail_all(ConnectionLost(f"connection to the driver closed: {why}"))
        closed, self._closed = self._closed, []
        for d in closed:
            d.callback(None)


class DriverClient(_Methods):
    """
    The driver's methods on a connected L{DriverClientProtocol}.

    @ivar protocol: the connection.
    """

    def __init__(self, protocol: DriverClientProtocol) -> None:
        self.protocol = protocol

    def _call(
        self, method: str, params: _Params = None, **options: Any
    ) -> Deferred[Any]:
        return self.protocol.call(method, params, **options)

    def transaction(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Transaction:
        """
        A transaction, begun by C{async with} (or L{Transaction.begin}), whose
        requests default to C{priority} and C{timeout}.
        """
        return Transaction(self, priority=priority, timeout=timeout)

    def close(self) -> Deferred[None]:
        """Close the connection; fires once it is closed."""
        return self.protocol.close()


class Transaction(_Methods):
    """
    An open transaction: its methods run inside it, in order.

    As an async context manager it begins on entry, commits when the block
    succeeds and rolls back when it raises.  After L{commit} or
    L{rollback}, calls fail locally with L{UnknownTransaction}.
    """

    log = Logger()

    def __init__(
        self,
        client: DriverClient,
        *,
        priority: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self._client = client
        self._defaults: dict[str, Any] = {"priority": priority, "timeout": timeout}
        self._id: str | None = None
        self._state = "not begun"

    @property
    def transaction_id(self) -> str | None:
        """The server's id of the transaction (C{None} before it began)."""
        return self._id

    def begin(self) -> Deferred[Transaction]:
        """Begin the transaction; fires with this object."""
        if self._state != "not begun":
            return fail(RuntimeError(f"transaction already {self._state}"))
        self._state = "beginning"
        d = self._client.begin_transaction(**self._defaults)
        d.addErrback(self._then, "not begun (begin failed)")
        return d.addCallback(self._began)

    def _began(self, transaction_id: str) -> Transaction:
        self._id, self._state = transaction_id, "open"
        return self

    def _then(self, result: Any, state: str) -> Any:
        """Pass C{result} through, entering C{state}."""
        self._state = state
        return result

    def _call(
        self, method: str, params: _Params = None, **options: Any
    ) -> Deferred[Any]:
        if self._state != "open":
            return fail(self._finished())
        for key, value in self._defaults.items():
            if options.get(key) is None:
                options[key] = value
        return self._client.protocol.call(
            method, params, transaction_id=self._id, **options
        )

    def _finished(self) -> UnknownTransaction:
        return UnknownTransaction(
            f"transaction {self._id!r} is {self._state}", {"transaction_id": self._id}
        )

    def commit(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Deferred[bool]:
        """Commit; fires with C{True}."""
        return self._end("commit_transaction", "committed", priority, timeout)

    def rollback(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Deferred[bool]:
        """Roll back; fires with C{True}."""
        return self._end("rollback_transaction", "rolled back", priority, timeout)

    def _end(
        self, method: str, state: str, priority: int | None, timeout: float | None
    ) -> Deferred[bool]:
        if self._state != "open":
            return fail(self._finished())
        params = {"transaction_id": self._id}
        d = self._call(method, params, priority=priority, timeout=timeout)
        self._state = state
        return d.addErrback(self._then, f"ended ({method} failed)")

    async def _abandon(self) -> None:
        """Roll back if open; one the server no longer has is fine."""
        if self._state == "open":
            with suppress(UnknownTransaction, ConnectionLost):
                await self.rollback()

    async def __aenter__(self) -> Transaction:
        return await self.begin()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
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


class DriverClientFactory(Factory):
    """Builds L{DriverClientProtocol}s accepting C{max_message_size} frames."""

    protocol = DriverClientProtocol

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size

    def buildProtocol(self, addr: IAddress | None) -> DriverClientProtocol:
        p = DriverClientProtocol(self.max_message_size)
        p.factory = self
        return p


def connect_endpoint(
    endpoint: IStreamClientEndpoint,
    *,
    max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
) -> Deferred[DriverClient]:
    """
    Connect to the driver through any client endpoint (e.g.
    C{clientFromString(reactor, "tcp:host=db:port=7000")}).
    """
    d = endpoint.connect(DriverClientFactory(max_message_size))
    return d.addCallback(_client)


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
) -> Deferred[DriverClient]:
    """Connect to the driver's Unix socket at C{path} within C{timeout} seconds."""
    endpoint = UNIXClientEndpoint(reactor, path, timeout=timeout)
    return connect_endpoint(endpoint, max_message_size=max_message_size)
