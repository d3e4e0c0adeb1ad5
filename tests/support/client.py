"""
The far end of one client connection, played in memory: the tests of
L{dbdriver.client} read the frames the client wrote and feed it answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from dbdriver.client.api import DriverClient
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientFactory,
    DriverClientProtocol,
)
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.framing import NetstringFraming

__all__ = ["FakeServer", "failure_of", "frame", "result_of"]


class _Reader(NetstringFraming):
    """Reads the frames the client wrote."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def stringReceived(self, string: bytes) -> None:
        self.messages.append(decode_payload(string))


def frame(message: object) -> bytes:
    """C{message} as one netstring frame."""
    payload = encode(message)
    return b"%d:%s," % (len(payload), payload)


class FakeServer:
    """The far end of one client connection."""

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        factory = DriverClientFactory(max_message_size)
        self.protocol: DriverClientProtocol = factory.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.client = DriverClient(self.protocol)
        self._reader = _Reader()
        self._reader.makeConnection(StringTransport())

    def sent(self) -> list[Any]:
        """The requests written since the last call."""
        data = self.transport.value()
        self.transport.clear()
        self._reader.messages.clear()
        self._reader.dataReceived(data)
        return list(self._reader.messages)

    def answer(self, request_id: int | None, result: Any = None, **error: Any) -> None:
        body = {"error": error} if error else {"result": result}
        self.protocol.dataReceived(frame({"id": request_id, **body}))

    def lose(self) -> None:
        self.protocol.connectionLost(Failure(Exception("gone")))


def result_of(d: Deferred[Any]) -> Any:
    """The result of a Deferred that has fired (its failure raised)."""
    results: list[Any] = []
    d.addBoth(results.append)
    assert results, "deferred has not fired"
    if isinstance(results[0], Failure):
        results[0].raiseException()
    return results[0]


def failure_of(d: Deferred[Any], error_type: type[BaseException]) -> BaseException:
    """The exception a fired Deferred failed with, which must be C{error_type}."""
    with pytest.raises(error_type) as info:
        result_of(d)
    return info.value
