"""
The driver's memory in the cases of issue 3: idle, with many requests
queued, while a client pages through a large table, and across a soak of
W2+W3.  Each case that needs a clean peak runs on a fresh driver process,
so its C{VmHWM} covers that case only.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import deferLater

from ._context import Bench
from ._data import BULK, EVENT_PAYLOAD, EVENTS, ITEMS, item_rows, point_ids
from ._driver import DriverProcess
from ._measure import closed_loop, side
from ._rss import RssSampler

#: A statement that keeps a pool thread busy for a few milliseconds.
SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
    " SELECT count(*) FROM c"
)

#: Fills the paging table in one statement (setup, not measured).
FILL_SQL = (
    'INSERT INTO "bulk" ("name", "size", "score", "note")'
    " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
    " SELECT 'file-' || x || '.py', x % 100000, x / 3.0,"
    " substr('nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn', 1, x % 40) FROM c"
)


def sleep(bench: Bench, seconds: float) -> Deferred[None]:
    """Let the reactor run for C{seconds}."""
    return deferLater(bench.reactor, seconds, lambda: None)


async def idle(bench: Bench, process: DriverProcess) -> dict[str, Any]:
    """RSS of a driver that just started and has served nothing yet."""
    sampler = RssSampler(bench.reactor, process, 0.1).start()
    await sleep(bench, 0.5)
    return sampler.stop()


async def queued(bench: Bench) -> dict[str, Any]:
    """
    Many clients fire C{settings.queued} slow requests at once at a driver
    with one pool thread; RSS is read while they wait in the queue.
    """
    count = bench.settings.queued
    process = bench.driver("queued", "--pool-size=1", "--shutdown-timeout=1")
    clients = await bench.connect(process, 10)
    sampler = RssSampler(bench.reactor, process, 0.05).start()
    answers: list[Deferred[Any]] = []
    started = time.perf_counter()
    for i in range(count):
        d = clients[i % len(clients)].execute(SLOW_SQL, [5000], timeout=600)
        answers.append(d.addCallbacks(lambda _: None, lambda f: f.value))
    fired = time.perf_counter() - started
    deepest, stats = 0, {}
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        stats = await clients[0].stats()
        deepest = max(deepest, stats["queue"]["depth"])
        if stats["requests"]["received"] >= count:
            break
        await sleep(bench, 0.05)
    for _ in range(6):  # hold the queue a moment: RSS while queued
        sampler.sample()
        await sleep(bench, 0.1)
    result = sampler.stop()
    stats = await clients[0].stats()
    bench.stop(process)  # answers the rest shutting_down
    outcomes = await gatherResults(answers)
    codes = sorted(
        {getattr(e, "code", type(e).__name__) for e in outcomes if e is not None}
    )
    await bench.close(clients)
    result.update(
        requests=count,
        fire_seconds=round(fired, 3),
        queue_depth_seen=deepest,
        queue_max_depth=stats["queue"]["max_depth"],
        rejected_queue_full=stats["requests"]["rejected_full"],
        answered_before_stop=stats["requests"]["completed"],
        error_codes_at_stop=codes,
    )
    return result


async def paging(bench: Bench) -> dict[str, Any]:
    """
    A client pages through a C{settings.paging_rows}-row table with
    C{select} C{limit}/C{offset}, on a driver restarted after filling it.
    """
    s = bench.settings
    setup = bench.driver("paging")
    (client,) = await bench.connect(setup)
    await client.create_table(BULK)
    await client.execute(FILL_SQL, [s.paging_rows], timeout=600)
    await bench.close([client])
    bench.stop(setup)
    process = bench.driver("paging")  # same file, fresh process
    (client,) = await bench.connect(process)
    sampler = RssSampler(bench.reactor, process, 0.05 if s.quick else 0.1).start()
    read, pages, started = 0, 0, time.perf_counter()
    for offset in range(0, s.paging_rows, s.page_size):
        page = await client.select(
            "bulk", order_by=["id"], limit=s.page_size, offset=offset, timeout=600
        )
        read += len(page)
        pages += 1
    elapsed = time.perf_counter() - started
    result = sampler.stop()
    await bench.close([client])
    bench.stop(process)
    result.update(
        rows=s.paging_rows,
        rows_read=read,
        page_size=s.page_size,
        pages=pages,
        seconds=round(elapsed, 2),
    )
    if read != s.paging_rows:
        result["error"] = f"read {read} rows, expected {s.paging_rows}"
    return result


def _flatness(samples: list[tuple[float, float]], seconds: float) -> dict[str, Any]:
    """Whether RSS stayed flat: last window's mean within 10% of the first's."""
    warmup = min(60.0, seconds * 0.1)
    window = min(60.0, max((seconds - warmup) / 4, 0.1))
    first = [r for t, r in samples if warmup <= t < warmup + window]
    last = [r for t, r in samples if t >= seconds - window]
    if not first or not last:
        return {"flat": None, "why": "too few samples"}
    first_avg, last_avg = sum(first) / len(first), sum(last) / len(last)
    return {
        "warmup_s": round(warmup, 1),
        "window_s": round(window, 1),
        "first_window_avg_mb": round(first_avg, 1),
        "last_window_avg_mb": round(last_avg, 1),
        "growth_pct": round(100.0 * (last_avg - first_avg) / first_avg, 1),
        "flat": last_avg <= first_avg * 1.10,
    }


async def soak(bench: Bench) -> dict[str, Any]:
    """W2 and W3 at once for C{settings.soak} seconds on a fresh driver."""
    s = bench.settings
    process = bench.driver("soak")
    readers = await bench.connect(process)
    writers = await bench.connect(process, 8)
    await readers[0].create_table(ITEMS)
    await writers[0].create_table(EVENTS)
    rows = item_rows(s.rows)
    for start in range(0, len(rows), 1000):
        await readers[0].insert_many("items", rows[start : start + 1000])
    ids, n, reader = point_ids(s.rows), s.rows, readers[0]
    selects = [lambda seq: reader.select("items", {"id": ids[seq % n]})] * 64
    inserts = [
        (
            lambda seq, c=c, k=k: c.insert(
                "events", {"client": k, "seq": seq, "payload": EVENT_PAYLOAD}
            )
        )
        for k, c in enumerate(writers)
    ]
    sampler = RssSampler(bench.reactor, process, s.soak_interval).start()
    w2, w3 = await gatherResults(
        [closed_loop(selects, s.soak), closed_loop(inserts, s.soak)]
    )
    samples = list(sampler.samples)
    result = sampler.stop()
    await bench.close(readers + writers)
    bench.stop(process)
    result.update(_flatness(samples, s.soak))
    result.update(
        seconds=s.soak,
        interval_s=s.soak_interval,
        series=[[t, round(r, 1)] for t, r in samples],
        w2=attrs.asdict(side("W2 during soak", w2)),
        w3=attrs.asdict(side("W3 during soak", w3)),
    )
    return result
