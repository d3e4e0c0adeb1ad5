"""
A raw protocol peer for tests: sends any bytes, collects decoded frames.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.internet.protocol import Factory

from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.framing import NetstringFraming


class RawPeer(NetstringFraming):
    MAX_LENGTH = 1 << 30

    def __init__(self) -> None:
        self.frames: DeferredQueue[Any] = DeferredQueue()
        self.closed: Deferred[None] = Deferred()

    def stringReceived(self, string: bytes) -> None:
        self.frames.put(decode_payload(string))

    def connectionLost(self, reason: Any = None) -> None:
        self.closed.callback(None)

    def send_bytes(self, data: bytes) -> None:
        self.transport.write(data)

    def send_frame(self, payload: bytes) -> None:
        self.transport.write(b"%d:%s," % (len(payload), payload))

    def send(self, message: Any) -> None:
        self.send_frame(encode(message))

    def next(self) -> Deferred[Any]:
        return self.frames.get()

    async def call(self, message: Any) -> Any:
        self.send(message)
        return await self.next()


def connect_raw(reactor: Any, path: str) -> Deferred[RawPeer]:
    return UNIXClientEndpoint(reactor, path).connect(Factory.forProtocol(RawPeer))
