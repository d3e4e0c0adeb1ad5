"""
The wire protocol (PROTOCOL.md sections 1-3): netstring frames with a size
limit, each carrying one CBOR map.

L{NetstringFraming} is the framing both ends share; L{DriverServerProtocol}
turns frames into L{Envelope}s for the server and results back into frames.
Nothing a peer sends can raise out of this module: every malformed input
becomes an error response (or, for broken framing, one error frame and a
closed connection).
"""

from __future__ import annotations

import io
import math
import time
from typing import TYPE_CHECKING, Any

import attrs
import cbor2
from twisted.internet.interfaces import ITransport
from twisted.logger import Logger
from twisted.protocols.basic import NetstringReceiver

from ._cbor import encode
from .exceptions import BadFrame, BadRequest, DriverError, MessageTooLarge
from .requests import BaseRequest, parse_request
from .results import BaseResult, ErrorResult

if TYPE_CHECKING:
    from .rpc_server import DriverServer

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DriverServerProtocol",
    "Envelope",
    "NetstringFraming",
    "decode_envelope",
    "decode_payload",
    "encode",
]

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_TOP_LEVEL = frozenset(
    {"id", "method", "params", "priority", "timeout", "transaction_id"}
)
DEFAULT_PRIORITY = 5
#: The most frames written while handling one read before they are sent.
FLUSH_EVERY = 16


def decode_payload(payload: bytes) -> Any:
    """
    Exactly one CBOR item, no trailing bytes, no duplicate map keys.
    """
    stream = io.BytesIO(payload)
    try:
        value = cbor2.CBORDecoder(stream, allow_duplicate_keys=False).decode()
    except Exception as e:
        raise BadRequest(f"payload is not valid CBOR: {e}") from None
    if stream.tell() != len(payload):
        raise BadRequest("payload has bytes after its CBOR item")
    return value


@attrs.define(slots=True)
class Envelope:
    """
    A request as it arrived: the validated request plus the top-level keys
    that steer it through the queue.
    """

    request_id: int
    request: BaseRequest
    priority: int = DEFAULT_PRIORITY
    timeout: float | None = None
    transaction_id: str | None = None


class EnvelopeError(Exception):
    """
    A request that cannot run: the error to answer, with the id if it was
    readable.
    """

    def __init__(self, request_id: int | None, error: DriverError) -> None:
        super().__init__(error.message)
        self.request_id = request_id
        self.error = error


def _request_id(message: dict[Any, Any]) -> int | None:
    value = message.get("id")
    if type(value) is int and value >= 0:
        return value
    return None


