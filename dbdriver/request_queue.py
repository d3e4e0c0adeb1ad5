"""
The request queue (PROTOCOL.md section 5), built on L{DeferredQueue}.

Requests wait in lanes: the shared lane, ordered by priority (higher first,
FIFO within a priority), feeds the connection pool; each open transaction
has a FIFO lane of its own that feeds its pinned connection.  All lanes
share one capacity (C{--queue-size}) and one set of statistics.

A consumer takes every ready request it has room for at once
(L{RequestQueue.get_batch}), so a later executor can batch reads and
group-commit writes.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import attrs
from twisted.internet.defer import Deferred, DeferredQueue, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from .exceptions import QueueFull

__all__ = ["QueueEntry", "RequestQueue", "RequestStats"]

QUEUED, TAKEN, GONE = "queued", "taken", "gone"


@attrs.define(slots=True, eq=False)
class QueueEntry:
    """
    One request waiting in (or taken from) the queue.

    @ivar item: what the consumer runs (the queue never looks inside).
    @ivar deadline: absolute time (the queue's clock) after which it must
        not start.
    @ivar lane: C{None} for the shared lane, else a transaction's key.
    """

    item: Any
    priority: int
    deadline: float
    owner: Hashable
    lane: Hashable | None = None
    arrived: float = 0.0
    seq: int = 0
    state: str = QUEUED
    expiry: IDelayedCall | None = None


class _PriorityLane(DeferredQueue[QueueEntry]):
    """
    A L{DeferredQueue} whose pending entries form a heap by priority, then
    arrival.  Entries that left the queue early stay in the heap until
    popped (lazy deletion) and are skipped then.
    """

    def put(self, obj: QueueEntry) -> None:
        if self.waiting:
            self.waiting.pop(0).callback(obj)
        else:
            heapq.heappush(self.pending, (-obj.priority, obj.seq, obj))  # type: ignore[misc]

    def _pop(self) -> QueueEntry | None:
        while self.pending:
            entry = heapq.heappop(self.pending)[2]  # type: ignore[index, type-var]
            if entry.state == QUEUED:
                return entry  # type: ignore[no-any-return]
        return None

    def get(self) -> Deferred[QueueEntry]:
        entry = self._pop()
        if entry is not None:
            return succeed(entry)
        return super().get()

    def take(self, limit: int) -> list[QueueEntry]:
        taken: list[QueueEntry] = []
        while len(taken) < limit:
            entry = self._pop()
            if entry is None:
                break
            taken.append(entry)
        return taken


class _FifoLane(DeferredQueue[QueueEntry]):
    """
    A transaction's lane: arrival order, entries that left early skipped.
    """

    def get(self) -> Deferred[QueueEntry]:
        while self.pending:
            entry = self.pending.pop(0)
            if entry.state == QUEUED:
                return succeed(entry)
        return super().get()


@attrs.define
class RequestStats:
    """
    Counters of PROTOCOL.md's C{stats.requests} and a window of recent
    latencies for the percentiles.
    """

    received: int = 0
    completed: int = 0
    failed: int = 0
    rejected_full: int = 0
    timed_out: int = 0
    latencies: deque[float] = attrs.Factory(lambda: deque(maxlen=8192))

    def percentiles(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        if not ordered:
            return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
        last = len(ordered) - 1
        return {
            name: round(ordered[min(last, int(q * len(ordered)))] * 1000.0, 3)
            for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
        }

    def counters(self) -> dict[str, int]:
        return {
            "received": self.received,
            "completed": self.completed,
            "failed": self.failed,
            "rejected_full": self.rejected_full,
            "timed_out": self.timed_out,
        }


class RequestQueue:
    """
    Bounded, prioritised, deadline-aware queue of requests.

    @param on_expired: called with each entry whose deadline passed while it
        waited; the entry never runs.
    """

    log = Logger()

    def __init__(
        self,
        capacity: int,
        clock: IReactorTime,
        on_expired: Callable[[QueueEntry], None],
    ) -> None:
        self.capacity = capacity
        self.clock = clock
        self.stats = RequestStats()
        self.max_depth = 0
        self._on_expired = on_expired
        self._shared = _PriorityLane()
        self._lanes: dict[Hashable, _FifoLane] = {}
        self._queued: dict[Hashable, set[QueueEntry]] = {}
        self._by_priority = [0] * 10
        self._depth = 0
        self._seq = itertools.count()

    # -- producers -----------------------------------------------------------

    def put(
        self,
        item: Any,
        *,
        priority: int,
        deadline: float,
        owner: Hashable,
        lane: Hashable | None = None,
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
        now = self.clock.seconds()
        entry = QueueEntry(item, priority, deadline, owner, lane, now, next(self._seq))
        self._depth += 1
        self._by_priority[priority] += 1
        self.max_depth = max(self.max_depth, self._depth)
        self._queued.setdefault(owner, set()).add(entry)
        entry.expiry = self.clock.callLater(
            max(0.0, deadline - now), self._expire, entry
        )
        target = self._shared if lane is None else self._lanes[lane]
        target.put(entry)
        return entry

    # -- consumers -----------------------------------------------------------

    def get_batch(self, limit: int) -> Deferred[list[QueueEntry]]:
        """
        Every ready entry of the shared lane, highest priority first, up to
        C{limit}; waits for the first one.
        """

        def more(first: QueueEntry) -> list[QueueEntry]:
            batch = [first, *self._shared.take(limit - 1)]
            for entry in batch:
                self._leave(entry, TAKEN)
            return batch

        return self._shared.get().addCallback(more)

    def get(self, lane: Hashable) -> Deferred[QueueEntry]:
        """
        The next entry of a transaction's lane, in arrival order.
        """

        def taken(entry: QueueEntry) -> QueueEntry:
            self._leave(entry, TAKEN)
            return entry

        return self._lanes[lane].get().addCallback(taken)

    def open_lane(self, lane: Hashable) -> None:
        self._lanes[lane] = _FifoLane()

    def close_lane(self, lane: Hashable) -> list[QueueEntry]:
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

    def drain(self) -> list[QueueEntry]:
        """
        Remove and return every waiting entry (shutdown).
        """
        left = [e for entries in self._queued.values() for e in entries]
        for entry in left:
            self._leave(entry, GONE)
        return sorted(left, key=lambda e: e.seq)

    # -- statistics ----------------------------------------------------------

    @property
    def depth(self) -> int:
        return self._depth

    def snapshot(self) -> dict[str, Any]:
        return {
            "depth": self._depth,
            "max_depth": self.max_depth,
            "capacity": self.capacity,
            "by_priority": {p: n for p, n in enumerate(self._by_priority) if n},
        }

    def record(self, entry: QueueEntry, ok: bool) -> None:
        """
        Count an answered entry and its latency (arrival to answer).
        """
        if ok:
            self.stats.completed += 1
        else:
            self.stats.failed += 1
        self.stats.latencies.append(self.clock.seconds() - entry.arrived)

    # -- internals -----------------------------------------------------------

    def _leave(self, entry: QueueEntry, state: str) -> None:
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
        if entry.expiry is not None and entry.expiry.active():
            entry.expiry.cancel()
        entry.expiry = None

    def _expire(self, entry: QueueEntry) -> None:
        entry.expiry = None
        if entry.state != QUEUED:
            return
        self._leave(entry, GONE)
        self.stats.timed_out += 1
        self._on_expired(entry)
