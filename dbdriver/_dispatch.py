"""
The consumers of the request queue.

The shared lane feeds the driver's pool: the dispatcher takes as many ready
requests as the pool has free threads, all at once.  Each open transaction's
lane feeds its pinned connection, one request at a time, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from . import requests as rq
from .request_queue import QueueEntry

if TYPE_CHECKING:
    from .rpc_server import DriverServer, Work

__all__ = ["Dispatcher"]


class Dispatcher:
    """
    Moves requests from the queue to the driver and their outcomes back to
    the server.
    """

    log = Logger()

    def __init__(self, server: DriverServer) -> None:
        self.server = server
        self.driver = server.driver
        self.queue = server.queue
        self.concurrency = self.driver.pool_size
        self.in_flight = 0
        self.running = 0
        self._waiting: Deferred[Any] | None = None
        self._stopped = False

    # -- the shared lane ----------------------------------------------------------

    def start(self) -> None:
        self._pull()

    def _pull(self) -> None:
        if self._stopped or self._waiting is not None:
            return
        room = self.concurrency - self.in_flight
        if room <= 0:
            return
        d = self._waiting = self.queue.get_batch(room)
        d.addCallbacks(self._got, self._cancelled)

    def _got(self, batch: list[QueueEntry]) -> None:
        self._waiting = None
        for entry in batch:
            self.run(entry, holds_slot=True)
        self._pull()

    def _cancelled(self, failure: Failure) -> None:
        failure.trap(CancelledError)
        self._waiting = None

    # -- transaction lanes ----------------------------------------------------------

    def serve_lane(self, transaction_id: str) -> None:
        """
        Run a transaction's requests one after the other until it ends.
        """

        def next_request(_: Any = None) -> None:
            if self._stopped or transaction_id not in self.server.transactions:
                return
            d = self.queue.get(transaction_id)
            d.addCallbacks(run, lambda f: f.trap(CancelledError))

        def run(entry: QueueEntry) -> None:
            self.run(entry, holds_slot=False).addBoth(next_request)

        next_request()

    # -- running ------------------------------------------------------------------

    def run(self, entry: QueueEntry, holds_slot: bool) -> Deferred[None]:
        """
        Run one taken entry and answer it.
        """
        work: Work = entry.item
        request = work.envelope.request
        self.running += 1
        if holds_slot and not isinstance(request, rq.BeginTransactionRequest):
            self.in_flight += 1
        else:
            holds_slot = False
        driver = self.driver
        d: Deferred[Any]
        if isinstance(request, rq.BeginTransactionRequest):
            d = driver.begin_transaction().addCallback(self._begun, work)
        elif isinstance(request, rq.CommitTransactionRequest):
            d = driver.commit_transaction(request.transaction_id)
            d.addBoth(self._ended, request.transaction_id)
        elif isinstance(request, rq.RollbackTransactionRequest):
            d = driver.rollback_transaction(request.transaction_id)
            d.addBoth(self._ended, request.transaction_id)
        else:
            d = driver.run(
                request,
                deadline=entry.deadline,
                finish=self.server.finish_for(work),
                transaction_id=work.transaction_id,
            )
        return d.addBoth(self._done, entry, holds_slot)

    def _begun(self, transaction_id: str, work: Work) -> str:
        if work.protocol.connected_ and not self.server.stopping:
            self.server.transaction_begun(transaction_id, work.protocol)
        else:
            self.driver.rollback_transaction(transaction_id)
        return transaction_id

    def _ended(self, result: Any, transaction_id: str) -> Any:
        self.server.end_transaction(transaction_id, None)
        return result

    def _done(self, result: Any, entry: QueueEntry, holds_slot: bool) -> None:
        self.running -= 1
        if holds_slot:
            self.in_flight -= 1
        self.server.answer(entry, result)
        self._pull()

    # -- shutdown -------------------------------------------------------------------

    def drain(self, grace: float) -> Deferred[None]:
        """
        Fire once nothing is queued or running, or after C{grace} seconds;
        then take no more work.
        """
        done: Deferred[None] = Deferred()
        deadline = self.server.reactor.seconds() + grace

        def check() -> None:
            idle = self.queue.depth == 0 and self.running == 0
            if idle or self.server.reactor.seconds() >= deadline:
                if not idle:
                    self.log.warn(
                        "shutdown grace over: {queued} queued, {running} running",
                        queued=self.queue.depth,
                        running=self.running,
                    )
                poll.stop()

        poll = LoopingCall(check)
        poll.clock = self.server.reactor

        def stopped(_: Any) -> None:
            self._stopped = True
            if self._waiting is not None:
                self._waiting.cancel()
            done.callback(None)

        poll.start(0.02, now=True).addCallback(stopped)
        return done