def decode_envelope(payload: bytes) -> Envelope:
    """
    Validate a request payload; raise L{EnvelopeError} with the code to answer.
    """
    try:
        message = decode_payload(payload)
    except DriverError as e:
        raise EnvelopeError(None, e) from None
    if not isinstance(message, dict):
        raise EnvelopeError(None, BadRequest("a request must be a CBOR map"))
    request_id = _request_id(message)
    try:
        if request_id is None:
            raise BadRequest("id must be an unsigned integer")
        if not _TOP_LEVEL.issuperset(message):
            unknown = sorted(repr(k) for k in message if k not in _TOP_LEVEL)
            raise BadRequest(f"unknown top-level keys: {', '.join(unknown)}")
        method = message.get("method")
        if type(method) is not str:
            raise BadRequest("method must be text")
        priority = message.get("priority", DEFAULT_PRIORITY)
        if type(priority) is not int or not 0 <= priority <= 9:
            raise BadRequest("priority must be an integer 0..9")
        timeout = message.get("timeout")
        if timeout is not None and (
            type(timeout) not in (int, float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise BadRequest("timeout must be a number of seconds > 0")
        transaction_id = message.get("transaction_id")
        if transaction_id is not None and type(transaction_id) is not str:
            raise BadRequest("transaction_id must be text")
        if "params" in message and not isinstance(message["params"], dict):
            raise BadRequest("params must be a map")
        request = parse_request(method, message.get("params"))
    except DriverError as e:
        raise EnvelopeError(request_id, e) from None
    return Envelope(request_id, request, priority, timeout, transaction_id)


class NetstringFraming(NetstringReceiver):
    """
    Netstring framing with a size limit that answers instead of just
    dropping the connection.

    A frame longer than L{MAX_LENGTH} is refused as soon as its length
    prefix says so (L{frameError} with L{MessageTooLarge}); a malformed
    frame gives L{BadFrame}.  After either, nothing more is read.
    """

    MAX_LENGTH = DEFAULT_MAX_MESSAGE_SIZE
    transport: ITransport  # set by makeConnection before any data arrives

    def makeConnection(self, transport: Any) -> None:
        self._buffer = bytearray()
        self._expected: int | None = None
        self._broken = False
        self._receiving = False
        self._unflushed = 0
        self._flush_at = 1
        super().makeConnection(transport)

    def send_frame(self, payload: bytes) -> None:
        """
        Send one frame.  Frames sent while handling received data go out in
        groups of 1, 2, 4, ... up to L{FLUSH_EVERY}: the first at once, so
        that the peer starts on it while later requests are still being
        handled here (with 8 in flight this doubled the throughput of point
        selects: the two sides work at the same time instead of by turns),
        then larger groups, which save system calls.  Frames sent at other
        times go out at once rather than one reactor iteration later
        (Twisted writes on the next writability poll), which saves a
        wake-up per round trip.
        """
        self.transport.writeSequence((b"%d:" % len(payload), payload, b","))
        if self._receiving:
            self._unflushed += 1
            if self._unflushed >= self._flush_at:
                self._flush()
                self._flush_at = min(self._flush_at * 2, FLUSH_EVERY)
        else:
            self._flush()

    def _flush(self) -> None:
        self._unflushed = 0
        transport = self.transport
        do_write = getattr(transport, "doWrite", None)
        if do_write is not None and not getattr(transport, "disconnecting", True):
            # On error doWrite leaves the descriptor registered for writing:
            # the reactor calls it again and handles the error then.
            do_write()

    #: Seconds of frame handling per reactor turn before the connection
    #: yields to the others (C{None}: no limit).
    TURN: float | None = None
    #: The reactor that schedules the later turns (default: the global one).
    clock: Any = None

    def dataReceived(self, data: bytes) -> None:
        if self._broken:
            return
        self._receiving = True
        self._flush_at = 1
        try:
            self._frames(data)
        finally:
            self._receiving = False
            if self._unflushed:
                self._flush()

    def _later(self) -> None:
        """
        Handle the frames left in the buffer on a later reactor turn (the
        transport is paused meanwhile, so nothing is read ahead).
        """
        clock = self.clock
        if clock is None:
            from twisted.internet import reactor as clock
        clock.callLater(0, self._resume)

    def _resume(self) -> None:
        if self._broken or getattr(self.transport, "disconnected", False):
            return
        self.transport.resumeProducing()  # type: ignore[attr-defined]
        self.dataReceived(b"")

    def _frames(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        digits = len(str(self.MAX_LENGTH))
        turn = self.TURN
        until = None if turn is None else time.perf_counter() + turn
        while not self._broken:
            if until is not None and start and time.perf_counter() > until:
                if start < len(buffer):
                    # Let the other connections and the database threads'
                    # answers in before going on with this one.
                    self.transport.pauseProducing()  # type: ignore[attr-defined]
                    self._later()
                break
            if self._expected is None:
                colon = buffer.find(b":", start, start + digits + 1)
                if colon < 0:
                    head = buffer[start : start + digits + 1]
                    if head and not head.isdigit():
                        return self._fail(BadFrame("malformed netstring length"))
                    if len(head) > digits:
                        return self._fail(self._too_large())
                    break
                head = buffer[start:colon]
                if not head.isdigit() or (len(head) > 1 and head[0] == 0x30):
                    return self._fail(BadFrame("malformed netstring length"))
                length = int(head)
                if length > self.MAX_LENGTH:
                    return self._fail(self._too_large(length))
                self._expected = length
                start = colon + 1
            end = start + self._expected
            if len(buffer) <= end:
                break
            if buffer[end] != 0x2C:
                return self._fail(BadFrame("netstring does not end with a comma"))
            payload = bytes(buffer[start:end])
            start = end + 1
            self._expected = None
            self.stringReceived(payload)
        if start:
            del buffer[:start]

    def _too_large(self, length: int | None = None) -> MessageTooLarge:
        return MessageTooLarge(
            f"frame exceeds the limit of {self.MAX_LENGTH} bytes",
            {"limit": self.MAX_LENGTH, "length": length},
        )

    def _fail(self, error: DriverError) -> None:
        self._broken = True
        self._buffer.clear()
        self.frameError(error)

    def frameError(self, error: DriverError) -> None:
        """
        The peer broke the framing; the default closes the connection.
        """
        self.transport.loseConnection()


class DriverServerProtocol(NetstringFraming):
    """
    One client connection to the driver: frames in, L{Envelope}s to the
    server, results out.
    """

    log = Logger()

    TURN = 0.002

    def __init__(self, server: DriverServer) -> None:
        self.server = server
        self.clock = server.reactor
        self.MAX_LENGTH = server.config.max_message_size
        self.connected_ = False

    def connectionMade(self) -> None:
        self.connected_ = True
        self.server.connection_made(self)

    def connectionLost(self, reason: Any = None) -> None:
        self.connected_ = False
        self.server.connection_lost(self)

    def stringReceived(self, string: bytes) -> None:
        try:
            envelope = decode_envelope(string)
        except EnvelopeError as e:
            self.server.count_rejected()
            self.send_result(ErrorResult(e.request_id, e.error))
            return
        self.server.submit(self, envelope)

    def frameError(self, error: DriverError) -> None:
        self.log.info(
            "closing connection: {code}: {message}",
            code=error.code,
            message=error.message,
        )
        self.send_result(ErrorResult(None, error))
        self.transport.loseConnection()

    def send_result(self, result: BaseResult) -> None:
        """
        Encode and send a result (small results; large ones arrive encoded).
        """
        self.send_payload(encode(result.to_wire()))

    def send_payload(self, payload: bytes) -> None:
        if self.connected_:
            self.send_frame(payload)
