"""
How many pool threads should the SQLite backend use?  Starts the real
driver with each pool size and measures point selects and single-row
inserts from 8 clients with 64 requests in flight each, in the same run.

    python bench/pool_size.py [--seconds 3] [--sizes 1,2,4,8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from twisted.internet.defer import ensureDeferred, gatherResults
from twisted.internet.task import react

from bench._driver import DriverProcess
from dbdriver import connect

TABLE = {
    "name": "items",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "name", "type": "text"},
    ],
}


async def load(clients, make, seconds: float, in_flight: int) -> float:
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker(client, lane: int) -> None:
        nonlocal done
        i = lane
        while time.perf_counter() < stop_at:
            await make(client, i)
            i += in_flight * len(clients)
            done += 1

    started = time.perf_counter()
    await gatherResults(
        [
            ensureDeferred(worker(c, n * in_flight + k))
            for n, c in enumerate(clients)
            for k in range(in_flight)
        ]
    )
    return done / (time.perf_counter() - started)


async def measure(reactor, pool_size: int, seconds: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as directory:
        driver = DriverProcess(
            f"p{pool_size}", Path(directory), f"--pool-size={pool_size}"
        )
        sock = driver.socket
        try:
            clients = await gatherResults([connect(reactor, sock) for _ in range(8)])
            await clients[0].create_table(TABLE)
            await clients[0].insert_many(
                "items", [{"id": i, "name": f"n{i}"} for i in range(10000)]
            )
            selects = await load(
                clients, lambda c, i: c.select("items", {"id": i % 10000}), seconds, 64
            )
            inserts = await load(
                clients,
                lambda c, i: c.insert("items", {"id": 10000 + i, "name": "x"}),
                seconds,
                64,
            )
            for c in clients:
                await c.close()
            return selects, inserts
        finally:
            driver.stop()


async def main(reactor, argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", default="1,2,4,8")
    args = parser.parse_args(argv)
    print(f"{'pool':>5} {'select/s':>10} {'insert/s':>10}")
    for size in [int(s) for s in args.sizes.split(",")]:
        selects, inserts = await measure(reactor, size, args.seconds)
        print(f"{size:>5} {selects:>10.0f} {inserts:>10.0f}", flush=True)


if __name__ == "__main__":
    react(lambda reactor: ensureDeferred(main(reactor, sys.argv[1:])))
