"""
Resource exhaustion: what one client can make the driver hold.

- C{unread}: 2,000 selects of ~1 MB sent and never read: RSS stays bounded.
- C{flood}: one client pipelines thousands of requests; the others are still
  served and never get C{queue_full}.
- C{idle}: idle connections up to C{--max-connections}; one more gets C{busy}
  and the close; the others still work.
- C{zeroblob}: C{SELECT zeroblob(900000000)} through C{execute}: answered
  C{result_too_large} within a memory bound.
- C{burst}: 200 connects at once, every one accepted and served.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2

from ._process import Driver, run_cases
from ._wire import Closed, Failed, Hang, Peer, code, frame, result

CASES = ("unread", "flood", "idle", "zeroblob", "burst")
SHORT = ("burst",)
#: Growth of RSS over the idle driver allowed while a case runs, and after (MB).
PEAK_BOUND_MB, AFTER_BOUND_MB = 400.0, 100.0
#: Past this RSS the driver is killed to spare the machine (MB).
KILL_AT_MB = 1500.0
MAX_CONNECTIONS = 50
#: The flood: this many slow statements on one connection, a queue of QUEUE.
FLOOD, QUEUE = 2000, 64
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20000) "
    "SELECT count(*) FROM c"
)


def selected(only: str | None, long: bool) -> tuple[str, ...]:
    if only:
        return tuple(c for c in only.split(",") if c in CASES)
    return CASES if long else SHORT


class Memory(threading.Thread):
    """Samples the driver's RSS; kills it past L{KILL_AT_MB}."""

    def __init__(self, driver: Driver) -> None:
        super().__init__(daemon=True)
        self.driver = driver
        self.baseline = driver.rss_mb()
        self.peak = self.baseline
        self.running = True
        self.killed = False

    def run(self) -> None:
        while self.running and self.driver.alive():
            rss = self.driver.rss_mb()
            self.peak = max(self.peak, rss)
            if rss > KILL_AT_MB:
                self.killed = True
                self.driver.kill()
                return
            time.sleep(0.1)

    def verdict(self, problems: list[str], settle: float = 2.0) -> dict[str, float]:
        time.sleep(settle)
        self.running = False
        self.join(2)
        after = self.driver.rss_mb() if self.driver.alive() else 0.0
        if self.killed:
            problems.append(f"RSS passed {KILL_AT_MB:.0f} MB: driver killed")
        elif self.peak - self.baseline > PEAK_BOUND_MB:
            problems.append(f"RSS peak {self.peak:.0f} MB (bound +{PEAK_BOUND_MB:.0f})")
        if after - self.baseline > AFTER_BOUND_MB:
            problems.append(f"RSS {after:.0f} MB after (bound +{AFTER_BOUND_MB:.0f})")
        return {
            "rss_baseline_mb": round(self.baseline, 1),
            "rss_peak_mb": round(self.peak, 1),
            "rss_after_mb": round(after, 1),
        }


def unread(driver: Driver, problems: list[str]) -> dict[str, Any]:
    with Peer(driver.socket) as peer:
        result(peer.call("execute", params={"sql": "create table big (b blob)"}))
        result(
            peer.call(
                "execute", params={"sql": "insert into big values (zeroblob(1000000))"}
            )
        )
    memory = Memory(driver)
    memory.start()
    hog = Peer(driver.socket)
    request = {"method": "select", "params": {"table": "big"}}
    for i in range(2000):
        try:
            hog.send({"id": i + 1, **request})
        except Closed:
            break
    time.sleep(15)
    hog.close()
    return {"selects": 2000, **memory.verdict(problems, settle=5)}


