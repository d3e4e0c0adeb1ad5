"""
Timing: closed-loop load on the reactor (each lane sends its next request
when the previous one is answered), the same for blocking anchors, latency
percentiles and what one measured side of a workload reports.
"""

from __future__ import annotations

import resource
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ._driver import proc_cpu_seconds

#: One lane of load: given a sequence number, send a request.
Call = Callable[[int], "Deferred[Any]"]


def percentiles(samples: Any) -> dict[str, float]:
    """p50/p95/p99 of latencies in seconds, as milliseconds (nearest rank)."""
    ordered = sorted(samples)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    last = len(ordered) - 1

    def rank(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * 1000.0, 3)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "n": len(ordered)}


@attrs.define
class Side:
    """
    One measured side of a workload (the driver, or its anchor).

    @ivar name: what was measured (C{"dbdriver"}, C{"psycopg3 pipeline"}, ...).
    @ivar throughput: units per second (see the workload's unit).
    @ivar ops: operations timed (requests, batches, files, ...).
    @ivar seconds: wall time of the timed part.
    @ivar latency_ms: p50/p95/p99 of one operation.
    @ivar errors: operations that failed.
    @ivar cpu: CPU use during the timed part, in % of one core, by process.
    @ivar details: anything else worth keeping.
    """

    name: str
    throughput: float
    ops: int
    seconds: float
    latency_ms: dict[str, float]
    errors: int = 0
    first_error: str | None = None
    cpu: dict[str, float] = attrs.Factory(dict)
    details: dict[str, Any] = attrs.Factory(dict)


class Latencies:
    """Latency samples (seconds) and error counts of one measurement."""

    def __init__(self) -> None:
        self.samples = array("d")
        self.errors = 0
        self.first_error: str | None = None

    def error(self, reason: Any) -> None:
        self.errors += 1
        if self.first_error is None:
            if isinstance(reason, Failure):
                reason = reason.value
            self.first_error = f"{type(reason).__name__}: {reason}"


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_meter(pids: dict[str, int]) -> Iterator[dict[str, float]]:
    """
    CPU use of the bench itself and of the processes C{pids} while the block
    runs, filled into the yielded map as % of one core when it ends.
    """
    result: dict[str, float] = {}
    started = time.perf_counter()
    own = _own_cpu()
    before = {name: proc_cpu_seconds(pid) for name, pid in pids.items()}
    yield result
    wall = max(time.perf_counter() - started, 1e-9)
    result["bench"] = round(100.0 * (_own_cpu() - own) / wall, 1)
    for name, pid in pids.items():
        result[name] = round(100.0 * (proc_cpu_seconds(pid) - before[name]) / wall, 1)


def closed_loop(
    lanes: list[Call], seconds: float, latencies: Latencies | None = None
) -> Deferred[tuple[int, float, Latencies]]:
    """
    Keep one request in flight per lane for C{seconds}; fires with
    (completed operations, elapsed seconds, latencies).  A lane that fails
    synchronously stops (no recursion); asynchronous errors are counted and
    the lane goes on.
    """
    recorded = Latencies() if latencies is None else latencies
    finished: Deferred[tuple[int, float, Latencies]] = Deferred()
    clock = time.perf_counter
    started = clock()
    stop_at = started + seconds
    state = {"live": len(lanes), "done": 0, "last": started}
    samples = recorded.samples

    def lane_over() -> None:
        state["live"] -= 1
        if state["live"] == 0:
            elapsed = state["last"] - started
            finished.callback((int(state["done"]), elapsed, recorded))

    def finish(seq: int, sent: float, result: Any) -> int:
        """Account for one answer; the lane's next sequence number, or -1."""
        now = clock()
        state["last"] = now
        if isinstance(result, Failure):
            recorded.error(result)
        else:
            samples.append(now - sent)
            state["done"] += 1
        return seq + len(lanes) if now < stop_at else -1

    def send(lane: int, seq: int) -> None:
        while seq >= 0:
            sent = clock()
            box: list[Any] = []
            waiting = [False]

            def answered(
                result: Any,
                s: int = seq,
                t: float = sent,
                box: list[Any] = box,
                waiting: list[bool] = waiting,
            ) -> None:
                if not waiting[0]:
                    box.append(result)  # answered at once: send() loops on
                    return
                following = finish(s, t, result)
                if following < 0:
                    lane_over()
                else:
                    send(lane, following)

            try:
                d = lanes[lane](seq)
            except Exception as e:
                recorded.error(e)
                break
            d.addBoth(answered)
            waiting[0] = True
            if not box:
                return
            if isinstance(box[0], Failure):  # failed at once: stop this lane
                recorded.error(box[0])
                break
            seq = finish(seq, sent, box[0])
        lane_over()

    if not lanes:
        finished.callback((0, 0.0, recorded))
    for lane in range(len(lanes)):
        send(lane, lane)
    return finished


def blocking_loop(
    operation: Callable[[int], Any], seconds: float, step: int = 1
) -> tuple[int, float, Latencies]:
    """
    Run a blocking C{operation} back to back for C{seconds}; each call
    counts C{step} operations and gives each the call's latency.
    """
    recorded = Latencies()
    clock = time.perf_counter
    started = clock()
    stop_at = started + seconds
    done, seq, now = 0, 0, started
    while now < stop_at:
        sent = clock()
        operation(seq)
        now = clock()
        recorded.samples.extend([now - sent] * step)
        done += step
        seq += step
    return done, now - started, recorded


def side(
    name: str,
    measured: tuple[int, float, Latencies],
    *,
    per_op: float = 1.0,
    cpu: dict[str, float] | None = None,
    **details: Any,
) -> Side:
    """
    A L{Side} from a measurement: throughput is C{ops * per_op / seconds}
    (C{per_op}: units per operation, e.g. rows per batch).
    """
    ops, seconds, recorded = measured
    return Side(
        name=name,
        throughput=ops * per_op / seconds if seconds > 0 else 0.0,
        ops=ops,
        seconds=round(seconds, 4),
        latency_ms=percentiles(recorded.samples),
        errors=recorded.errors,
        first_error=recorded.first_error,
        cpu=cpu if cpu is not None else {},
        details=details,
    )
