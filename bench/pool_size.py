"""
How many pool threads should the SQLite backend use?  Starts the real
driver with each pool size and measures point selects and single-row
inserts from 8 clients with 64 requests in flight each, in the same run.

    python bench/pool_size.py [--seconds 3] [--sizes 1,2,4,8]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from twisted.internet.defer import ensureDeferred, gatherResults
from twisted.internet.task import react

from dbdriver import connect

ROOT = Path(__file__).resolve().parent.parent
TABLE = {
    "name": "items",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "name", "type": "text"},
    ],
}


def start(directory: str, pool_size: int) -> tuple[subprocess.Popen[bytes], str]:
    sock = os.path.join(directory, f"p{pool_size}.sock")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from twisted.scripts.twistd import run; run()",
            "-n",
            "--pidfile=",
            "dbdriver",
            f"--socket={sock}",
            f"--database={directory}/p{pool_size}.sqlite3",
            f"--pool-size={pool_size}",
        ],
        cwd=directory,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(sock)
            return proc, sock
        except OSError:
            time.sleep(0.02)
        finally:
            probe.close()
    raise RuntimeError("driver did not start")


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
        proc, sock = start(directory, pool_size)
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
            proc.terminate()
            proc.wait()


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
