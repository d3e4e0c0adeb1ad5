"""
The client's connection to the driver (PROTOCOL.md): requests pipelined on
one connection, each answered by a L{Deferred} that fails with the typed
exceptions of L{dbdriver.exceptions}.  Params the server would refuse as
C{invalid_params} fail locally, before anything is sent.  The methods on top
are L{dbdriver.client.api}'s.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.client.params import Params
from dbdriver.exceptions import (
    ConnectionLost,
    DriverError,
    InvalidParams,
    error_for_code,
)
from dbdriver.requests.methods import REQUEST_TYPES
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.framing import NetstringFraming
from dbdriver.wire.results import BaseResult, ErrorResult, result_from_wire

__all__ = [
    "DEFAULT_CLIENT_MAX_MESSAGE_SIZE",
    "DriverClientFactory",
    "DriverClientProtocol",
]

#: The largest response frame a client accepts by default: the server's own
#: limit bounds what it sends, so this only guards against a broken peer.
DEFAULT_CLIENT_MAX_MESSAGE_SIZE = 1 << 30

#: Connection-level errors after which the server closes the connection.
_CLOSING_CODES = frozenset({"bad_frame", "message_too_large"})


def _copy(error: DriverError) -> DriverError:
    """A fresh exception like C{error}, for failing many L{Deferred}s."""
    return error_for_code(error.code, error.message, error.details)


def _encode(message: dict[str, object]) -> bytes:
    """A request payload, without its unset (C{None}) keys."""
    try:
        return encode({k: v for k, v in message.items() if v is not None})
    except Exception as e:
        raise InvalidParams(f"{message['method']}: cannot encode: {e}") from e


def _validate(method: str, params: Params) -> None:
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
        self._pending: dict[int, Deferred[object]] = {}
        self._connected = False
        self._lost = False
        self._error: DriverError | None = None
        self._closed: list[Deferred[None]] = []

    def connectionMade(self) -> None:
        self._connected = True

    def call(
        self,
        method: str,
        params: Params = None,
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
            (L{ConnectionLost} if the connection closes first).  The
            result's type is the method's: the methods of L{DriverClient}
            declare it.
        """
        if not self._connected:
            lost = "closed" if self._lost else "not open"
            return fail(ConnectionLost(f"connection to the driver {lost}"))
        if self._error is not None:
            return fail(_copy(self._error))
        try:
            _validate(method, params)
            request_id = next(self._ids)
            message: dict[str, object] = {
                "id": request_id,
                "method": method,
                "params": params,
            }
            message.update(
                priority=priority, timeout=timeout, transaction_id=transaction_id
            )
            payload = _encode(message)
        except DriverError as e:
            return fail(e)
        d: Deferred[object] = Deferred(functools.partial(self._forget, request_id))
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
    def is_open(self) -> bool:
        """Whether the connection is open (requests can be sent on it)."""
        return self._connected

    @property
    def pending(self) -> int:
        """The number of requests sent and not yet answered."""
        return len(self._pending)

    def _forget(self, request_id: int, d: Deferred[object]) -> None:
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
        message: object = None
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
        super().connectionLost(reason)
        self._connected = False
        self._lost = True
        why = reason.getErrorMessage() if reason is not None else "closed"
        self._fail_all(ConnectionLost(f"connection to the driver closed: {why}"))
        closed, self._closed = self._closed, []
        for d in closed:
            d.callback(None)


class DriverClientFactory(Factory[DriverClientProtocol]):
    """Builds L{DriverClientProtocol}s accepting C{max_message_size} frames."""

    protocol = DriverClientProtocol

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size

    def buildProtocol(self, addr: IAddress | None) -> DriverClientProtocol:
        p = DriverClientProtocol(self.max_message_size)
        p.factory = self
        return p
