"""
The PostgreSQL anchors of W1-W3, through psycopg 3 over PostgreSQL's Unix
socket.  Everything here blocks; the bench calls it between driver
measurements, never during one.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ._data import EVENT_PAYLOAD, PG_EVENTS, PG_ITEMS, item_rows
from ._measure import Latencies, blocking_loop

_SELECT = "SELECT id, name, value, payload FROM dbdriver_bench_items WHERE id = %s"
_INSERT = "INSERT INTO dbdriver_bench_events (client, seq, payload) VALUES (%s, %s, %s)"


class PostgresAnchor:
    """
    A reachable PostgreSQL with the bench's tables.

    @ivar info: server version and durability settings.
    """

    def __init__(self, conninfo: str, psycopg: Any) -> None:
        self.conninfo = conninfo
        self.psycopg = psycopg
        from psycopg.rows import dict_row

        self.dict_row = dict_row
        self.conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        settings = {
            name: self.conn.execute(f"SHOW {name}").fetchone()[0]
            for name in (
                "server_version",
                "fsync",
                "synchronous_commit",
                "max_connections",
            )
        }
        self.info: dict[str, Any] = {**settings, "psycopg": psycopg.__version__}

    @classmethod
    def open(cls, conninfo: str) -> tuple[PostgresAnchor | None, str | None]:
        """The anchor, or C{None} and why it cannot run (never raises)."""
        try:
            import psycopg
        except ImportError as e:
            return None, f"psycopg is not installed ({e})"
        try:
            return cls(conninfo, psycopg), None
        except Exception as e:
            why = " ".join(str(e).split())
            return None, f"PostgreSQL unreachable at {conninfo!r}: {why}"

    @property
    def durable(self) -> bool:
        """Whether a commit is fsynced (C{fsync} and C{synchronous_commit} on)."""
        return self.info["fsync"] == "on" and self.info["synchronous_commit"] != "off"

    def connect(self) -> Any:
        """Another autocommit connection whose rows are dicts."""
        return self.psycopg.connect(
            self.conninfo, autocommit=True, row_factory=self.dict_row
        )

    def setup_items(self, count: int) -> None:
        """C{dbdriver_bench_items} with the same rows as the driver's C{items}."""
        self.conn.execute("DROP TABLE IF EXISTS dbdriver_bench_items")
        self.conn.execute(PG_ITEMS)
        with (
            self.conn.cursor() as cur,
            cur.copy(
                "COPY dbdriver_bench_items (id, name, value, payload) FROM STDIN"
            ) as copy,
        ):
            for row in item_rows(count):
                copy.write_row((row["id"], row["name"], row["value"], row["payload"]))
        self.conn.execute("ANALYZE dbdriver_bench_items")

    def setup_events(self) -> None:
        """An empty C{dbdriver_bench_events}."""
        self.conn.execute("DROP TABLE IF EXISTS dbdriver_bench_events")
        self.conn.execute(PG_EVENTS)

    def cleanup(self) -> None:
        """Drop the bench's tables and close."""
        try:
            for table in ("dbdriver_bench_items", "dbdriver_bench_events"):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        finally:
            self.conn.close()

    # -- W1 ---------------------------------------------------------------------

    def point_selects(
        self, ids: list[int], seconds: float, warmup: float
    ) -> tuple[int, float, Latencies]:
        """One connection, one select by primary key at a time (prepared)."""
        with self.connect() as conn, conn.cursor() as cur:
            n = len(ids)

            def one(seq: int) -> None:
                cur.execute(_SELECT, (ids[seq % n],))
                cur.fetchall()

            blocking_loop(one, warmup)
            return blocking_loop(one, seconds)

    # -- W2 ---------------------------------------------------------------------

    def pipelined_selects(
        self, ids: list[int], seconds: float, warmup: float, in_flight: int
    ) -> tuple[int, float, Latencies]:
        """
        Pipeline mode: queue C{in_flight} selects, sync, fetch them all;
        each gets the latency of its batch.
        """
        with self.connect() as conn:
            cursors = [conn.cursor() for _ in range(in_flight)]
            n = len(ids)
            with conn.pipeline() as pipeline:

                def batch(seq: int) -> None:
                    for k, cur in enumerate(cursors):
                        cur.execute(_SELECT, (ids[(seq + k) % n],), prepare=True)
                    pipeline.sync()
                    for cur in cursors:
                        cur.fetchall()

                blocking_loop(batch, warmup, step=in_flight)
                return blocking_loop(batch, seconds, step=in_flight)

    # -- W3 ---------------------------------------------------------------------

    def concurrent_inserts(
        self, connections: int, seconds: float, warmup: float
    ) -> tuple[int, float, Latencies]:
        """
        C{connections} threads, each on its own autocommit connection,
        inserting one row at a time (each commit fsynced when C{fsync} is on).
        """
        conns = [self.connect() for _ in range(connections)]
        recorded = Latencies()
        lock = threading.Lock()
        barrier = threading.Barrier(connections + 1)
        window: dict[str, float] = {}

        def worker(index: int) -> None:
            conn = conns[index]
            clock = time.perf_counter
            seq = 0
            barrier.wait()
            stop_warm = window["start"]
            stop_at = window["stop"]
            mine: list[float] = []
            errors = 0
            first: str | None = None
            while True:
                sent = clock()
                if sent >= stop_at:
                    break
                try:
                    conn.execute(_INSERT, (index, seq, EVENT_PAYLOAD))
                except Exception as e:
                    errors += 1
                    first = first or f"{type(e).__name__}: {e}"
                    continue
                if sent >= stop_warm:
                    mine.append(clock() - sent)
                seq += 1
            with lock:
                recorded.samples.extend(mine)
                recorded.errors += errors
                recorded.first_error = recorded.first_error or first

        threads = [
            threading.Thread(target=worker, args=(i,), daemon=True)
            for i in range(connections)
        ]
        for thread in threads:
            thread.start()
        now = time.perf_counter()
        window["start"] = now + warmup
        window["stop"] = now + warmup + seconds
        barrier.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - window["start"]
        for conn in conns:
            conn.close()
        return len(recorded.samples), elapsed, recorded
