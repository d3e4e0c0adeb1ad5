"""
The server: dispatch of requests, ownership of transactions by socket
connections, statistics and shutdown (PROTOCOL.md sections 2-7).

Protocol instances hand it L{Envelope}s; it answers what needs no database
at once, queues the rest in the L{RequestQueue} and feeds the queue to the
driver: the shared lane to the pool, each transaction's lane to its pinned
connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver._version import __version__
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.exceptions import (
    DriverError,
    Forbidden,
    InternalError,
    InvalidParams,
    ReadOnly,
    RequestTimeout,
    ResultTooLarge,
    ShuttingDown,
)
from dbdriver.server.access import AccessPolicy
from dbdriver.server.config import Config
from dbdriver.server.dispatch import LANES, Dispatcher
from dbdriver.server.gate import Gate
from dbdriver.server.interfaces import IConnection, Work
from dbdriver.server.request_queue import TAKEN, QueueEntry, RequestQueue
from dbdriver.server.rpc_protocol import DriverServerProtocol
from dbdriver.server.sessions import CURSOR, TRANSACTION, Sessions
from dbdriver.wire.cbor import response
from dbdriver.wire.envelope import Envelope
from dbdriver.wire.results import ErrorResult, SuccessResult

__all__ = ["DriverServer", "DriverServerFactory"]

#: Seconds the clients have to let their connections close at shutdown.
ABORT_AFTER = 5.0


def _cancelling(result: object, timer: IDelayedCall) -> object:
    if timer.active():
        timer.cancel()
    return result


@attrs.define(eq=False, slots=False)
class DriverServer:
    """
    Everything between the protocol instances and the driver.
    """

    log = Logger()

    config: Config
    driver: BaseDatabaseDriver
    reactor: IReactorTime
    access: AccessPolicy = attrs.field(factory=AccessPolicy, kw_only=True)
    started: float = attrs.field(init=False, factory=time.monotonic)
    connections: set[IConnection] = attrs.field(init=False, factory=set)
    stopping: bool = attrs.field(init=False, default=False)
    queue: RequestQueue[Work] = attrs.field(init=False)
    sessions: Sessions = attrs.field(init=False)
    dispatcher: Dispatcher = attrs.field(init=False)
    gate: Gate = attrs.field(init=False)
    _all_lost: list[Deferred[None]] = attrs.field(init=False, factory=list)

    @queue.default
    def _queue(self) -> RequestQueue[Work]:
        return RequestQueue(self.config.queue_size, self.reactor, self._expired, LANES)

    @gate.default
    def _gate(self) -> Gate:
        return Gate(
            self.config,
            self.access,
            self.queue,
            self.reactor,
            self._submit,
            self.answer,
            lambda: self.stopping,
        )

    @sessions.default
    def _sessions(self) -> Sessions:
        timeout = self.config.transaction_idle_timeout
        return Sessions(self.reactor, self.queue, self.driver, timeout, self.answer)

    @dispatcher.default
    def _dispatcher(self) -> Dispatcher:
        return Dispatcher(self.reactor, self.driver, self.queue, self.sessions, self)

    # -- connections ------------------------------------------------------------

    def connection_made(self, protocol: IConnection) -> None:
        if self.gate.admit(protocol, len(self.connections)):
            self.connections.add(protocol)

    def connection_lost(self, protocol: IConnection) -> None:
        self.connections.discard(protocol)
        if not self.connections:
            waiting, self._all_lost = self._all_lost, []
            for d in waiting:
                d.callback(None)
        dropped = self.queue.discard(protocol) + self.gate.lost(protocol)
        if dropped:
            self.log.info("client gone: {n} queued requests dropped", n=dropped)
        for session_id in self.sessions.owned_by(protocol):
            self.sessions.end(session_id, "its connection closed")

    # -- requests ---------------------------------------------------------------

    def count_rejected(self) -> None:
        self.queue.stats.received += 1
        self.queue.stats.failed += 1

    def submit(self, protocol: IConnection, envelope: Envelope) -> None:
        """
        Answer, queue or hold one request (L{Gate.receive}).
        """
        self.gate.receive(protocol, envelope)

    def _submit(
        self, protocol: IConnection, envelope: Envelope, arrived: float
    ) -> None:
        request = envelope.request
        if self.stopping:
            raise ShuttingDown("the server is shutting down")
        if request.kind == "server":
            value = self._server_method(request)
            self.queue.stats.completed += 1
            protocol.send_result(SuccessResult(envelope.request_id, value))
            return
        if self.config.read_only and request.writes:
            raise ReadOnly(f"{request.method}: the server is read-only")
        if self.config.no_raw_sql and request.raw_sql:
            raise Forbidden(f"{request.method}: raw SQL is disabled (--no-raw-sql)")
        transaction_id, session = self._session_of(protocol, envelope)
        timeout = envelope.timeout or self.config.request_timeout
        work = Work(protocol, envelope, transaction_id, session)
        lane = self.dispatcher.lane_for(request) if session is None else session
        self.gate.check_room(protocol)
        if session is not None:
            self.sessions.enter(session)
        try:
            self.queue.put(
                work,
                priority=envelope.priority,
                deadline=arrived + timeout,
                owner=protocol,
                lane=lane,
            )
        except DriverError:
            if session is not None:
                self.sessions.leave(session)
            raise

    def _session_of(
        self, protocol: IConnection, envelope: Envelope
    ) -> tuple[str | None, str | None]:
        """
        The transaction a request runs in and the session whose lane it
        waits in (a transaction's or a cursor's), checked for ownership.
        """
        request = envelope.request
        transaction_id = envelope.transaction_id
        if isinstance(request, rq.BeginTransactionRequest):
            if transaction_id is not None:
                raise InvalidParams("begin_transaction cannot run inside a transaction")
            return None, None
        if isinstance(
            request, (rq.CommitTransactionRequest, rq.RollbackTransactionRequest)
        ):
            if transaction_id is not None and transaction_id != request.transaction_id:
                raise InvalidParams(
                    "top-level transaction_id differs from params.transaction_id"
                )
            transaction_id = request.transaction_id
        if isinstance(request, (rq.FetchRequest, rq.CloseCursorRequest)):
            cursor = self.sessions.lookup(request.cursor_id, protocol, CURSOR)
            if transaction_id is not None and transaction_id != cursor.parent:
                raise InvalidParams("the cursor was not opened in that transaction")
            return None, cursor.id
        if transaction_id is None:
            return None, None
        self.sessions.lookup(transaction_id, protocol, TRANSACTION)
        return transaction_id, transaction_id

    def _server_method(self, request: rq.BaseRequest) -> object:
        if isinstance(request, rq.PingRequest):
            return "pong"
        if isinstance(request, rq.ServerInfoRequest):
            return {
                "protocol": 1,
                "version": __version__,
                "backend": self.driver.backend,
                "read_only": self.config.read_only,
                "limits": {
                    "max_message_size": self.config.max_message_size,
                    "queue_size": self.config.queue_size,
                    "request_timeout": self.config.request_timeout,
                    "max_rows": self.config.max_rows,
                },
                # extension: the latest definition sync_schema applied
                "schema": self.driver.applied_schema(),
            }
        return self.stats()

    def stats(self) -> dict[str, object]:
        stats = self.queue.stats
        return {
            "queue": self.queue.snapshot(),
            "requests": stats.counters(),
            "latency_ms": stats.percentiles(),
            "connections": len(self.connections),
            "connections_refused": dict(stats.refused),
            "transactions_open": self.sessions.count(TRANSACTION),
            "cursors_open": self.sessions.count(CURSOR),
            "uptime_s": round(time.monotonic() - self.started, 3),
        }

    # -- answers ----------------------------------------------------------------

    def finish_for(self, work: Work) -> Callable[[object], bytes]:
        """
        The encoder a driver applies to a result on its database thread.
        """
        request_id = work.envelope.request_id
        limit = self.config.max_message_size

        def finish(value: object) -> bytes:
            payload = response(request_id, value)
            if len(payload) > limit:
                raise ResultTooLarge(
                    f"the result is {len(payload)} bytes, over --max-message-size "
                    f"{limit}; page with limit/offset",
                    {"size": len(payload), "limit": limit},
                )
            return payload

        return finish

    def answer(self, entry: QueueEntry[Work], result: object) -> None:
        """
        Send the outcome of a queued request (an encoded payload, a value or
        a L{Failure}) and account for it.
        """
        work = entry.item
        if not isinstance(result, Failure):
            payload = (
                result
                if isinstance(result, bytes)
                else response(work.envelope.request_id, result)
            )
            work.protocol.send_payload(payload)
            self.queue.record(entry, True)
            if work.session is not None:
                self.sessions.leave(work.session)
            return
        error = result.value
        if not isinstance(error, DriverError):
            self.log.failure("internal error", result)
            error = InternalError(f"{type(error).__name__}: {error}")
        work.protocol.send_result(ErrorResult(work.envelope.request_id, error))
        self.queue.record(entry, False)
        if entry.state == TAKEN and result.check(RequestTimeout):
            self.queue.stats.timed_out += 1  # timed out while running
        if work.session is not None:
            self.sessions.leave(work.session)
            details = getattr(result.value, "details", None)
            if isinstance(details, dict) and details.get("transaction_ended"):
                if result.check(RequestTimeout):
                    reason = "a request in it timed out"
                elif result.check(ShuttingDown):
                    reason = "the server shut down"
                else:
                    reason = "its database connection was lost"
                self.sessions.end(work.session, reason)

    def _expired(self, entry: QueueEntry[Work]) -> None:
        work = entry.item
        self.answer(entry, Failure(RequestTimeout("the deadline passed while queued")))
        if work.session is not None:
            self.sessions.end(work.session, "a request in it timed out")

    # -- shutdown ---------------------------------------------------------------

    def stop(self) -> Deferred[None]:
        """
        PROTOCOL.md section 7: refuse new requests, let running and queued
        ones finish within the grace period, answer the rest, roll back.
        """
        self.stopping = True
        return self.dispatcher.drain(self.config.shutdown_timeout).addCallback(
            self._stopped
        )

    def _stopped(self, _: object) -> Deferred[None]:
        for entry in self.queue.drain():
            self.answer(entry, Failure(ShuttingDown("the server stopped first")))
        self.gate.shut()
        if self.driver.abort_running():
            self.log.warn("interrupting requests still running at shutdown")
        return self.dispatcher.drain(self.config.shutdown_timeout + 5.0).addCallback(
            self._end_all
        )

    def _end_all(self, _: object) -> Deferred[None]:
        ends = self.sessions.end_all("the server shut down")
        return gatherResults(ends).addCallback(lambda _: self.queue.close())

    def disconnect_all(self) -> Deferred[None]:
        """
        Drop every client connection (shutdown); fires once all are closed.
        """
        d: Deferred[None] = Deferred()
        if not self.connections:
            d.callback(None)
            return d
        self._all_lost.append(d)
        for protocol in list(self.connections):
            protocol.close()
        # A client that reads nothing keeps its connection open: cut it.
        cut = self.reactor.callLater(ABORT_AFTER, self._abort_all)
        return d.addBoth(_cancelling, cut)

    def _abort_all(self) -> None:
        self.log.warn("{n} connections still open: aborting", n=len(self.connections))
        for protocol in list(self.connections):
            transport = getattr(protocol, "transport", None)
            if transport is not None:
                transport.abortConnection()


class DriverServerFactory(ServerFactory):
    """
    Builds a L{DriverServerProtocol} per connection, all serving one server.
    """

    def __init__(self, server: DriverServer) -> None:
        self.server = server

    def buildProtocol(self, addr: IAddress | None) -> DriverServerProtocol:
        server = self.server
        return DriverServerProtocol(
            server, server.reactor, server.config.max_message_size
        )
