"""
W3 (single-row inserts from 8 clients, each acknowledged once durable; with
the driver's default durability and with C{--synchronous=full}, plus the
sweep over requests in flight) and W4 (C{insert_many} in batches of 1000).
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.defer import ensureDeferred, gatherResults

from dbdriver import DriverClient

from ._context import Bench, Workload
from ._data import BULK, EVENT_PAYLOAD, EVENTS, anchor_sqlite, bulk_rows, copy_schema
from ._driver import DriverProcess
from ._measure import Call, Latencies, Side, closed_loop, cpu_meter, side
from ._rss import RssSampler
from ._settings import IN_FLIGHT

CLIENTS = 8
BATCH = 1000
#: W4: batches sent at once on the one connection.
BULK_IN_FLIGHT = 2


def _inserter(client: DriverClient, index: int) -> Call:
    return lambda seq: client.insert(
        "events", {"client": index, "seq": seq, "payload": EVENT_PAYLOAD}
    )


async def _events(bench: Bench, driver: DriverProcess) -> list[DriverClient]:
    """C{CLIENTS} clients of C{driver}, its C{events} table created."""
    clients = await bench.connect(driver, CLIENTS)
    await clients[0].create_table(EVENTS, if_not_exists=True)
    return clients


async def _driver_inserts(
    bench: Bench, driver: DriverProcess, in_flight: int, seconds: float, name: str
) -> Side:
    """
    C{in_flight} single-row inserts in flight, spread over 8 clients
    (fewer clients when fewer are in flight).
    """
    clients = await _events(bench, driver)
    lanes = [_inserter(clients[k % CLIENTS], k) for k in range(in_flight)]
    await closed_loop(lanes, bench.settings.warmup)
    with cpu_meter({"driver": driver.pid}) as cpu:
        measured = await closed_loop(lanes, seconds)
    await bench.close(clients)
    return side(name, measured, cpu=cpu, in_flight=in_flight, options=driver.options)


def _pg_inserts(bench: Bench, connections: int, seconds: float) -> Side | None:
    pg = bench.pg
    if pg is None:
        return None
    pg.setup_events()
    with cpu_meter({}) as cpu:
        measured = pg.concurrent_inserts(connections, seconds, bench.settings.warmup)
    return side(
        f"PostgreSQL, {connections} connections, autocommit",
        measured,
        cpu=cpu,
        fsync=pg.info["fsync"],
        synchronous_commit=pg.info["synchronous_commit"],
    )


def _durability_notes(bench: Bench) -> list[str]:
    if bench.pg is not None and not bench.pg.durable:
        return ["PostgreSQL fsync/synchronous_commit is off: the anchor is not durable"]
    return []


async def w3(bench: Bench) -> list[Workload]:
    """
    W3 with the default durability (the shared driver, RSS sampled), then
    with a driver started C{--synchronous=full}; one PostgreSQL anchor.
    """
    s = bench.settings
    main = await bench.main_driver()
    sampler = RssSampler(bench.reactor, main, 0.05 if s.quick else 0.2).start()
    try:
        default = await _driver_inserts(
            bench, main, CLIENTS, s.seconds, "dbdriver (synchronous=normal)"
        )
    finally:
        bench.memory["under_W3"] = sampler.stop()
    full_process = bench.driver("full", "--synchronous=full")
    try:
        full = await _driver_inserts(
            bench, full_process, CLIENTS, s.seconds, "dbdriver --synchronous=full"
        )
    finally:
        bench.stop(full_process)
    anchor = _pg_inserts(bench, CLIENTS, s.seconds)
    notes = _durability_notes(bench)
    return [
        Workload.make(
            "W3", "req/s", default, anchor, skipped=bench.pg_skipped, notes=notes
        ),
        Workload.make(
            "W3-full",
            "req/s",
            full,
            anchor,
            skipped=bench.pg_skipped,
            target_of="W3",
            title="insert, 8 clients, --synchronous=full",
            notes=notes,
        ),
    ]


async def sweep_w3(bench: Bench) -> dict[str, Any]:
    """W3's throughput for each number of requests in flight, both sides."""
    s = bench.settings
    main = await bench.main_driver()
    cap = 64
    if bench.pg is not None:
        cap = max(1, min(cap, int(bench.pg.info["max_connections"]) - 20))
    driver, anchor, anchor_connections = [], [], []
    for in_flight in IN_FLIGHT:
        measured = await _driver_inserts(bench, main, in_flight, s.sweep_seconds, "")
        driver.append(round(measured.throughput, 1))
        connections = min(in_flight, cap)
        result = _pg_inserts(bench, connections, s.sweep_seconds)
        if result is not None:
            anchor.append(round(result.throughput, 1))
            anchor_connections.append(connections)
    return {
        "in_flight": list(IN_FLIGHT),
        "driver": driver,
        "driver_name": "dbdriver, 8 clients (fewer below 8 in flight)",
        "anchor": anchor if bench.pg is not None else None,
        "anchor_name": f"PostgreSQL autocommit, one thread+connection each (max {cap})",
        "anchor_connections": anchor_connections,
        "anchor_skipped": bench.pg_skipped,
    }


