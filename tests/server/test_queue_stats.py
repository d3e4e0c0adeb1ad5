"""
L{dbdriver.server.queue_stats}: the counters of C{stats.requests}, the
connections refused by reason, and the latency percentiles.
"""

from __future__ import annotations

from dbdriver.server.queue_stats import RequestStats


def test_counters_and_refusals() -> None:
    stats = RequestStats()
    stats.received, stats.failed, stats.rejected_full = 3, 2, 1
    stats.refuse("busy")
    stats.refuse("busy")
    stats.refuse("unauthenticated")
    assert stats.counters() == {
        "received": 3,
        "completed": 0,
        "failed": 2,
        "rejected_full": 1,
        "timed_out": 0,
    }
    assert stats.refused == {"busy": 2, "unauthenticated": 1}


def test_percentiles() -> None:
    stats = RequestStats()
    assert stats.percentiles() == {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    stats.latencies.extend(i / 1000 for i in range(1, 101))
    assert stats.percentiles() == {"p50": 51.0, "p95": 96.0, "p99": 100.0}
