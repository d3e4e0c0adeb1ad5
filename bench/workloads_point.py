"""
W1 (point select, one in flight), W2 (point select, 64 in flight, and its
sweep over requests in flight) and W7 (ping against a bare echo server).
"""

from __future__ import annotations

import itertools
from typing import Any

import cbor2
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.protocols.basic import NetstringReceiver

from ._context import Bench, Workload
from ._data import point_ids
from ._driver import EchoProcess
from ._measure import Call, closed_loop, cpu_meter, side
from ._rss import RssSampler
from ._settings import IN_FLIGHT


def _selects(client: Any, ids: list[int]) -> Call:
    n = len(ids)
    return lambda seq: client.select("items", {"id": ids[seq % n]})


async def _driver_selects(
    bench: Bench, in_flight: int, seconds: float, name: str = "dbdriver"
) -> Any:
    main = await bench.items()
    (client,) = await bench.connect(main)
    lanes = [_selects(client, point_ids(bench.settings.rows))] * in_flight
    await closed_loop(lanes, bench.settings.warmup)
    with cpu_meter({"driver": main.pid}) as cpu:
        measured = await closed_loop(lanes, seconds)
    await bench.close([client])
    return side(name, measured, cpu=cpu, in_flight=in_flight)


async def w1(bench: Bench) -> Workload:
    """Point select by primary key, one client, one request in flight."""
    s = bench.settings
    driver = await _driver_selects(bench, 1, s.seconds)
    pg = bench.pg_items()
    if pg is None:
        return Workload.make("W1", "req/s", driver, None, skipped=bench.pg_skipped)
    with cpu_meter({}) as cpu:
        measured = pg.point_selects(point_ids(s.rows), s.seconds, s.warmup)
    anchor = side("psycopg3, 1 connection", measured, cpu=cpu)
    return Workload.make("W1", "req/s", driver, anchor)


async def w2(bench: Bench) -> Workload:
    """Point select, one client, 64 in flight; RSS sampled meanwhile."""
    s = bench.settings
    main = await bench.items()
    sampler = RssSampler(bench.reactor, main, 0.05 if s.quick else 0.2).start()
    try:
        driver = await _driver_selects(bench, 64, s.seconds)
    finally:
        bench.memory["under_W2"] = sampler.stop()
    pg = bench.pg_items()
    if pg is None:
        return Workload.make("W2", "req/s", driver, None, skipped=bench.pg_skipped)
    with cpu_meter({}) as cpu:
        measured = pg.pipelined_selects(point_ids(s.rows), s.seconds, s.warmup, 64)
    anchor = side("psycopg3 pipeline, 64 in flight", measured, cpu=cpu)
    return Workload.make("W2", "req/s", driver, anchor)


async def sweep_w2(bench: Bench) -> dict[str, Any]:
    """W2's throughput for each number of requests in flight, both sides."""
    s = bench.settings
    driver, anchor = [], []
    pg = bench.pg_items()
    for in_flight in IN_FLIGHT:
        measured = await _driver_selects(bench, in_flight, s.sweep_seconds)
        driver.append(round(measured.throughput, 1))
        if pg is not None:
            ids = point_ids(s.rows)
            result = pg.pipelined_selects(ids, s.sweep_seconds, s.warmup, in_flight)
            anchor.append(round(side("pg", result).throughput, 1))
    return {
        "in_flight": list(IN_FLIGHT),
        "driver": driver,
        "driver_name": "dbdriver, 1 client",
        "anchor": anchor if pg is not None else None,
        "anchor_name": "psycopg3 pipeline (batch = in flight)",
        "anchor_skipped": bench.pg_skipped,
    }


class EchoClient(NetstringReceiver):
    """
    The W7 anchor's client: sends the CBOR frame the driver client sends
    for C{ping} and decodes the echo, matching answers by id.
    """

    MAX_LENGTH = 1 << 24

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.pending: dict[int, Deferred[Any]] = {}

    def ping(self) -> Deferred[Any]:
        request_id = next(self.ids)
        payload = cbor2.dumps({"id": request_id, "method": "ping"})
        d: Deferred[Any] = Deferred()
        self.pending[request_id] = d
        self.transport.writeSequence((b"%d:" % len(payload), payload, b","))
        return d

    def stringReceived(self, string: bytes) -> None:
        message = cbor2.loads(string)
        self.pending.pop(message["id"]).callback(message)


async def w7(bench: Bench) -> Workload:
    """C{ping}, one client, one in flight, against a bare netstring echo."""
    s = bench.settings
    main = await bench.main_driver()
    (client,) = await bench.connect(main)
    lanes: list[Call] = [lambda seq: client.ping()]
    await closed_loop(lanes, s.warmup)
    with cpu_meter({"driver": main.pid}) as cpu:
        driver = side("dbdriver", await closed_loop(lanes, s.seconds), cpu=cpu)
    await bench.close([client])
    echo = EchoProcess("echo", bench.tmp)
    bench.processes.append(echo)
    try:
        endpoint = UNIXClientEndpoint(bench.reactor, echo.socket)
        protocol = await connectProtocol(endpoint, EchoClient())
        lanes = [lambda seq: protocol.ping()]
        await closed_loop(lanes, s.warmup)
        with cpu_meter({"echo": echo.pid}) as cpu:
            measured = await closed_loop(lanes, s.seconds)
        anchor = side("Twisted netstring echo", measured, cpu=cpu)
        protocol.transport.loseConnection()
    finally:
        bench.stop(echo)
    return Workload.make("W7", "req/s", driver, anchor)
