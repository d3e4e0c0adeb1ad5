"""
The request queue on its own, with a fake clock: priorities, FIFO within a
priority, capacity, deadlines, lanes, owners and statistics.
"""

from __future__ import annotations

import pytest
from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock

from dbdriver.exceptions import QueueFull
from dbdriver.server.request_queue import RequestQueue


def make(capacity: int = 100) -> tuple[RequestQueue, Clock, list]:
    clock = Clock()
    expired: list = []
    return RequestQueue(capacity, clock, expired.append), clock, expired


def put(
    queue: RequestQueue,
    item: object,
    priority: int = 5,
    deadline: float = 30.0,
    owner: object = "a",
    lane: object = "shared",
):
    return queue.put(item, priority=priority, deadline=deadline, owner=owner, lane=lane)


def taken(queue: RequestQueue, limit: int = 100) -> list:
    batches: list = []
    queue.get_batch(limit).addCallback(batches.append)
    assert batches, "get_batch did not fire"
    return [e.item for e in batches[0]]


def test_priority_order_then_arrival_order() -> None:
    queue, _, _ = make()
    for item, priority in [("a", 5), ("b", 9), ("c", 5), ("d", 0), ("e", 9)]:
        put(queue, item, priority)
    assert taken(queue) == ["b", "e", "a", "c", "d"]
    assert queue.depth == 0


def test_batch_takes_at_most_the_limit() -> None:
    queue, _, _ = make()
    for i in range(5):
        put(queue, i)
    assert taken(queue, 2) == [0, 1]
    assert queue.depth == 3
    assert taken(queue, 10) == [2, 3, 4]


def test_waiting_consumer_gets_the_next_put() -> None:
    queue, _, _ = make()
    got: list = []
    queue.get_batch(10).addCallback(got.append)
    assert got == []
    put(queue, "x")
    assert [e.item for e in got[0]] == ["x"]
    assert queue.depth == 0


def test_full_queue_refuses_at_once() -> None:
    queue, _, _ = make(capacity=2)
    put(queue, 1)
    put(queue, 2)
    with pytest.raises(QueueFull) as raised:
        put(queue, 3)
    assert raised.value.code == "queue_full"
    assert raised.value.details == {"capacity": 2}
    assert queue.stats.rejected_full == 1
    taken(queue, 1)
    put(queue, 3)  # room again
    assert queue.depth == 2


def test_deadline_in_queue_expires_without_running() -> None:
    queue, clock, expired = make()
    put(queue, "slow", deadline=1.0)
    put(queue, "patient", deadline=10.0)
    clock.advance(1.5)
    assert [e.item for e in expired] == ["slow"]
    assert queue.stats.timed_out == 1
    assert queue.depth == 1
    assert taken(queue) == ["patient"]


def test_taken_entry_does_not_expire() -> None:
    queue, clock, expired = make()
    put(queue, "x", deadline=1.0)
    taken(queue)
    clock.advance(5)
    assert expired == []


def test_discard_owner_drops_only_its_entries() -> None:
    queue, clock, expired = make()
    put(queue, "a1", owner="a")
    put(queue, "b1", owner="b")
    put(queue, "a2", owner="a", priority=9)
    assert queue.discard("a") == 2
    assert queue.depth == 1
    assert taken(queue) == ["b1"]
    clock.advance(100)
    assert expired == []  # dropped entries never answer


def test_lanes_are_fifo_and_share_the_capacity() -> None:
    queue, _, _ = make(capacity=3)
    queue.open_lane("t1")
    put(queue, "first", priority=0, lane="t1")
    put(queue, "second", priority=9, lane="t1")
    put(queue, "shared")
    with pytest.raises(QueueFull):
        put(queue, "more", lane="t1")
    got: list = []
    queue.get("t1").addCallback(lambda e: got.append(e.item))
    queue.get("t1").addCallback(lambda e: got.append(e.item))
    assert got == ["first", "second"]
    assert taken(queue) == ["shared"]


def test_close_lane_returns_waiting_entries_and_cancels_consumer() -> None:
    queue, _, _ = make()
    queue.open_lane("t1")
    put(queue, "a", lane="t1")
    put(queue, "b", lane="t1")
    assert [e.item for e in queue.close_lane("t1")] == ["a", "b"]
    assert queue.depth == 0
    queue.open_lane("t2")
    waiting = queue.get("t2")
    assert queue.close_lane("t2") == []
    failures: list = []
    waiting.addErrback(failures.append)
    assert failures and failures[0].check(CancelledError)
    assert queue.close_lane("never") == []


def test_expired_lane_entry_is_skipped_by_consumer() -> None:
    queue, clock, expired = make()
    queue.open_lane("t")
    put(queue, "old", lane="t", deadline=1.0)
    put(queue, "new", lane="t", deadline=50.0)
    clock.advance(2)
    got: list = []
    queue.get("t").addCallback(lambda e: got.append(e.item))
    assert got == ["new"]
    assert [e.item for e in expired] == ["old"]


def test_drain_returns_everything_in_arrival_order() -> None:
    queue, _, _ = make()
    queue.open_lane("t")
    put(queue, 1, priority=1)
    put(queue, 2, lane="t")
    put(queue, 3, priority=9)
    assert [e.item for e in queue.drain()] == [1, 2, 3]
    assert queue.depth == 0
    assert queue.snapshot()["by_priority"] == {}


def test_snapshot_and_statistics() -> None:
    queue, clock, _ = make(capacity=7)
    put(queue, "a", priority=1)
    put(queue, "b", priority=1)
    put(queue, "c", priority=8)
    assert queue.snapshot() == {
        "depth": 3,
        "max_depth": 3,
        "capacity": 7,
        "by_priority": {1: 2, 8: 1},
    }
    assert queue.stats.percentiles() == {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    entries: list = []
    queue.get_batch(3).addCallback(entries.extend)
    for i, entry in enumerate(entries):
        clock.advance(0.01 * (i + 1))
        queue.record(entry, ok=i != 2)
    assert queue.stats.counters() == {
        "received": 0,
        "completed": 2,
        "failed": 1,
        "rejected_full": 0,
        "timed_out": 0,
    }
    p = queue.stats.percentiles()
    assert 0 < p["p50"] <= p["p95"] <= p["p99"]
    assert p["p99"] == pytest.approx(60.0)
    assert queue.snapshot()["max_depth"] == 3


def test_an_owners_entries_are_counted_withdrawn_and_put_back() -> None:
    queue, _, _ = make()
    queue.open_lane("tx")
    for item in ("a1", "a2"):
        put(queue, item, owner="a")
    put(queue, "in-tx", owner="a", lane="tx")
    put(queue, "b1", owner="b")
    assert (queue.queued_by("a"), queue.queued_by("b"), queue.queued_by("c")) == (
        3,
        1,
        0,
    )
    back = queue.withdraw("a")  # a transaction's lane keeps its entries
    assert [e.item for e in back] == ["a1", "a2"]
    assert (queue.queued_by("a"), queue.depth) == (1, 2)
    assert taken(queue) == ["b1"]
    for entry in back:
        queue.requeue(entry, entry.lane)
    assert taken(queue) == ["a1", "a2"]
