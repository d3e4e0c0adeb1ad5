"""
The door of the server (PROTOCOL.md section 9): which connections are
served (C{--max-connections}, the access policy), the token each presents
first, the requests one connection may have queued
(C{--connection-queue}), and the requests held while a connection does not
read its answers (L{Peer}).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.exceptions import (
    Busy,
    DriverError,
    QueueFull,
    ShuttingDown,
    Unauthenticated,
)
from dbdriver.requests.access import AuthenticateRequest
from dbdriver.server.access import AccessPolicy
from dbdriver.server.config import Config
from dbdriver.server.interfaces import IConnection, Work
from dbdriver.server.limits import Peer
from dbdriver.server.request_queue import QueueEntry, RequestQueue
from dbdriver.wire.envelope import Envelope
from dbdriver.wire.results import ErrorResult, SuccessResult

__all__ = ["Gate"]

#: What the gate hands a request it lets through: the connection, the
#: request and its arrival time.
Submit = Callable[[IConnection, Envelope, float], None]


@attrs.define(eq=False)
class Gate:
    """
    The connections' side of the server, one L{Peer} each.
    """

    log = Logger()

    config: Config
    access: AccessPolicy
    queue: RequestQueue[Work]
    clock: IReactorTime
    submit: Submit
    answer: Callable[[QueueEntry[Work], object], None]
    stopping: Callable[[], bool]
    peers: dict[IConnection, Peer] = attrs.field(init=False, factory=dict)
    #: The requests one connection may have queued: C{--connection-queue},
    #: or half of C{--queue-size} if that is less (one connection never
    #: fills the queue for the others).
    room: int = attrs.field(init=False)

    @room.default
    def _room(self) -> int:
        config = self.config
        return min(config.connection_queue, max(1, config.queue_size // 2))

    def admit(self, protocol: IConnection, serving: int) -> bool:
        """
        Serve a new connection, or refuse it with one error frame and close
        it: C{busy} over C{--max-connections} (C{serving} are served now),
        C{unauthenticated} for a peer the access policy refuses.
        """
        limit = self.config.max_connections
        refusal: DriverError | None = self.access.admit(
            getattr(protocol, "transport", None)
        )
        if serving >= limit:
            refusal = Busy(
                f"too many connections ({limit}, --max-connections)",
                {"max_connections": limit},
            )
        if refusal is not None:
            self.log.warn("connection refused: {code}", code=refusal.code)
            self.queue.stats.refuse(refusal.code)
            protocol.send_result(ErrorResult(None, refusal))
            protocol.close()
            return False
        peer = Peer(
            protocol, self.access.token is None, self._resume, self.queue.withdraw
        )
        self.peers[protocol] = peer
        peer.watch()
        return True

    def lost(self, protocol: IConnection) -> int:
        """
        Forget a connection; return how many of its requests it held.
        """
        peer = self.peers.pop(protocol, None)
        if peer is None:
            return 0
        held = peer.waiting()
        peer.stopProducing()
        return held

    def receive(self, protocol: IConnection, envelope: Envelope) -> None:
        """
        One request read: checked, held, or handed to L{submit}.
        """
        peer = self.peers.get(protocol)
        if peer is None or peer.refused:
            return  # a refused connection, closing: nothing more is answered
        stats = self.queue.stats
        stats.received += 1
        try:
            if not peer.authenticated or isinstance(
                envelope.request, AuthenticateRequest
            ):
                self._authenticate(peer, envelope)
            elif peer.paused or peer.held:
                self._hold(peer, envelope)
            else:
                self.submit(protocol, envelope, self.clock.seconds())
        except DriverError as e:
            stats.failed += 1
            protocol.send_result(ErrorResult(envelope.request_id, e))

    def _authenticate(self, peer: Peer, envelope: Envelope) -> None:
        """
        The first request must be C{authenticate} with the token; anything
        else is answered C{unauthenticated} and the connection closed.
        Without a token file, C{authenticate} answers C{true}.
        """
        request = envelope.request
        protocol = peer.protocol
        if isinstance(request, AuthenticateRequest):
            if self.access.check_token(request.token):
                peer.authenticated = True
                self.queue.stats.completed += 1
                protocol.send_result(SuccessResult(envelope.request_id, True))
                return
            why = "wrong token"
        else:
            why = f"{request.method}: authenticate first (--auth-token-file)"
        self.log.warn("connection refused: {why}", why=why)
        peer.refused = True
        self.queue.stats.refuse("unauthenticated")
        self.queue.stats.failed += 1
        protocol.send_result(ErrorResult(envelope.request_id, Unauthenticated(why)))
        protocol.close()

    def check_room(self, protocol: IConnection) -> None:
        """
        Raise L{QueueFull} if C{protocol} has C{--connection-queue} requests
        queued already, or half of C{--queue-size} if that is less: one
        connection never fills the queue for the others.
        """
        peer = self.peers.get(protocol)
        held = 0 if peer is None else peer.waiting()
        limit = self.room
        if self.queue.queued_by(protocol) + held >= limit:
            self.queue.stats.rejected_full += 1
            raise QueueFull(
                f"this connection has {limit} requests queued "
                "(--connection-queue, at most half of --queue-size)",
                {"connection_queue": limit},
            )

    def _hold(self, peer: Peer, envelope: Envelope) -> None:
        """
        Keep a request of a connection whose answers wait unsent.
        """
        if self.stopping():
            raise ShuttingDown("the server is shutting down")
        self.check_room(peer.protocol)
        peer.held.append((envelope, self.clock.seconds()))
        peer.stop_reading()

    def _resume(self, peer: Peer) -> None:
        """
        The connection's answers are sent: its requests go on.
        """
        withdrawn, peer.withdrawn = peer.withdrawn, []
        for entry in withdrawn:
            self.queue.requeue(entry, entry.lane)
        while peer.held and not peer.paused and not peer.refused:
            envelope, arrived = peer.held.popleft()
            try:
                self.submit(peer.protocol, envelope, arrived)
            except DriverError as e:
                self.queue.stats.failed += 1
                peer.protocol.send_result(ErrorResult(envelope.request_id, e))

    def shut(self) -> None:
        """
        Shutdown: answer the held requests C{shutting_down}.
        """
        for peer in self.peers.values():
            withdrawn, peer.withdrawn = peer.withdrawn, []
            for entry in withdrawn:
                self.answer(entry, Failure(ShuttingDown("the server stopped first")))
            while peer.held:
                envelope, _ = peer.held.popleft()
                self.queue.stats.failed += 1
                error = ShuttingDown("the server stopped first")
                peer.protocol.send_result(ErrorResult(envelope.request_id, error))
