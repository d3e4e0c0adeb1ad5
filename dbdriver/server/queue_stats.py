"""
The request queue's statistics: the counters of PROTOCOL.md's
C{stats.requests}, the connections refused by the access and limit checks
(section 9), and a window of recent latencies for the percentiles.
"""

from __future__ import annotations

from collections import deque

import attrs

__all__ = ["RequestStats"]


@attrs.define
class RequestStats:
    """
    Counters of PROTOCOL.md's C{stats.requests}, the connections refused
    (by reason: C{busy} over C{--max-connections}, C{unauthenticated}) and a
    window of recent latencies for the percentiles.
    """

    received: int = 0
    completed: int = 0
    failed: int = 0
    rejected_full: int = 0
    timed_out: int = 0
    refused: dict[str, int] = attrs.Factory(dict)
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

    def refuse(self, reason: str) -> None:
        """
        Count a connection refused for C{reason} (an error code).
        """
        self.refused[reason] = self.refused.get(reason, 0) + 1
