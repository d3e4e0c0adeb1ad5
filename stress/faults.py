"""
Faults from below, under load: the answers must be results or protocol
errors (C{unavailable} for a database that went away), never a hang; no
acknowledged write is lost; service resumes.

- C{disk}: a full disk.  The driver's file-size limit (C{RLIMIT_FSIZE},
  set on the running process with C{prlimit}) is lowered to the database's
  current size: writes that grow the file fail (EFBIG, as on a full disk)
  while reads go on; the limit is raised again and writes must succeed.
  (A tmpfs needs mount rights this user may not have; the file-size limit
  makes the same error for SQLite, needs no privilege, and can be lifted
  on a running process.)
- C{postgresql}: a private PostgreSQL (initdb in the work directory, its own
  port and socket) restarted, then killed (C{pg_ctl stop -m immediate}),
  under load.
- C{mysql}: the driver's MariaDB connections killed (C{KILL}) from another
  connection on the shared server, under load (a database of its own, so
  only the driver's connections are found).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._process import Driver, run_cases
from ._wire import Closed, Hang, Peer, code, problem

CASES = ("disk", "postgresql", "mysql")
SHORT = ("disk",)
TABLE = {
    "name": "t",
    "columns": [
        {"name": "n", "type": "integer", "primary_key": True},
        {"name": "pad", "type": "text"},
    ],
}
#: Errors a write may get while the database is gone or full.
FAULT_CODES = frozenset({"unavailable", "sql_error", "busy", "timeout", "read_only"})


def selected(only: str | None, long: bool) -> tuple[str, ...]:
    if only:
        return tuple(c for c in only.split(",") if c in CASES)
    return CASES if long else SHORT


class Load(threading.Thread):
    """A writer of numbered rows; counts answers by code; notes what is wrong."""

    def __init__(self, socket: str, start: int, pad: int = 100) -> None:
        super().__init__(daemon=True)
        self.socket = socket
        self.n = start
        self.pad = "x" * pad
        self.running = True
        self.acknowledged: list[int] = []
        self.codes: dict[str, int] = {}
        self.problems: list[str] = []
        self.last_ok = time.monotonic()

    def run(self) -> None:
        peer: Peer | None = None
        while self.running:
            try:
                peer = peer if peer and not peer.closed else Peer(self.socket)
                self.n += 1
                answer = peer.call(
                    "insert",
                    timeout=40,
                    params={"table": "t", "data": {"n": self.n, "pad": self.pad}},
                )
            except Closed:
                self.codes["closed"] = self.codes.get("closed", 0) + 1
                time.sleep(0.05)
                continue
            except Hang:
                self.problems.append("an insert got no answer in 40 s")
                peer.close() if peer else None
                continue
            wrong = problem(answer, None)
            found = code(answer) or "result"
            self.codes[found] = self.codes.get(found, 0) + 1
            if found == "unavailable":
                details = answer["error"].get("details")
                applied = (
                    details.get("applied", "?") if isinstance(details, dict) else "?"
                )
                if applied not in (False, "unknown"):
                    wrong = f"unavailable without details.applied: {details!r:.100}"
            if wrong:
                self.problems.append(wrong)
            elif found == "result":
                self.acknowledged.append(self.n)
                self.last_ok = time.monotonic()
            time.sleep(0.005)

    def stop(self) -> None:
        self.running = False
        self.join(45)


def resumed(load: Load, since: float, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if load.last_ok > since:
            return True
        time.sleep(0.1)
    return False


def stored(driver: Driver) -> set[int]:
    with Peer(driver.socket) as peer:
        answer = peer.call(
            "select", timeout=60, params={"table": "t", "columns": ["n"]}
        )
    return {row["n"] for row in answer.get("result") or []}


def finish(
    driver: Driver, load: Load, problems: list[str], strict: str
) -> dict[str, Any]:
    load.stop()
    problems += load.problems[:10]
    wrong = {
        c: k
        for c, k in load.codes.items()
        if c not in FAULT_CODES | {"result", "closed"}
    }
    if wrong:
        problems.append(f"unexpected codes {wrong}")
    if strict in load.codes and strict != "unavailable":
        problems.append(
            f"{load.codes[strict]} writes answered {strict}, not unavailable"
        )
    have = stored(driver)
    lost = [n for n in load.acknowledged if n not in have]
    if lost:
        problems.append(f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}")
    return {"answers": load.codes, "acknowledged": len(load.acknowledged)}


def disk(directory: Path, problems: list[str]) -> dict[str, Any]:
    database = directory / "db.sqlite3"
    driver = Driver(directory, str(database), "--synchronous=full").start()
    with Peer(driver.socket) as peer:
        peer.call("create_table", params={"schema": TABLE})
    load = Load(driver.socket, 0, pad=4000)
    load.start()
    time.sleep(2)
    size = sum(p.stat().st_size for p in directory.glob("db.sqlite3*"))
    resource.prlimit(
        driver.pid, resource.RLIMIT_FSIZE, (size + 65536, resource.RLIM_INFINITY)
    )
    time.sleep(4)
    full = dict(load.codes)
    with Peer(driver.socket) as peer:
        reads = code(peer.call("count", timeout=10, params={"table": "t"})) or "result"
    if reads != "result":
        problems.append(f"a read on the full disk answered {reads}")
    if not any(c in full for c in FAULT_CODES):
        problems.append("no write failed on the full disk (the limit did not bite)")
    back = time.monotonic()
    resource.prlimit(
        driver.pid,
        resource.RLIMIT_FSIZE,
        (resource.RLIM_INFINITY, resource.RLIM_INFINITY),
    )
    if not resumed(load, back):
        problems.append("writes did not resume when space came back")
    time.sleep(1)
    figures = finish(driver, load, problems, strict="")
    driver.stop()
    return {"limit_bytes": size + 65536, "read_on_full_disk": reads, **figures}


def postgresql(directory: Path, problems: list[str]) -> dict[str, Any]:
    if not shutil.which("initdb"):
        problems.append("no initdb: the case cannot run")
        return {}
    data, port = directory / "pg", 55432
    # PostgreSQL refuses to run as root: then it runs as the postgres user.
    user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if user:
        for path in (directory.parent, directory):
            path.chmod(0o755)
        data.mkdir()
        shutil.chown(data, "postgres")
        shutil.chown(directory, "postgres")

    def run(*argv: str) -> None:
        subprocess.run([*user, *argv], check=True, capture_output=True)

    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    opts = f"-p {port} -k {directory} -c listen_addresses=''"
    start = (
        "pg_ctl",
        "-D",
        str(data),
        "-o",
        opts,
        "-w",
        "-l",
        str(directory / "pg.log"),
    )
    run(*start, "start")
    try:
        url = f"postgresql://postgres@/postgres?host={directory}&port={port}"
        driver = Driver(directory, url).start()
        with Peer(driver.socket) as peer:
            peer.call("create_table", params={"schema": TABLE})
        load = Load(driver.socket, 0)
        load.start()
        steps = []
        for mode in ("fast", "immediate"):
            time.sleep(2)
            run("pg_ctl", "-D", str(data), "-m", mode, "-w", "stop")
            time.sleep(2)
            back = time.monotonic()
            run(*start, "start")
            ok = resumed(load, back)
            steps.append({"stop": mode, "resumed": ok})
            if not ok:
                problems.append(f"writes did not resume after pg_ctl stop -m {mode}")
        figures = finish(driver, load, problems, strict="sql_error")
        driver.stop()
    finally:
        subprocess.run(
            [*user, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
    return {"steps": steps, **figures}


def mysql(directory: Path, problems: list[str]) -> dict[str, Any]:
    import pymysql

    name = f"stress_{os.getpid()}"
    admin = pymysql.connect(
        user="root", unix_socket="/run/mysqld/mysqld.sock", autocommit=True
    )
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        driver = Driver(
            directory,
            f"mysql://root@localhost/{name}?unix_socket=/run/mysqld/mysqld.sock",
        ).start()
        with Peer(driver.socket) as peer:
            peer.call("create_table", params={"schema": TABLE})
        load = Load(driver.socket, 0)
        load.start()
        killed = 0
        for _ in range(5):
            time.sleep(1.5)
            with admin.cursor() as cur:
                cur.execute(
                    "SELECT id FROM information_schema.processlist WHERE db = %s"
                    " AND id <> CONNECTION_ID()",
                    (name,),
                )
                for (thread,) in cur.fetchall():
                    cur.execute(f"KILL {int(thread)}")
                    killed += 1
            back = time.monotonic()
            if not resumed(load, back):
                problems.append("writes did not resume after KILL")
                break
        figures = finish(driver, load, problems, strict="sql_error")
        driver.stop()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
    return {"threads_killed": killed, **figures}


def run(
    directory: Path, cases: tuple[str, ...], say: Callable[[str], None]
) -> dict[str, Any]:
    functions = {"disk": disk, "postgresql": postgresql, "mysql": mysql}
    return run_cases("faults", directory, cases, functions, say)
