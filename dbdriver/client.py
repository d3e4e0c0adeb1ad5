"""
The Twisted client of the driver (PROTOCOL.md): many requests pipelined on
one connection, each answered by a L{Deferred}.

    client = await connect(reactor, "dbdriver.sock")
    await client.insert("files", {"path": "a.txt"})
    async with client.transaction() as tx:
        await tx.update("files", {"path": "a.txt"}, {"size": 1})

Errors arrive as the typed exceptions of L{dbdriver.exceptions}; params
that the server would refuse as C{invalid_params} fail locally, before
anything is sent.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.interfaces import IAddress, IReactorUNIX, IStreamClientEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from ._client_methods import _Methods
from .exceptions import (
    ConnectionLost,
    DriverError,
    InvalidParams,
    UnknownTransaction,
    error_for_code,
)
from .requests import REQUEST_TYPES
from .results import BaseResult, ErrorResult, result_from_wire
from .rpc_protocol import NetstringFraming, decode_payload, encode

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


def _copy(error: DriverError) -> DriverError:
    """
    A fresh exception like C{error}, for failing many L{Deferred}s at once.
    """
    return error_for_code(error.code, error.message, error.details)


def _validate(method: str, params: dict[str, Any] | None) -> None:
    """
    Check C{params} the way the server will, for the methods this version
    knows; raise L{InvalidParams} for what the server would refuse.
    """
    cls = REQUEST_TYPES.get(method)
    if cls is None:
        return
    try:
        cls.from_params(params)
    except DriverError:
        raise
    except Exception as e:
        raise InvalidParams(f"{method}: {e}") from e


class DriverClientProtocol(NetstringFraming):
    """
    One connection to the driver: requests out, responses matched to them
    by id.

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
            return fail(self._not_connected())
        if self._error is not None:
            return fail(_copy(self._error))
        try:
            _validate(method, params)
            request_id = next(self._ids)
            payload = self._encode(
                request_id, method, params, priority, timeout, transaction_id
            )
        except DriverError as e:
            return fail(e)
        d: Deferred[Any] = Deferred(functools.partial(self._forget, request_id))
        self._pending[request_id] = d
        self.transport.writeSequence((b"%d:" % len(payload), payload, b","))
        return d

    def close(self) -> Deferred[None]:
        """
        Close the connection; requests still pending fail with
        L{ConnectionLost}.

        @return: fires once the connection is closed.
        """
        if not self._connected:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._closed.append(d)
        self.transport.loseConnection()
        return d

    @property
    def pending(self) -> int:
        """
        The number of requests sent and not yet answered.
        """
        return len(self._pending)

    def _encode(
        self,
        request_id: int,
        method: str,
        params: dict[str, Any] | None,
        priority: int | None,
        timeout: float | None,
        transaction_id: str | None,
    ) -> bytes:
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        for key, value in (
            ("priority", priority),
            ("timeout", timeout),
            ("transaction_id", transaction_id),
        ):
            if value is not None:
                message[key] = value
        try:
            return encode(message)
        except Exception as e:
            raise InvalidParams(f"{method}: cannot encode the request: {e}") from e

    def _forget(self, request_id: int, d: Deferred[Any]) -> None:
        """
        Cancel a request locally: its answer, if any, is ignored.
        """
        self._pending.pop(request_id, None)

    def _not_connected(self) -> ConnectionLost:
        if self._lost:
            return ConnectionLost("connection to the driver closed")
        return ConnectionLost("not connected to the driver")

    def stringReceived(self, string: bytes) -> None:
        result = self._read(string)
        if result is None:
            return
        if result.request_id is None:
            if isinstance(result, ErrorResult):
                self.log.warn(
                    "driver error for the connection: {code}: {message}",
                    code=result.error.code,
                    message=result.error.message,
                )
                if result.error.code in _CLOSING_CODES:
                    self._error = result.error
                self._fail_all(result.error)
            return
        d = self._pending.pop(result.request_id, None)
        if d is None:
            self.log.warn(
                "ignoring a response to unknown request id {request_id!r}",
                request_id=result.request_id,
            )
            return
        try:
            value = result.unwrap()
        except DriverError:
            d.errback(Failure())
        else:
            d.callback(value)

    def _read(self, string: bytes) -> BaseResult | None:
        """
        The result in a response frame; an unreadable frame fails every
        pending request and closes the connection.
        """
        try:
            message = decode_payload(string)
        except DriverError as e:
            self._fail_connection(e)
            return None
        try:
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
        self.log.error(
            "unreadable response from the driver, closing: {code}: {message}",
            code=error.code,
            message=error.message,
        )
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
        why = reason.getErrorMessage() if reason is not None else "unknown reason"
        self._fail_all(
            ConnectionLost(
                f"connection to the driver closed before the answer came: {why}"
            )
        )
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
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        priority: int | None = None,
        timeout: float | None = None,
    ) -> Deferred[Any]:
        return self.protocol.call(method, params, priority=priority, timeout=timeout)

    def transaction(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Transaction:
        """
        A transaction, begun by C{async with} (or L{Transaction.begin}).

        @param priority: default priority of the transaction's requests.
        @param timeout: default deadline of the transaction's requests.
        """
        return Transaction(self, priority=priority, timeout=timeout)

    def close(self) -> Deferred[None]:
        """
        Close the connection; fires once it is closed.
        """
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
        self._priority = priority
        self._timeout = timeout
        self._id: str | None = None
        self._state = "not begun"

    @property
    def transaction_id(self) -> str | None:
        """
        The server's id of the transaction (C{None} before it began).
        """
        return self._id

    def begin(self) -> Deferred[Transaction]:
        """
        Begin the transaction; fires with this object.
        """
        if self._state != "not begun":
            return fail(RuntimeError(f"transaction already {self._state}"))
        self._state = "beginning"

        def began(transaction_id: str) -> Transaction:
            self._id = transaction_id
            self._state = "open"
            return self

        def failed(failure: Failure) -> Failure:
            self._state = "not begun (begin failed)"
            return failure

        d = self._client.begin_transaction(
            priority=self._priority, timeout=self._timeout
        )
        return d.addCallbacks(began, failed)

    def _call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        priority: int | None = None,
        timeout: float | None = None,
    ) -> Deferred[Any]:
        if self._state != "open":
            return fail(self._finished())
        return self._client.protocol.call(
            method,
            params,
            priority=self._priority if priority is None else priority,
            timeout=self._timeout if timeout is None else timeout,
            transaction_id=self._id,
        )

    def _finished(self) -> UnknownTransaction:
        return UnknownTransaction(
            f"transaction {self._id!r} is {self._state}", {"transaction_id": self._id}
        )

    def commit(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Deferred[bool]:
        """
        Commit; fires with C{True}.
        """
        return self._end("commit_transaction", "committed", priority, timeout)

    def rollback(
        self, *, priority: int | None = None, timeout: float | None = None
    ) -> Deferred[bool]:
        """
        Roll back; fires with C{True}.
        """
        return self._end("rollback_transaction", "rolled back", priority, timeout)

    def _end(
        self, method: str, state: str, priority: int | None, timeout: float | None
    ) -> Deferred[bool]:
        if self._state != "open":
            return fail(self._finished())
        d = self._call(
            method, {"transaction_id": self._id}, priority=priority, timeout=timeout
        )
        self._state = state

        def failed(failure: Failure) -> Failure:
            self._state = f"ended ({method} failed)"
            return failure

        return d.addErrback(failed)

    async def _abandon(self) -> None:
        """
        Roll back unless already finished; a transaction the server no
        longer has (timed out, expired, connection gone) is fine.
        """
        if self._state != "open":
            return
        try:
            await self.rollback()
        except (UnknownTransaction, ConnectionLost):
            pass

    async def __aenter__(self) -> Transaction:
        return await self.begin()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is not None:
            await self._abandon()
            return False
        if self._state == "open":
            try:
                await self.commit()
            except (UnknownTransaction, ConnectionLost):
                raise
            except BaseException:
                self._state = "open"
                try:
                    await self._abandon()
                except DriverError as e:
                    self.log.warn(
                        "rollback after a failed commit failed: {error!r}", error=e
                    )
                raise
        return False


class DriverClientFactory(Factory):
    """
    Builds L{DriverClientProtocol}s.

    @ivar max_message_size: the largest response frame accepted.
    """

    protocol = DriverClientProtocol

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size

    def buildProtocol(self, addr: IAddress) -> DriverClientProtocol:
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
    return d.addCallback(DriverClient)


def connect(
    reactor: IReactorUNIX,
    path: str,
    *,
    max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    timeout: float = 30,
) -> Deferred[DriverClient]:
    """
    Connect to the driver's Unix socket at C{path}.

    @param timeout: seconds to wait for the connection.
    """
    endpoint = UNIXClientEndpoint(reactor, path, timeout=timeout)
    return connect_endpoint(endpoint, max_message_size=max_message_size)
