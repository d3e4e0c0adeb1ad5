"""
The consumers of the request queue.

Cheap reads are tried on the reactor thread as they arrive (when the
backend allows it) and otherwise move to the read lane of the pool.  Every
other lane has one consumer that takes every ready request it has room for
at once: several reads run per thread hop; writes are group-committed;
transaction control runs at once.  Each open transaction's lane feeds its
pinned connection, one request at a time, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver.drivers.engine.batch import READ, WRITE
from dbdriver.drivers.engine.jobs import Job
from dbdriver.server.interfaces import Work
from dbdriver.server.request_queue import QueueEntry, RequestQueue
from dbdriver.server.sessions import CURSOR, TRANSACTION, Sessions

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from dbdriver.drivers.base import BaseDatabaseDriver
    from dbdriver.server.interfaces import IAnswers

__all__ = ["CONTROL", "HEAVY", "INLINE", "LANES", "WRITES", "Dispatcher"]

INLINE, HEAVY, WRITES, CONTROL = "inline", "heavy", "writes", "control"
LANES = (INLINE, HEAVY, WRITES, CONTROL)
#: The most requests one consumer takes at once, per lane.
BATCH_LIMITS = {HEAVY: 32, WRITES: 256, CONTROL: 64}


def _outcome(job: Job) -> Any:
    return job.result if job.error is None else Failure(job.error)


@attrs.define(eq=False)
class Dispatcher:
    """
    Moves requests from the queue to the driver and their outcomes back to
    the server.

    @ivar room: how many more hops each pool lane may start.
    @ivar running: requests taken and not yet answered.
    """

    log = Logger()

    reactor: IReactorTime
    driver: BaseDatabaseDriver
    queue: RequestQueue[Work]
    sessions: Sessions
    server: IAnswers
    room: dict[str, int] = attrs.field(init=False)
    running: int = attrs.field(init=False, default=0)
    _waiting: dict[str, Deferred[Any]] = attrs.field(init=False, factory=dict)
    _stopped: bool = attrs.field(init=False, default=False)

    @room.default
    def _room(self) -> dict[str, int]:
        return {HEAVY: self.driver.pool_size, WRITES: self.driver.write_concurrency}

    def lane_for(self, request: rq.BaseRequest) -> str:
        """
        The lane a request without a transaction waits in.
        """
        if isinstance(request, (rq.BeginTransactionRequest, rq.OpenCursorRequest)):
            return CONTROL
        if request.reads:
            return INLINE if self.driver.inline_reads else HEAVY
        return WRITES

    # -- the shared lanes -----------------------------------------------------------

    def start(self) -> None:
        if self.driver.inline_reads:
            self.queue.consume_directly(INLINE, self._inline)
        for lane in (HEAVY, WRITES, CONTROL):
            self._pull(lane)

    def _pull(self, lane: str) -> None:
        if self._stopped or lane in self._waiting or self.room.get(lane, 1) <= 0:
            return
        limit = BATCH_LIMITS[lane]
        if lane == HEAVY:
            # Each reader thread takes its share of what waits, so that the
            # others are not left idle while one runs them all in turn.
            share = -(-self.queue.waiting(HEAVY) // self.driver.pool_size)
            limit = max(1, min(limit, share))
        d = self._waiting[lane] = self.queue.get_batch(limit, lane)
        d.addCallbacks(
            self._got, self._cancelled, callbackArgs=(lane,), errbackArgs=(lane,)
        )

    def _got(self, batch: list[QueueEntry[Work]], lane: str) -> None:
        del self._waiting[lane]
        if batch:
            if lane == CONTROL:
                for entry in batch:
                    self.run_one(entry)
            else:
                self._hop(batch, lane)
        self._pull(lane)

    def _cancelled(self, failure: Failure, lane: str) -> None:
        failure.trap(CancelledError)
        self._waiting.pop(lane, None)

    def _job(self, entry: QueueEntry[Work]) -> Job:
        work = entry.item
        return Job(work.envelope.request, entry.deadline, self.server.finish_for(work))

    def _inline(self, entry: QueueEntry[Work]) -> None:
        if self._stopped:
            self.queue.requeue(entry, HEAVY)  # answered at shutdown
            return
        job = self._job(entry)
        if self.driver.run_inline(job):
            self.driver.settle_job(job)
            self.server.answer(entry, _outcome(job))
        else:
            self.queue.requeue(entry, HEAVY)

    def _hop(self, batch: list[QueueEntry[Work]], lane: str) -> None:
        self.room[lane] -= 1
        self.running += len(batch)
        jobs = [self._job(entry) for entry in batch]

        def done(jobs: list[Job]) -> None:
            self.room[lane] += 1
            self.running -= len(batch)
            for entry, job in zip(batch, jobs, strict=True):
                self.server.answer(entry, _outcome(job))
            self._pull(lane)

        self.driver.run_batch(jobs, READ if lane == HEAVY else WRITE).addCallback(done)

    # -- transaction lanes ----------------------------------------------------------

    def serve_lane(self, transaction_id: str) -> None:
        """
        Run a transaction's requests one after the other until it ends.
        """

        def next_request(_: object = None) -> None:
            if self._stopped or transaction_id not in self.sessions:
                return
            d = self.queue.get(transaction_id)
            d.addCallbacks(run, lambda f: f.trap(CancelledError))

        def run(entry: QueueEntry[Work]) -> None:
            self.run_one(entry).addBoth(next_request)

        next_request()

    def run_one(self, entry: QueueEntry[Work]) -> Deferred[None]:
        """
        Run one taken entry (transaction control, or a request inside a
        transaction) and answer it.
        """
        work = entry.item
        request = work.envelope.request
        self.running += 1
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
        elif isinstance(request, rq.OpenCursorRequest):
            d = driver.open_cursor(request, work.transaction_id)
            d.addCallback(self._opened, work)
        elif isinstance(request, rq.FetchRequest):
            d = driver.fetch(
                request.cursor_id,
                request.size,
                deadline=entry.deadline,
                finish=self.server.finish_for(work),
            )
        elif isinstance(request, rq.CloseCursorRequest):
            d = driver.close_cursor(request.cursor_id)
            d.addBoth(self._ended, request.cursor_id)
        else:
            d = driver.run(
                request,
                deadline=entry.deadline,
                finish=self.server.finish_for(work),
                transaction_id=work.transaction_id,
            )
        return d.addBoth(self._done, entry)

    def _begun(self, transaction_id: str, work: Work) -> str:
        if work.protocol.connected_ and not self.server.stopping:
            self._begin_session(transaction_id, work, TRANSACTION)
        else:
            self.driver.rollback_transaction(transaction_id)
        return transaction_id

    def _opened(self, cursor_id: str, work: Work) -> str:
        parent = work.transaction_id
        alive = parent is None or parent in self.sessions
        if work.protocol.connected_ and not self.server.stopping and alive:
            self._begin_session(cursor_id, work, CURSOR, parent)
        else:
            self.driver.close_cursor(cursor_id)
        return cursor_id

    def _begin_session(
        self, session_id: str, work: Work, kind: str, parent: str | None = None
    ) -> None:
        self.sessions.begun(session_id, work.protocol, kind, parent)
        self.serve_lane(session_id)

    def _ended(self, result: Any, session_id: str) -> Any:
        self.sessions.end(session_id, None)
        return result

    def _done(self, result: object, entry: QueueEntry[Work]) -> None:
        self.running -= 1
        self.server.answer(entry, result)

    # -- shutdown -------------------------------------------------------------------

    def drain(self, grace: float) -> Deferred[None]:
        """
        Fire once nothing is queued or running, or after C{grace} seconds;
        then take no more work.
        """
        done: Deferred[None] = Deferred()
        deadline = self.reactor.seconds() + grace

        def check() -> None:
            idle = self.queue.depth == 0 and self.running == 0
            if idle or self.reactor.seconds() >= deadline:
                if not idle:
                    self.log.warn(
                        "shutdown grace over: {queued} queued, {running} running",
                        queued=self.queue.depth,
                        running=self.running,
                    )
                poll.stop()

        poll = LoopingCall(check)
        poll.clock = self.reactor

        def stopped(_: object) -> None:
            self._stopped = True
            for waiting in list(self._waiting.values()):
                waiting.cancel()
            done.callback(None)

        poll.start(0.02, now=True).addCallback(stopped)
        return done
