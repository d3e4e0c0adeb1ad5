"""
The kill loop: N C{kill -9} of the driver at random moments while 8 writers
write single inserts, transactions over several requests, C{transaction}
batches and C{insert_many}.  After each restart: every acknowledged write
is in the file, no transaction is partly visible (each operation writes
its k rows under one tag: a tag has 0 or k rows), C{PRAGMA integrity_check}
is ok, and no call went unanswered (a hang).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from ._process import Driver
from ._wire import Closed, Failed, Hang, Peer, problem, result

WRITERS = 8
TABLE = {
    "name": "t",
    "columns": [
        {"name": "n", "type": "integer", "primary_key": True},
        {"name": "tag", "type": "text", "not_null": True},
        {"name": "k", "type": "integer", "not_null": True},
    ],
}
KINDS = ("insert", "begin/commit", "transaction", "insert_many")
#: A call left without an answer this long, on a running driver, is a hang.
CALL_TIMEOUT = 30.0


class Ledger:
    """What the writers were told: acknowledged and unknown operations."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: dict[str, int] = {}  # tag -> k
        self.unknown: dict[str, int] = {}
        self.by_kind = dict.fromkeys(KINDS, 0)
        self.errors: dict[str, int] = {}
        self.problems: list[str] = []

    def ack(self, tag: str, k: int, kind: str) -> None:
        with self.lock:
            self.acknowledged[tag] = k
            self.by_kind[kind] += 1

    def lost(self, tag: str, k: int, why: str) -> None:
        with self.lock:
            self.unknown[tag] = k
            self.errors[why] = self.errors.get(why, 0) + 1

    def bad(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class Writer(threading.Thread):
    """One client: random operations, reconnecting after each kill."""

    def __init__(self, number: int, socket: str, ledger: Ledger, seed: int) -> None:
        super().__init__(daemon=True, name=f"writer{number}")
        self.number = number
        self.socket = socket
        self.ledger = ledger
        self.random = random.Random(seed * 100 + number)
        self.running = True
        self.next_n = number * 10**9
        self.seq = 0
        self.peer: Peer | None = None

    def call(self, method: str, **top: Any) -> Any:
        assert self.peer is not None
        answer = self.peer.call(method, timeout=CALL_TIMEOUT, **top)
        wrong = problem(answer, None)
        if wrong:
            self.ledger.bad(f"{method}: {wrong}")
        return result(answer)

    def rows(self, tag: str, k: int) -> list[dict[str, Any]]:
        self.next_n += k
        return [{"n": self.next_n - i, "tag": tag, "k": k} for i in range(k)]

    def operation(self, kind: str, tag: str, k: int) -> None:
        rows = self.rows(tag, k)
        if kind == "insert":
            self.call("insert", params={"table": "t", "data": rows[0]})
        elif kind == "insert_many":
            self.call("insert_many", params={"table": "t", "rows": rows})
        elif kind == "transaction":
            ops = [
                {"method": "insert", "params": {"table": "t", "data": r}} for r in rows
            ]
            self.call("transaction", params={"operations": ops})
        else:
            tid = self.call("begin_transaction")
            try:
                for row in rows:
                    self.call(
                        "insert", params={"table": "t", "data": row}, transaction_id=tid
                    )
            except Failed:
                self.call("rollback_transaction", params={"transaction_id": tid})
                raise
            self.call("commit_transaction", params={"transaction_id": tid})

    def run(self) -> None:
        while self.running:
            if self.peer is None or self.peer.closed:
                try:
                    self.peer = Peer(self.socket, timeout=2)
                except OSError:
                    time.sleep(0.02)
                    continue
            kind = self.random.choice(KINDS)
            k = 1 if kind == "insert" else self.random.randint(2, 6)
            self.seq += 1
            tag = f"w{self.number}-{self.seq}"
            try:
                self.operation(kind, tag, k)
            except Failed as e:
                self.ledger.lost(tag, k, str(e.code))
            except Closed:
                self.ledger.lost(tag, k, "closed")
            except Hang as e:
                self.ledger.lost(tag, k, "hang")
                self.ledger.bad(f"{self.name} {kind}: {e}")
                self.peer.close() if self.peer else None
            else:
                self.ledger.ack(tag, k, kind)


def check_file(
    path: Path, acknowledged: dict[str, int], unknown: dict[str, int] | None = None
) -> list[str]:
    """What is wrong with the database file against the acknowledged writes."""
    found: list[str] = []
    with closing(sqlite3.connect(path, timeout=30)) as db:
        (status,) = db.execute("PRAGMA integrity_check").fetchone()
        if status != "ok":
            found.append(f"integrity_check: {status}")
        counts = dict(db.execute("select tag, count(*) from t group by tag"))
        sizes = dict(db.execute("select tag, max(k) from t group by tag"))
    for tag, count in counts.items():
        if count != sizes[tag]:
            found.append(f"partial: tag {tag} has {count} of {sizes[tag]} rows")
    missing = [t for t, k in acknowledged.items() if counts.get(t) != k]
    if missing:
        found.append(f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}")
    if unknown is not None:
        extra = [t for t in counts if t not in acknowledged and t not in unknown]
        if extra:
            found.append(f"{len(extra)} writes stored that no writer sent: {extra[:5]}")
    return found


def run(
    directory: Path, kills: int, rng: random.Random, say: Callable[[str], None]
) -> dict[str, Any]:
    """The loop; its figures (C{problems} empty when it passed)."""
    database = directory / "kill.sqlite3"
    driver = Driver(directory, str(database)).start()
    with Peer(driver.socket) as peer:
        result(peer.call("create_table", params={"schema": TABLE}))
    ledger = Ledger()
    writers = [
        Writer(i, driver.socket, ledger, rng.randrange(10**9)) for i in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    started = time.monotonic()
    checks: list[str] = []
    try:
        for kill in range(kills):
            before = len(ledger.acknowledged)
            deadline = time.monotonic() + 60
            while len(ledger.acknowledged) < before + 8:
                if time.monotonic() > deadline:
                    checks.append(f"kill {kill}: no write acknowledged in 60 s")
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.5))
            driver.kill()
            with ledger.lock:
                acknowledged = dict(ledger.acknowledged)
            driver.start()
            checks += [
                f"after kill {kill + 1}: {p}"
                for p in check_file(database, acknowledged)
            ]
            if (kill + 1) % 10 == 0:
                say(
                    f"kill: {kill + 1}/{kills} kills,"
                    f" {len(acknowledged)} operations acknowledged"
                )
    finally:
        for writer in writers:
            writer.running = False
        for writer in writers:
            writer.join(CALL_TIMEOUT + 5)
        driver.stop()
    final = check_file(database, ledger.acknowledged, ledger.unknown)
    with closing(sqlite3.connect(database)) as db:
        (stored,) = db.execute("select count(*) from t").fetchone()
    return {
        "kills": kills,
        "writers": WRITERS,
        "seconds": round(time.monotonic() - started, 1),
        "operations_acknowledged": len(ledger.acknowledged),
        "rows_acknowledged": sum(ledger.acknowledged.values()),
        "acknowledged_by_kind": ledger.by_kind,
        "operations_unanswered_or_failed": len(ledger.unknown),
        "failures_by_cause": ledger.errors,
        "rows_stored": stored,
        "problems": checks
        + [f"final: {p}" for p in final]
        + ledger.problems
        + [p for p in driver.problems if "Traceback" in p or "Unhandled" in p],
    }