def flood(driver: Driver, problems: list[str]) -> dict[str, Any]:
    with Peer(driver.socket) as peer:
        result(peer.call("execute", params={"sql": "create table f (n integer)"}))
    hog = Peer(driver.socket)
    sent = 0

    def send() -> None:
        nonlocal sent
        for i in range(FLOOD):
            try:
                hog.send({"id": i + 1, "method": "execute", "params": {"sql": SLOW}})
            except Closed:
                return
            sent += 1

    flooding = threading.Thread(target=send, daemon=True)
    flooding.start()
    others: dict[str, int] = {}
    latencies: list[float] = []
    with Peer(driver.socket) as peer:
        for _ in range(100):
            started = time.monotonic()
            try:
                answer = peer.call("count", timeout=30, params={"table": "f"})
            except (Closed, Hang) as e:
                problems.append(f"another client: {type(e).__name__} {e}")
                break
            latencies.append(time.monotonic() - started)
            found = code(answer) or "result"
            others[found] = others.get(found, 0) + 1
    if others.get("queue_full"):
        problems.append(f"another client got queue_full {others['queue_full']} times")
    flooding.join(60)
    hog.close()
    latencies.sort()
    return {
        "flood_sent": sent,
        "other_answers": others,
        "other_p50_ms": round(1000 * latencies[len(latencies) // 2], 1)
        if latencies
        else None,
    }


def idle(driver: Driver, problems: list[str]) -> dict[str, Any]:
    peers = []
    for _ in range(MAX_CONNECTIONS):
        peer = Peer(driver.socket)
        peers.append(peer)
    for peer in peers[:5]:
        result(peer.call("ping"))
    extra = Peer(driver.socket)
    try:
        answer = extra.read(5)
        if code(answer) != "busy":
            problems.append(
                f"connection {MAX_CONNECTIONS + 1} answered {answer!r:.100}"
            )
        extra.read(5)
        problems.append("connection over the limit not closed after busy")
    except Closed:
        pass
    except Hang:
        problems.append(f"connection {MAX_CONNECTIONS + 1} neither refused nor closed")
    served = 0
    for peer in peers:
        try:
            served += result(peer.call("ping", timeout=5)) == "pong"
        except (Closed, Hang, Failed) as e:
            problems.append(f"an idle connection: {type(e).__name__}")
            break
        peer.close()
    extra.close()
    return {"max_connections": MAX_CONNECTIONS, "idle_served": served}


def zeroblob(driver: Driver, problems: list[str]) -> dict[str, Any]:
    memory = Memory(driver)
    memory.start()
    with Peer(driver.socket) as peer:
        try:
            answer = peer.call(
                "execute", timeout=120, params={"sql": "SELECT zeroblob(900000000)"}
            )
            found = code(answer)
        except (Closed, Hang) as e:
            found = type(e).__name__
    if found != "result_too_large":
        problems.append(f"zeroblob answered {found}")
    return {"answer": found, **memory.verdict(problems)}


def burst(driver: Driver, problems: list[str]) -> dict[str, Any]:
    socks = []
    refused = 0
    for _ in range(200):
        sock = socket.socket(socket.AF_UNIX)
        sock.setblocking(False)
        try:
            sock.connect(driver.socket)
        except BlockingIOError:
            refused += 1
        except OSError:
            refused += 1
        socks.append(sock)
    if refused:
        problems.append(f"{refused} of 200 burst connects refused (EAGAIN)")
    served = 0
    for sock in socks:
        sock.setblocking(True)
        sock.settimeout(2)
        try:
            sock.sendall(frame(cbor2.dumps({"id": 1, "method": "ping"})))
            served += b"pong" in sock.recv(100)
        except OSError:
            pass
        sock.close()
    if served != 200 - refused:
        problems.append(
            f"{served} of {200 - refused} accepted connects answered a ping"
        )
    return {"connects": 200, "refused": refused, "served": served}


def run(
    directory: Path, cases: tuple[str, ...], say: Callable[[str], None]
) -> dict[str, Any]:
    functions = {
        "unread": unread,
        "flood": flood,
        "idle": idle,
        "zeroblob": zeroblob,
        "burst": burst,
    }
    options = {
        "idle": [f"--max-connections={MAX_CONNECTIONS}"],
        "flood": [f"--queue-size={QUEUE}"],
    }

    def one(case: str) -> Callable[[Path, list[str]], dict[str, Any]]:
        def on_driver(directory: Path, found: list[str]) -> dict[str, Any]:
            database = str(directory / "db.sqlite3")
            driver = Driver(directory, database, *options.get(case, [])).start()
            try:
                return functions[case](driver, found)
            finally:
                if not driver.alive() and not found:
                    found.append("the driver died")
                driver.stop()

        return on_driver

    return run_cases("exhaust", directory, cases, {c: one(c) for c in cases}, say)
