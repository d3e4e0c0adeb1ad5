"""
The real process: C{twistd -n dbdriver} started as a subprocess, driven
through the real client, checked against C{sqlite3} reading the same file.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import gatherResults
from twisted.internet.endpoints import clientFromString

from dbdriver import Forbidden, ReadOnly, connect, connect_endpoint
from tests.conftest import ROOT, WRAPPER, DriverProcess, child_env

FILES = {
    "name": "files",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "client", "type": "integer", "not_null": True},
        {"name": "seq", "type": "integer", "not_null": True},
        {"name": "path", "type": "text", "not_null": True},
    ],
    "unique": [["client", "seq"]],
}


def run_twistd(
    *args: str, cwd: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(WRAPPER), *args],
        cwd=cwd,
        env=child_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_default(directory: Path) -> subprocess.CompletedProcess:
    """
    The driver on driver.sock and db.sqlite3 in C{directory}, expected to
    refuse to start.
    """
    return run_twistd(
        "-n", "--pidfile=", "dbdriver", "--socket=driver.sock",
        "--database=db.sqlite3", cwd=str(directory),
    )  # fmt: skip


@pytest_twisted.ensureDeferred
async def test_serves_and_writes_what_sqlite_reads(driver):
    mode = stat.S_IMODE(os.stat(driver.socket).st_mode)
    assert mode == 0o600
    client = await connect(reactor, driver.socket)
    info = await client.server_info()
    assert (info["backend"], info["protocol"], info["read_only"]) == (
        "sqlite",
        1,
        False,
    )
    assert await client.create_table(FILES) is True
    row_id = await client.insert("files", {"client": 0, "seq": 0, "path": "a.py"})
    assert await client.select("files") == [
        {"id": row_id, "client": 0, "seq": 0, "path": "a.py"}
    ]
    await client.close()
    with driver.sqlite() as db:
        assert db.execute("SELECT client, seq, path FROM files").fetchall() == [
            (0, 0, "a.py")
        ]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest_twisted.ensureDeferred
async def test_concurrent_clients_pipelined(driver):
    clients = await gatherResults([connect(reactor, driver.socket) for _ in range(8)])
    await clients[0].create_table(FILES)
    writes = [
        c.insert("files", {"client": n, "seq": s, "path": f"c{n}/f{s}.py"})
        for n, c in enumerate(clients)
        for s in range(100)
    ]
    ids = await gatherResults(writes)
    assert len(set(ids)) == 800
    counts = await gatherResults(
        [c.count("files", {"client": n}) for n, c in enumerate(clients)]
    )
    assert counts == [100] * 8
    stats = await clients[0].stats()
    assert stats["connections"] == 8
    assert stats["requests"]["failed"] == 0
    for c in clients:
        await c.close()
    with driver.sqlite() as db:
        rows = db.execute("SELECT client, seq, path FROM files ORDER BY client, seq")
        assert rows.fetchall() == [
            (n, s, f"c{n}/f{s}.py") for n in range(8) for s in range(100)
        ]


@pytest_twisted.ensureDeferred
async def test_sigterm_removes_socket_and_checkpoints(driver):
    client = await connect(reactor, driver.socket)
    await client.create_table(FILES)
    await client.insert_many(
        "files", [{"client": 1, "seq": s, "path": "p"} for s in range(500)]
    )
    status = driver.stop(signal.SIGTERM)
    assert status == -signal.SIGTERM  # twistd re-raises the signal it stopped on
    assert not os.path.exists(driver.socket)
    wal = driver.database + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0
    assert not os.path.exists(driver.database + "-journal")
    with driver.sqlite() as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (500,)
    assert "dbdriver stopped" in driver.log()


@pytest_twisted.ensureDeferred
async def test_kill_9_loses_no_acknowledged_write(start_driver, tmp_path):
    first = start_driver()
    clients = await gatherResults([connect(reactor, first.socket) for _ in range(4)])
    await clients[0].create_table(FILES)
    acknowledged = await gatherResults(
        [
            c.insert("files", {"client": n, "seq": s, "path": "x"})
            for n, c in enumerate(clients)
            for s in range(50)
        ]
    )
    first.stop(signal.SIGKILL)
    second = start_driver(directory=tmp_path)  # the stale socket is replaced
    client = await connect(reactor, second.socket)
    rows = await client.select("files", columns=["id"])
    assert sorted(r["id"] for r in rows) == sorted(acknowledged)
    assert (await client.execute("PRAGMA integrity_check"))["rows"] == [["ok"]]
    await client.close()


def test_second_instance_refuses_without_touching_anything(driver, tmp_path):
    other_db = tmp_path / "other.sqlite3"
    result = run_twistd(
        "-n",
        "--pidfile=",
        "dbdriver",
        f"--socket={driver.socket}",
        f"--database={other_db}",
        cwd=str(tmp_path),
    )
    assert result.returncode != 0
    assert "another server is listening" in result.stderr + result.stdout
    assert not other_db.exists()
    assert os.path.exists(driver.socket)
    probe = socket.socket(socket.AF_UNIX)
    probe.connect(driver.socket)  # the first server still accepts
    probe.close()


def test_stale_socket_is_replaced(start_driver, tmp_path):
    path = tmp_path / "driver.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody accepts on it
    started = start_driver()
    assert stat.S_ISSOCK(os.stat(started.socket).st_mode)
    assert "ready" in started.log()


def test_refuses_a_path_that_is_not_a_socket(tmp_path):
    (tmp_path / "driver.sock").write_text("precious")
    result = run_default(tmp_path)
    assert result.returncode != 0
    assert (tmp_path / "driver.sock").read_text() == "precious"


def test_a_file_that_is_not_a_database_fails_before_listening(tmp_path):
    (tmp_path / "db.sqlite3").write_bytes(b"not a database" * 100)
    result = run_default(tmp_path)
    assert result.returncode != 0
    assert "cannot open" in result.stderr + result.stdout
    assert not (tmp_path / "driver.sock").exists()


@pytest.mark.parametrize(
    "option",
    [
        "--database=oracle://x",
        "--mode=9z",
        "--queue-size=0",
        "--max-rows=-1",
        "--request-timeout=0",
        "--shutdown-timeout=-1",
        "--pool-size=x",
    ],
)
def test_bad_options_are_usage_errors(option, tmp_path):
    result = run_twistd("-n", "--pidfile=", "dbdriver", option, cwd=str(tmp_path))
    assert result.returncode != 0
    assert not (tmp_path / "dbdriver.sock").exists()


def test_twistd_lists_the_plugin(tmp_path):
    result = run_twistd("--help", cwd=str(tmp_path))
    assert result.returncode == 0
    assert any(line.split()[:1] == ["dbdriver"] for line in result.stdout.splitlines())
    help_text = run_twistd("dbdriver", "--help", cwd=str(tmp_path)).stdout
    for option in (
        "--socket",
        "--listen",
        "--mode",
        "--database",
        "--pool-size",
        "--queue-size",
        "--request-timeout",
        "--transaction-idle-timeout",
        "--max-message-size",
        "--read-only",
        "--no-raw-sql",
        "--shutdown-timeout",
        "--max-rows",
    ):
        assert option in help_text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_twisted.ensureDeferred
async def test_listen_endpoints_and_mode(start_driver, tmp_path):
    port = free_port()
    extra = tmp_path / "extra.sock"
    started = start_driver(
        f"--listen=tcp:{port}:interface=127.0.0.1",
        f"--listen=unix:{extra}",
        "--socket=" + str(tmp_path / "driver.sock"),
        "--mode=0660",
    )
    assert stat.S_IMODE(os.stat(started.socket).st_mode) == 0o660
    tcp = await connect_endpoint(
        clientFromString(reactor, f"tcp:host=127.0.0.1:port={port}")
    )
    assert await tcp.ping() == "pong"
    unix = await connect(reactor, str(extra))
    assert await unix.ping() == "pong"
    assert (await unix.stats())["connections"] == 2
    await tcp.close()
    await unix.close()


@pytest_twisted.ensureDeferred
async def test_read_only_and_no_raw_sql(start_driver, tmp_path):
    writer = start_driver()
    client = await connect(reactor, writer.socket)
    await client.create_table(FILES)
    await client.insert("files", {"client": 1, "seq": 1, "path": "kept"})
    await client.close()
    writer.stop()
    before = Path(writer.database).read_bytes()
    reader = start_driver("--read-only", "--no-raw-sql", database=writer.database)
    client = await connect(reactor, reader.socket)
    assert (await client.server_info())["read_only"] is True
    assert [r["path"] for r in await client.select("files")] == ["kept"]
    with pytest.raises(ReadOnly):
        await client.insert("files", {"client": 2, "seq": 2, "path": "no"})
    with pytest.raises(Forbidden):
        await client.execute("SELECT 1")
    await client.close()
    reader.stop()
    assert Path(writer.database).read_bytes() == before


@pytest_twisted.ensureDeferred
async def test_read_only_is_enforced_by_the_connection(start_driver, tmp_path):
    setup = start_driver()
    client = await connect(reactor, setup.socket)
    await client.create_table(FILES)
    await client.close()
    setup.stop()
    reader = start_driver("--read-only", database=setup.database)
    client = await connect(reactor, reader.socket)
    with pytest.raises(ReadOnly):
        await client.execute("INSERT INTO files (client, seq, path) VALUES (1, 1, 'x')")
    with pytest.raises(Forbidden):  # no request turns query_only off
        await client.execute("PRAGMA query_only = 0; ")
    with pytest.raises(ReadOnly):
        await client.execute("INSERT INTO files (client, seq, path) VALUES (1, 1, 'x')")
    await client.close()


@pytest_twisted.ensureDeferred
async def test_example_tac_runs(tmp_path):
    env = {
        "DBDRIVER_SOCKET": str(tmp_path / "tac.sock"),
        "DBDRIVER_DATABASE": str(tmp_path / "tac.sqlite3"),
    }
    process = DriverProcess(tmp_path, (), None)
    process.socket = env["DBDRIVER_SOCKET"]
    process.argv = lambda: [
        sys.executable,
        str(WRAPPER),
        "-n",
        "--pidfile=",
        "-y",
        str(ROOT / "tap" / "dbdriver.tac"),
    ]
    os.environ.update(env)
    try:
        process.start()
    finally:
        for key in env:
            del os.environ[key]
    client = await connect(reactor, process.socket)
    assert await client.ping() == "pong"
    await client.close()
    assert process.stop() == -signal.SIGTERM
    assert (tmp_path / "tac.sqlite3").exists()


@pytest_twisted.ensureDeferred
async def test_twistd_takes_ready_fd_and_exit_with_parent(tmp_path):
    """
    C{twistd -n dbdriver} shares the options of C{python -m dbdriver}
    (tests/process/test_main.py): the READY line, the end of the parent.
    """
    read, write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, str(WRAPPER), "-n", "--pidfile=", "dbdriver",
         f"--socket={tmp_path / 't.sock'}", f"--database={tmp_path / 't.db'}",
         f"--ready-fd={write}", "--exit-with-parent"],
        cwd=tmp_path, env=child_env(), stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=[write],
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as ready:
        assert ready.read() == f"READY {tmp_path / 't.sock'}\n".encode()
    client = await connect(reactor, str(tmp_path / "t.sock"))
    assert await client.ping() == "pong"
    await client.close()
    proc.stdin.close()
    assert proc.wait(30) == 0
    assert not (tmp_path / "t.sock").exists()


@pytest.mark.parametrize(("option", "level"), [((), 1), (("--synchronous=full",), 2)])
@pytest_twisted.ensureDeferred
async def test_synchronous_setting(start_driver, option, level):
    started = start_driver(*option)
    client = await connect(reactor, started.socket)
    assert (await client.execute("PRAGMA synchronous"))["rows"] == [[level]]
    await client.close()


def test_bad_synchronous_value(tmp_path):
    result = run_twistd("-n", "--pidfile=", "dbdriver", "--synchronous=off",
                        cwd=str(tmp_path))  # fmt: skip
    assert result.returncode != 0
    assert "--synchronous must be normal or full" in result.stdout + result.stderr
