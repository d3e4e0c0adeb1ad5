"""
What one run measures and how big: the sizes of the default run, of the
C{--quick} CI smoke run, and the targets of issue 3.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

#: Workloads in run order, with their title and the issue's target ratio.
WORKLOADS: dict[str, tuple[str, float]] = {
    "W1": ("point select, 1 client, 1 in flight", 1.0),
    "W2": ("point select, 1 client, 64 in flight", 2.0),
    "W3": ("insert, 8 clients, durable ack (default)", 3.0),
    "W4": ("insert_many, batches of 1000", 0.35),
    "W5": ("select 10 000 rows as maps", 0.3),
    "W6": ("index a source tree + lookups", 0.5),
    "W7": ("ping, 1 client, 1 in flight", 0.8),
}

#: Extra sections C{--only} accepts besides the workload ids.
SECTIONS = ("sweep", "mem")

#: Requests in flight of the throughput sweep of W2 and W3.
IN_FLIGHT = (1, 4, 16, 64, 256)

#: The PostgreSQL of the anchors (override with C{--pg} or C{DBDRIVER_BENCH_PG}).
DEFAULT_PG = os.environ.get(
    "DBDRIVER_BENCH_PG", "host=/var/run/postgresql dbname=test user=root"
)

#: Memory target of issue 3, per case.
MEMORY_TARGET_MB = 150.0


@attrs.frozen
class Settings:
    """
    Sizes and durations of one run.

    @ivar seconds: length of one throughput measurement.
    @ivar sweep_seconds: length of one point of the in-flight sweep.
    @ivar warmup: seconds of untimed load before each measurement.
    @ivar rows: rows of the point-select table (W1, W2, W5 use it).
    @ivar bulk_rows: rows W4 writes.
    @ivar index_files: files of the Twisted tree W6 indexes (C{None}: all).
    @ivar lookups: lookups of W6 after indexing.
    @ivar queued: requests fired at once for the queued-memory case.
    @ivar paging_rows: rows of the table paged through for memory.
    @ivar page_size: rows per page of that paging.
    @ivar soak: seconds of the W2+W3 soak (0: skipped).
    @ivar soak_interval: seconds between RSS samples of the soak.
    """

    quick: bool
    seconds: float
    sweep_seconds: float
    warmup: float
    rows: int
    bulk_rows: int
    index_files: int | None
    lookups: int
    queued: int
    paging_rows: int
    page_size: int
    soak: float
    soak_interval: float
    only: frozenset[str]
    out: Path
    pg: str

    def wants(self, section: str) -> bool:
        """Whether C{--only} selects a workload id or section."""
        return not self.only or section.lower() in self.only


def make_settings(
    *,
    quick: bool,
    seconds: float | None,
    soak: float | None,
    only: str | None,
    out: Path,
    pg: str,
) -> Settings:
    """
    The settings of a run from the command line: C{--quick} shrinks every
    size; C{--seconds} and C{--soak} override the durations.
    """
    chosen = frozenset(s.strip().lower() for s in (only or "").split(",") if s.strip())
    known = {w.lower() for w in WORKLOADS} | set(SECTIONS)
    unknown = sorted(chosen - known)
    if unknown:
        raise SystemExit(
            f"--only: unknown {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    if soak is None and chosen and "mem" not in chosen:
        soak = 0.0  # --only without mem: no soak unless --soak asks for it
    if quick:
        measure = 0.4 if seconds is None else seconds
        soak_s = 4.0 if soak is None else soak
        return Settings(
            quick=True,
            seconds=measure,
            sweep_seconds=min(measure, 0.25),
            warmup=0.1,
            rows=2000,
            bulk_rows=5000,
            index_files=30,
            lookups=40,
            queued=2000,
            paging_rows=20000,
            page_size=2000,
            soak=soak_s,
            soak_interval=0.5,
            only=chosen,
            out=out,
            pg=pg,
        )
    measure = 5.0 if seconds is None else seconds
    soak_s = 0.0 if soak is None else soak
    return Settings(
        quick=False,
        seconds=measure,
        sweep_seconds=max(0.5, measure * 0.4),
        warmup=min(1.0, measure * 0.2),
        rows=10000,
        bulk_rows=100000,
        index_files=None,
        lookups=400,
        queued=10000,
        paging_rows=1000000,
        page_size=10000,
        soak=soak_s,
        soak_interval=5.0 if soak_s >= 120 else max(0.5, soak_s / 24),
        only=chosen,
        out=out,
        pg=pg,
    )
