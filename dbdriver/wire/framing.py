"""
Netstring framing with a size limit (PROTOCOL.md section 1), shared by the
client and the server: frames in, frames out, and one answer for a broken
frame instead of a silent disconnect.
"""

from __future__ import annotations

import time

from twisted.internet.interfaces import (
    IDelayedCall,
    IPushProducer,
    IReactorTime,
    ITransport,
)
from twisted.protocols.basic import NetstringReceiver
from twisted.python.failure import Failure

from dbdriver.exceptions import BadFrame, DriverError, MessageTooLarge
from dbdriver.wire.limits import DEFAULT_MAX_MESSAGE_SIZE

__all__ = ["FLUSH_EVERY", "NetstringFraming"]

#: The most frames written while handling one read before they are sent.
FLUSH_EVERY = 16


class NetstringFraming(NetstringReceiver):
    """
    Netstring framing with a size limit that answers instead of just
    dropping the connection.

    A frame longer than L{MAX_LENGTH} is refused as soon as its length
    prefix says so (L{frameError} with L{MessageTooLarge}); a malformed
    frame gives L{BadFrame}.  After either, nothing more is read.

    It is Twisted's L{NetstringReceiver} (the protocol the design names)
    with the parser replaced: L{dataReceived} reads the frames itself.
    Subclasses implement L{stringReceived}.
    """

    MAX_LENGTH = DEFAULT_MAX_MESSAGE_SIZE
    transport: ITransport  # set by makeConnection before any data arrives

    def makeConnection(self, transport: ITransport) -> None:
        """
        Start the framing state, then what C{Protocol.makeConnection} does
        (written out: Twisted's is untyped).
        """
        self._buffer = bytearray()
        self._start = 0
        self._expected: int | None = None
        self._broken = False
        self._receiving = False
        self._unflushed = 0
        self._flush_at = 1
        self._resuming: IDelayedCall | None = None
        self.connected = 1
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        """
        The connection is up (nothing to do here).
        """

    def connectionLost(self, reason: Failure | None = None) -> None:
        """
        The connection is gone: the frames left for a later turn never
        will be handled (subclasses call this).
        """
        resuming, self._resuming = self._resuming, None
        if resuming is not None and resuming.active():
            resuming.cancel()

    def stringReceived(self, string: bytes) -> None:
        """
        One whole frame's payload arrived.
        """
        raise NotImplementedError

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
    clock: IReactorTime | None = None

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
            from twisted.internet import reactor

            clock = IReactorTime(reactor)
        self._resuming = clock.callLater(0, self._resume)

    def _resume(self) -> None:
        self._resuming = None
        if self._broken or getattr(self.transport, "disconnected", False):
            return
        IPushProducer(self.transport).resumeProducing()
        self.dataReceived(b"")

    def _frames(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        # What was read is dropped from the buffer however the loop ends:
        # a frame is consumed before it is handed over, so that one whose
        # handling raises is never handled again with a later read.
        self._start = 0
        try:
            self._split()
        finally:
            if self._start:
                del buffer[: self._start]

    def _split(self) -> None:
        buffer = self._buffer
        digits = len(str(self.MAX_LENGTH))
        turn = self.TURN
        until = None if turn is None else time.perf_counter() + turn
        while not self._broken:
            start = self._start
            if until is not None and start and time.perf_counter() > until:
                if start < len(buffer):
                    # Let the other connections and the database threads'
                    # answers in before going on with this one.
                    IPushProducer(self.transport).pauseProducing()
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
                start = self._start = colon + 1
            end = start + self._expected
            if len(buffer) <= end:
                break
            if buffer[end] != 0x2C:
                return self._fail(BadFrame("netstring does not end with a comma"))
            payload = bytes(buffer[start:end])
            self._start = end + 1
            self._expected = None
            self.stringReceived(payload)

    def _too_large(self, length: int | None = None) -> MessageTooLarge:
        return MessageTooLarge(
            f"frame exceeds the limit of {self.MAX_LENGTH} bytes",
            {"limit": self.MAX_LENGTH, "length": length},
        )

    def _fail(self, error: DriverError) -> None:
        self._broken = True
        self._buffer.clear()
        self._start = 0
        self.frameError(error)

    def frameError(self, error: DriverError) -> None:
        """
        The peer broke the framing; the default closes the connection.
        """
        self.transport.loseConnection()
