"""
The server's end of the wire (PROTOCOL.md sections 1-3): one
L{DriverServerProtocol} per client connection turns frames into
L{Envelope}s for the server and results back into frames.  Nothing a peer
sends can raise out of it: every malformed input becomes an error response
(or, for broken framing, one error frame and a closed connection).
"""

from __future__ import annotations

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.exceptions import DriverError, InternalError
from dbdriver.server.interfaces import IRequestSink
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import EnvelopeError, decode_envelope
from dbdriver.wire.framing import NetstringFraming
from dbdriver.wire.results import BaseResult, ErrorResult

__all__ = ["DriverServerProtocol"]


@attrs.define(eq=False, slots=False)
class DriverServerProtocol(NetstringFraming):
    """
    One client connection to the driver: frames in, L{Envelope}s to the
    server, results out.
    """

    log = Logger()

    TURN = 0.002

    server: IRequestSink
    clock: IReactorTime
    MAX_LENGTH: int = attrs.field(alias="max_message_size")
    connected_: bool = attrs.field(init=False, default=False)

    def connectionMade(self) -> None:
        self.connected_ = True
        self.server.connection_made(self)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.connected_ = False
        super().connectionLost(reason)
        self.server.connection_lost(self)

    def stringReceived(self, string: bytes) -> None:
        """
        Hand a request to the server, or answer why it cannot run; nothing
        raises out of here (the connection would be dropped with its
        requests in flight).
        """
        try:
            envelope = decode_envelope(string)
        except EnvelopeError as e:
            if e.__cause__ is not None:
                self.log.failure(
                    "checking a request failed: {code}",
                    Failure(e.__cause__),
                    code=e.error.code,
                )
            self.server.count_rejected()
            self.send_result(ErrorResult(e.request_id, e.error))
            return
        try:
            self.server.submit(self, envelope)
        except Exception:
            self.log.failure("submitting request {id} failed", id=envelope.request_id)
            error = InternalError("the request could not be queued")
            self.send_result(ErrorResult(envelope.request_id, error))

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

    def close(self) -> None:
        self.transport.loseConnection()
