"""
The request queue (PROTOCOL.md section 5), built on L{DeferredQueue}.

Requests wait in lanes.  Named lanes are ordered by priority (higher first,
FIFO within a priority): the server uses one for cheap reads, one for reads
that need a database thread, one for writes and one for transaction
control.  Each open transaction has a FIFO lane of its own that feeds its
pinned connection.  All lanes share one capacity (C{--queue-size}) and one
set of statistics.

A consumer takes every ready request it has room for at once
(L{RequestQueue.get_batch}): reads run several per thread hop, writes are
group-committed.  Deadlines are checked when an entry is taken and by a
sweep every L{SWEEP_INTERVAL} seconds while anything waits, so the hot path
schedules no timer per request.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import attrs
from twisted.internet.defer import Deferred, DeferredQueue, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from dbdriver.exceptions import QueueFull
from dbdriver.server.queue_stats import RequestStats

__all__ = ["SHARED", "SWEEP_INTERVAL", "QueueEntry", "RequestQueue", "RequestStats"]

QUEUED, TAKEN, GONE = "queued", "taken", "gone"
SHARED = "shared"
SWEEP_INTERVAL = 0.05


#: What the consumer runs (the server queues its C{Work}).
T = TypeVar("T")


@attrs.define(eq=False)
class QueueEntry(Generic[T]):
    """
    One request waiting in (or taken from) the queue (slotted: one per
    request, on the hot path).

    @ivar item: what the consumer runs (the queue never looks inside).
    @ivar deadline: absolute time (the queue's clock) after which it must
        not start.
    @ivar lane: the lane's name, or a transaction's key.
    @ivar state: C{QUEUED}, C{TAKEN} or C{GONE}.
    """

    item: T
    priority: int
    deadline: float
    owner: Hashable
    lane: Hashable
    arrived: float
    seq: int
    state: str = attrs.field(init=False, default=QUEUED)

    def __lt__(self, other: QueueEntry[T]) -> bool:
        return (-self.priority, self.seq) < (-other.priority, other.seq)


class _PriorityLane(DeferredQueue[QueueEntry[T]]):
    """
    A L{DeferredQueue} whose pending entries form a heap by priority, then
    arrival.  Entries that left the queue early stay in the heap until
    popped (lazy deletion) and are skipped then.
    """

    def put(self, obj: QueueEntry[T]) -> None:
        if self.waiting:
            self.waiting.pop(0).callback(obj)
        else:
            heapq.heappush(self.pending, obj)

    def _pop(self) -> QueueEntry[T] | None:
        while self.pending:
            entry = heapq.heappop(self.pending)
            if entry.state == QUEUED:
                return entry
        return None

    def get(self) -> Deferred[QueueEntry[T]]:
        entry = self._pop()
        if entry is not None:
            return succeed(entry)
        return super().get()

    def take(self, limit: int) -> list[QueueEntry[T]]:
        taken: list[QueueEntry[T]] = []
        while len(taken) < limit:
            entry = self._pop()
            if entry is None:
                break
            taken.append(entry)
        return taken


class _FifoLane(DeferredQueue[QueueEntry[T]]):
    """
    A transaction's lane: arrival order, entries that left early skipped.
    """

    def get(self) -> Deferred[QueueEntry[T]]:
        while self.pending:
            entry = self.pending.pop(0)
            if entry.state == QUEUED:
                return succeed(entry)
        return super().get()


class RequestQueue(Generic[T]):
    """
    Bounded, prioritised, deadline-aware queue of requests.

    @param lanes: the names of the priority lanes.
    @param on_expired: called with each entry whose deadline passed while it
        waited; the entry never runs.
    """

    log = Logger()

    def __init__(
        self,
        capacity: int,
        clock: IReactorTime,
        on_expired: Callable[[QueueEntry[T]], None],
        lanes: tuple[str, ...] = (SHARED,),
    ) -> None:
        self.capacity = capacity
        self.clock = clock
        self.stats = RequestStats()
        self.max_depth = 0
        self._on_expired = on_expired
        self._priority: dict[Hashable, _PriorityLane] = {
            n: _PriorityLane() for n in lanes
        }
        self._lanes: dict[Hashable, _FifoLane] = {}
        self._queued: dict[Hashable, set[QueueEntry[T]]] = {}
        self._by_priority = [0] * 10
        self._depth = 0
        self._seq = itertools.count()
        self._sweep: IDelayedCall | None = None
        self._direct: dict[Hashable, Callable[[QueueEntry[T]], None]] = {}

    # -- producers -----------------------------------------------------------

    def put(
        self,
        item: T,
        *,
        priority: int,
        deadline: float,
        owner: Hashable,
        lane: Hashable = SHARED,
    ) -> QueueEntry:
        """
        Queue C{item}; raise L{QueueFull} at once when at capacity.
        """
        if self._depth >= self.capacity:
            self.stats.rejected_full += 1
            self.log.warn("queue full: {depth}", depth=self._depth)
            raise QueueFull(
                f"the request queue is full ({self.capacity} requests waiting)",
                {"capacity": self.capacity},
            )
        entry = QueueEntry(
            item, priority, deadline, owner, lane, self.clock.seconds(), next(self._seq)
        )
        direct = self._direct.get(lane)
        if direct is not None:
            entry.state = TAKEN
            direct(entry)
        else:
            self._enter(entry)
        return entry

    def consume_directly(
        self, lane: Hashable, consumer: Callable[[QueueEntry[T]], None]
    ) -> None:
        """
        Hand every entry put into C{lane} to C{consumer} at once, without
        waiting (for work that never waits, like reads answered on the
        spot); such entries are never counted as queued.
        """
        self._direct[lane] = consumer

    def requeue(self, entry: QueueEntry[T], lane: Hashable) -> None:
        """
        Put a taken entry back, into another priority lane, keeping its
        place (arrival, priority, deadline); never refused.
        """
        entry.lane = lane
        entry.state = QUEUED
        self._enter(entry)

    def _enter(self, entry: QueueEntry[T]) -> None:
        self._depth += 1
        self._by_priority[entry.priority] += 1
        if self._depth > self.max_depth:
            self.max_depth = self._depth
        owned = self._queued.get(entry.owner)
        if owned is None:
            owned = self._queued[entry.owner] = set()
        owned.add(entry)
        if self._sweep is None:
            self._sweep = self.clock.callLater(SWEEP_INTERVAL, self._expire_due)
        target = self._priority.get(entry.lane)
        (target if target is not None else self._lanes[entry.lane]).put(entry)

    # -- consumers -----------------------------------------------------------

    def get_batch(
        self, limit: int, lane: Hashable = SHARED
    ) -> Deferred[list[QueueEntry[T]]]:
        """
        Every ready entry of a priority lane, highest priority first, up to
        C{limit}; waits for the first one.  Entries found past their
        deadline are answered as expired instead.
        """
        source = self._priority[lane]

        def more(first: QueueEntry[T]) -> list[QueueEntry[T]]:
            batch = [first, *source.take(limit - 1)]
            now = self.clock.seconds()
            for entry in batch:
                self._leave(entry, TAKEN)
            live = [e for e in batch if e.deadline > now]
            if len(live) < len(batch):
                for entry in batch:
                    if entry.deadline <= now:
                        self._expired(entry)
            return live

        return source.get().addCallback(more)

    def waiting(self, lane: Hashable = SHARED) -> int:
        """
        About how many entries wait in a priority lane (entries that left it
        early are counted until they are skipped).
        """
        return len(self._priority[lane].pending)

    def get(self, lane: Hashable) -> Deferred[QueueEntry[T]]:
        """
        The next entry of a transaction's lane, in arrival order.
        """

        def taken(entry: QueueEntry[T]) -> QueueEntry[T]:
            self._leave(entry, TAKEN)
            return entry

        return self._lanes[lane].get().addCallback(taken)

    def open_lane(self, lane: Hashable) -> None:
        self._lanes[lane] = _FifoLane()

    def close_lane(self, lane: Hashable) -> list[QueueEntry[T]]:
        """
        Remove a transaction's lane; return the entries still waiting in it
        (the caller answers them) and stop the lane's waiting consumer.
        """
        fifo = self._lanes.pop(lane, None)
        if fifo is None:
            return []
        left = [e for e in fifo.pending if e.state == QUEUED]
        for entry in left:
            self._leave(entry, GONE)
        for waiting in fifo.waiting[:]:
            waiting.cancel()
        return left

    def discard(self, owner: Hashable) -> int:
        """
        Drop every waiting entry of an owner that went away; nobody is left
        to answer.
        """
        entries = list(self._queued.get(owner, ()))
        for entry in entries:
            self._leave(entry, GONE)
        return len(entries)

    def queued_by(self, owner: Hashable) -> int:
        """
        How many entries of C{owner} wait (C{--connection-queue}).
        """
        return len(self._queued.get(owner, ()))

    def withdraw(self, owner: Hashable) -> list[QueueEntry[T]]:
        """
        Take back the entries of C{owner} that wait in the priority lanes,
        in arrival order (the server holds them while that connection does
        not read its answers); L{requeue} puts each back.
        """
        entries = [e for e in self._queued.get(owner, ()) if e.lane in self._priority]
        for entry in entries:
            self._leave(entry, GONE)
        return sorted(entries, key=lambda e: e.seq)

    def drain(self) -> list[QueueEntry[T]]:
        """
        Remove and return every waiting entry (shutdown).
        """
        left = [e for entries in self._queued.values() for e in entries]
        for entry in left:
            self._leave(entry, GONE)
        return sorted(left, key=lambda e: e.seq)

    def close(self) -> None:
        """
        Stop the expiry timer (shutdown, once nothing waits any more).
        """
        sweep, self._sweep = self._sweep, None
        if sweep is not None and sweep.active():
            sweep.cancel()

    # -- statistics ----------------------------------------------------------

    @property
    def depth(self) -> int:
        return self._depth

    def snapshot(self) -> dict[str, int | dict[int, int]]:
        return {
            "depth": self._depth,
            "max_depth": self.max_depth,
            "capacity": self.capacity,
            "by_priority": {p: n for p, n in enumerate(self._by_priority) if n},
        }

    def record(self, entry: QueueEntry[T], ok: bool) -> None:
        """
        Count an answered entry and its latency (arrival to answer).
        """
        if ok:
            self.stats.completed += 1
        else:
            self.stats.failed += 1
        self.stats.latencies.append(self.clock.seconds() - entry.arrived)

    # -- internals -----------------------------------------------------------

    def _leave(self, entry: QueueEntry[T], state: str) -> None:
        if entry.state != QUEUED:
            return
        entry.state = state
        self._depth -= 1
        self._by_priority[entry.priority] -= 1
        owned = self._queued.get(entry.owner)
        if owned is not None:
            owned.discard(entry)
            if not owned:
                del self._queued[entry.owner]

    def _expire_due(self) -> None:
        self._sweep = None
        now = self.clock.seconds()
        due = [
            e for entries in self._queued.values() for e in entries if e.deadline <= now
        ]
        for entry in sorted(due, key=lambda e: e.seq):
            self._leave(entry, GONE)
            self._expired(entry)
        if self._depth and self._sweep is None:
            self._sweep = self.clock.callLater(SWEEP_INTERVAL, self._expire_due)

    def _expired(self, entry: QueueEntry[T]) -> None:
        self.stats.timed_out += 1
        self._on_expired(entry)
