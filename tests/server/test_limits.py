"""
L{dbdriver.server.limits} through the real driver process: the memory of a
driver whose client sends big selects and never reads stays bounded while
other clients are served; the descriptor limit is raised to the hard limit;
a burst of connects all succeed (the listen backlog); with few descriptors,
C{--max-connections} keeps the database openable.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import cbor2
import pytest

from dbdriver.server.limits import MIN_BACKLOG, listen_backlog, with_backlog
from tests.conftest import DriverProcess

MiB = 1 << 20


def frame(message: dict) -> bytes:
    payload = cbor2.dumps(message)
    return b"%d:%s," % (len(payload), payload)


def read_frame(sock: socket.socket) -> dict:
    head = b""
    while not head.endswith(b":"):
        byte = sock.recv(1)
        if not byte:
            raise ConnectionError("closed without an answer")
        head += byte
    length = int(head[:-1])
    data = b""
    while len(data) < length + 1:
        more = sock.recv(length + 1 - len(data))
        if not more:
            raise ConnectionError("closed in the middle of a frame")
        data += more
    return cbor2.loads(data[:-1])


def call(sock: socket.socket, message: dict) -> dict:
    sock.sendall(frame(message))
    return read_frame(sock)


def connect(driver: DriverProcess) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(30)
    sock.connect(driver.socket)
    return sock


def status(driver: DriverProcess, field: str) -> int:
    """A field of /proc/PID/status in bytes (VmRSS, VmHWM)."""
    assert driver.proc is not None
    for line in Path(f"/proc/{driver.proc.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(field)


def big_table(path: str) -> None:
    """Rows that make a select of about 1 MiB."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO big (v) VALUES (?)", [("x" * (64 * 1024),)] * 16)
    db.commit()
    db.close()


def test_unread_answers_do_not_grow_the_driver_without_bound(start_driver, tmp_path):
    database = str(tmp_path / "big.sqlite3")
    big_table(database)
    driver = start_driver(database=database)
    other = connect(driver)
    assert call(other, {"id": 0, "method": "count", "params": {"table": "big"}}) == {
        "id": 0,
        "result": 16,
    }
    before = status(driver, "VmRSS")
    flooder = connect(driver)
    flooder.settimeout(2)
    selects = b"".join(
        frame({"id": i, "method": "select", "params": {"table": "big"}})
        for i in range(1000)
    )
    # ~1 GB of answers, never read; a timeout: the driver stopped reading
    # this connection, as it should
    with contextlib.suppress(TimeoutError):
        flooder.sendall(selects)
    for i in range(1, 20):  # the others are served meanwhile
        request = {"id": i, "method": "count", "params": {"table": "big"}}
        assert call(other, request) == {"id": i, "result": 16}
        time.sleep(0.1)
    peak = status(driver, "VmHWM")
    stats = call(other, {"id": 50, "method": "stats"})["result"]["requests"]
    assert stats["received"] > 1000  # the whole flood was read ...
    assert stats["completed"] < 200  # ... and few of its answers built
    assert peak - before < 300 * MiB, (before, peak)
    flooder.close()
    time.sleep(0.5)
    assert call(other, {"id": 99, "method": "ping"}) == {"id": 99, "result": "pong"}
    after = status(driver, "VmRSS")
    assert after <= peak
    time.sleep(0.5)
    assert status(driver, "VmRSS") <= after + 8 * MiB  # not growing
    other.close()


def test_the_descriptor_limit_is_raised_to_the_hard_limit(start_driver):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(512, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        driver = start_driver()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert driver.proc is not None
    limits = Path(f"/proc/{driver.proc.pid}/limits").read_text()
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    assert line.split()[3:5] == [str(hard), str(hard)]
    if low < hard:
        assert f"descriptor limit raised from {low} to {hard}" in driver.log()


def test_a_burst_of_connects_all_succeed(start_driver):
    driver = start_driver()
    assert driver.proc is not None
    driver.proc.send_signal(19)  # SIGSTOP: nobody accepts during the burst
    socks = []
    try:
        for _ in range(200):
            sock = socket.socket(socket.AF_UNIX)
            sock.setblocking(False)
            sock.connect(driver.socket)  # EAGAIN once the backlog is full
            socks.append(sock)
    finally:
        driver.proc.send_signal(18)  # SIGCONT
    for i, sock in enumerate(socks):
        sock.setblocking(True)
        sock.settimeout(30)
        assert call(sock, {"id": i, "method": "ping"}) == {"id": i, "result": "pong"}
        sock.close()


def first_answer(sock: socket.socket) -> dict:
    """A ping's answer, or the busy frame a refused connection got first."""
    with contextlib.suppress(OSError):  # refused: its one frame waits
        sock.sendall(frame({"id": 1, "method": "ping"}))
    return read_frame(sock)


class LimitedDriver(DriverProcess):
    """A driver process started with few descriptors (C{prlimit})."""

    def argv(self) -> list[str]:
        return ["prlimit", "--nofile=256:256", "--", *super().argv()]


def test_idle_connections_over_the_limit_leave_the_database_openable(tmp_path):
    driver = LimitedDriver(tmp_path, ("--max-connections=100",), None)
    driver.start()
    try:
        served, busy = [], []
        for _ in range(300):  # more than the 256 descriptors it may open
            sock = connect(driver)
            answer = first_answer(sock)
            if "result" in answer:
                served.append(sock)
            else:
                busy.append(answer)
                sock.close()
        assert len(served) == 100
        assert {a["error"]["code"] for a in busy} == {"busy"}
        assert {a["id"] for a in busy} == {None}
        first = served[0]
        begun = call(first, {"id": 2, "method": "begin_transaction"})
        assert isinstance(begun.get("result"), str), begun
        request = {"id": 3, "method": "rollback_transaction"}
        request["params"] = {"transaction_id": begun["result"]}
        assert call(first, request) == {"id": 3, "result": True}
        for sock in served:
            sock.close()
    finally:
        driver.stop()


def test_backlog_is_added_to_the_endpoints_that_take_one() -> None:
    assert listen_backlog() >= MIN_BACKLOG
    assert with_backlog("tcp:0", 9) == "tcp:0:backlog=9"
    assert with_backlog("unix:/x.sock:mode=600", 9) == "unix:/x.sock:mode=600:backlog=9"
    assert with_backlog("tcp:0:backlog=5", 9) == "tcp:0:backlog=5"
    assert with_backlog("systemd:domain=UNIX:index=0", 9) == (
        "systemd:domain=UNIX:index=0"
    )


def test_prlimit_is_there() -> None:
    if subprocess.run(["prlimit", "--version"], capture_output=True).returncode:
        pytest.fail("prlimit (util-linux) is needed by these tests")


def test_too_many_connections_for_the_descriptors_is_warned_of(tmp_path):
    driver = LimitedDriver(tmp_path, (), None)
    driver.start()
    try:
        assert "--max-connections=1024 leaves too few of 256 descriptors" in (
            driver.log()
        )
    finally:
        driver.stop()
