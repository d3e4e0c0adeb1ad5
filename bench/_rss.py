"""
Sampling a process's resident memory on the reactor while load runs.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.task import LoopingCall

from ._driver import Subprocess
from ._settings import MEMORY_TARGET_MB


class RssSampler:
    """
    Reads C{VmRSS} of a process every C{interval} seconds between
    L{start} and L{stop}; L{stop} adds the peak the kernel recorded
    (C{VmHWM}, since the process started).
    """

    def __init__(self, reactor: Any, process: Subprocess, interval: float) -> None:
        self.process = process
        self.samples: list[tuple[float, float]] = []
        self._started = 0.0
        self._loop = LoopingCall(self.sample)
        self._loop.clock = reactor
        self._interval = interval

    def sample(self) -> float:
        """Take one sample now; the RSS in MB (0 if the process is gone)."""
        rss = self.process.rss().get("VmRSS", 0.0)
        self.samples.append((round(time.perf_counter() - self._started, 3), rss))
        return rss

    def start(self) -> RssSampler:
        self._started = time.perf_counter()
        self._loop.start(self._interval, now=True)
        return self

    def stop(self) -> dict[str, Any]:
        """Stop sampling; the summary (MB)."""
        if self._loop.running:
            self._loop.stop()
        self.sample()
        return summary(self.samples, self.process.rss().get("VmHWM", 0.0))


def summary(samples: list[tuple[float, float]], hwm: float) -> dict[str, Any]:
    """First/last/max of RSS samples plus the kernel's peak, against the target."""
    values = [rss for _, rss in samples] or [0.0]
    peak = max(max(values), hwm)
    return {
        "rss_first_mb": round(values[0], 1),
        "rss_last_mb": round(values[-1], 1),
        "rss_max_mb": round(max(values), 1),
        "hwm_mb": round(hwm, 1),
        "peak_mb": round(peak, 1),
        "samples": len(samples),
        "target_mb": MEMORY_TARGET_MB,
        "status": "pass" if peak < MEMORY_TARGET_MB else "FAIL",
    }