async def w4(bench: Bench) -> Workload:
    """
    C{insert_many} in batches of 1000, L{BULK_IN_FLIGHT} at a time, vs one
    C{executemany} transaction in process.
    """
    s = bench.settings
    main = await bench.main_driver()
    rows = bulk_rows(s.bulk_rows)
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
    (client,) = await bench.connect(main)
    await client.create_table(BULK)
    recorded = Latencies()
    clock = time.perf_counter
    queue = iter(batches)

    async def lane() -> None:
        for batch in queue:
            sent = clock()
            try:
                await client.insert_many("bulk", batch)
            except Exception as e:
                recorded.error(e)
                continue
            recorded.samples.append(clock() - sent)

    with cpu_meter({"driver": main.pid}) as cpu:
        started = clock()
        await gatherResults([ensureDeferred(lane()) for _ in range(BULK_IN_FLIGHT)])
        elapsed = clock() - started
    written = await client.count("bulk")
    await bench.close([client])
    measured = (len(recorded.samples), elapsed, recorded)
    driver = side("dbdriver insert_many", measured, per_op=BATCH, cpu=cpu)
    driver.details["rows_in_table"] = written
    if written != len(rows):
        driver.errors += 1
        driver.first_error = f"{written} rows in the table, expected {len(rows)}"
    with cpu_meter({}) as cpu:
        measured = _sqlite_bulk(bench, main, batches)
    anchor = side("sqlite3 executemany, one transaction", measured, per_op=BATCH)
    anchor.cpu = cpu
    return Workload.make(
        "W4",
        "rows/s",
        driver,
        anchor,
        title=f"insert_many {len(rows):,} rows, batches of {BATCH}",
        notes=[
            f"driver: {BULK_IN_FLIGHT} batches in flight (the client encodes the"
            " next while the driver writes one); each acknowledged after its commit"
        ],
    )


def _sqlite_bulk(
    bench: Bench, main: DriverProcess, batches: list[list[dict[str, Any]]]
) -> tuple[int, float, Latencies]:
    """The same rows into a fresh WAL file, one transaction, timed per batch."""
    db = anchor_sqlite(bench.tmp / "w4-anchor.sqlite3")
    copy_schema(main.database, db, ["bulk"])
    names = list(batches[0][0])
    sql = 'INSERT INTO "bulk" ({}) VALUES ({})'.format(
        ", ".join(f'"{n}"' for n in names), ", ".join(f":{n}" for n in names)
    )
    recorded = Latencies()
    clock = time.perf_counter
    started = clock()
    db.execute("BEGIN")
    for batch in batches:
        sent = clock()
        db.executemany(sql, batch)
        recorded.samples.append(clock() - sent)
    sent = clock()
    db.execute("COMMIT")
    recorded.samples[-1] += clock() - sent
    elapsed = clock() - started
    db.close()
    return len(batches), elapsed, recorded
