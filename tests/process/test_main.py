"""
C{python -m dbdriver} (and the C{dbdriver} console script, the same code in
L{dbdriver.server.cli}) as a real subprocess: its own help and version, the
READY line on C{--ready-fd}, the exit status of a SIGTERM shutdown and of a
start-up failure, C{--exit-with-parent}, C{--pidfile}, the log format.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver import __version__, connect
from dbdriver.server.cli import CommandOptions
from tests.conftest import ROOT, child_env

#: A line of Twisted's text format: time, [namespace#level], text.
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} "
    r"\[[^\]\s]+#(debug|info|warn|error|critical)\] "
)


def run_main(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbdriver", *args],
        cwd=cwd,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


class Child:
    """
    One C{python -m dbdriver} with a ready pipe and stdin on a pipe.
    """

    def __init__(self, directory: Path, *args: str, env: dict[str, str] | None = None):
        self.directory = directory
        self.socket = directory / "driver.sock"
        self.stderr_path = directory / f"stderr-{time.monotonic_ns()}.log"
        read, write = os.pipe()
        self.ready_pipe = read
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dbdriver",
                    f"--socket={self.socket}",
                    f"--database={directory / 'db.sqlite3'}",
                    f"--ready-fd={write}",
                    *args,
                ],
                cwd=directory,
                env=child_env(**(env or {})),
                stdin=subprocess.PIPE,
                stderr=stderr,
                pass_fds=[write],
            )
        os.close(write)

    def ready_line(self) -> str:
        """Everything the child writes on the ready fd (to its close)."""
        chunks = []
        while chunk := os.read(self.ready_pipe, 4096):
            chunks.append(chunk)
        os.close(self.ready_pipe)
        return b"".join(chunks).decode()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()


@pytest.fixture
def spawn(tmp_path: Path):
    children: list[Child] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Child:
        child = Child(tmp_path, *args, env=env)
        children.append(child)
        return child

    yield start
    for child in children:
        child.stop()


def test_help_is_dbdriver_s_own(tmp_path: Path) -> None:
    result = run_main("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: dbdriver [options]")
    for option in ("--pidfile", "--ready-fd", "--exit-with-parent", "--database"):
        assert option in result.stdout
    assert "twistd" not in result.stdout


def test_version_is_dbdriver_s(tmp_path: Path) -> None:
    result = run_main("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"dbdriver {__version__}\n"


@pytest_twisted.ensureDeferred
async def test_ready_line_then_serves_then_sigterm_exits_0(spawn, tmp_path):
    child = spawn()
    assert child.ready_line() == f"READY {child.socket}\n"
    client = await connect(reactor, str(child.socket))
    assert await client.ping() == "pong"
    await client.close()
    child.proc.send_signal(signal.SIGTERM)
    assert child.proc.wait(30) == 0
    assert not child.socket.exists()
    assert not (tmp_path / "twistd.pid").exists()
    lines = child.stderr().splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), lines
    assert any("dbdriver ready" in line for line in lines)
    assert any("dbdriver stopped" in line for line in lines)


def test_exit_with_parent_on_end_of_stdin(spawn):
    child = spawn("--exit-with-parent")
    assert child.ready_line().startswith("READY ")
    assert child.proc.stdin is not None
    child.proc.stdin.close()
    assert child.proc.wait(2) == 0
    assert not child.socket.exists()
    assert "the parent is gone" in child.stderr()


def test_exit_with_parent_and_stdin_already_at_its_end(tmp_path):
    result = run_main(
        f"--socket={tmp_path / 's.sock'}", "--exit-with-parent", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "the parent is gone" in result.stderr
    assert not (tmp_path / "s.sock").exists()


def test_without_exit_with_parent_stdin_is_not_watched(spawn):
    child = spawn()
    assert child.ready_line().startswith("READY ")
    assert child.proc.stdin is not None
    child.proc.stdin.close()
    with pytest.raises(subprocess.TimeoutExpired):
        child.proc.wait(0.5)
    child.proc.send_signal(signal.SIGTERM)
    assert child.proc.wait(30) == 0


@pytest.mark.parametrize(
    ("database", "reason"),
    [
        ("oracle://x", "unknown database URI scheme"),
        ("{dir}/missing/db.sqlite3", "cannot open"),
        ("{dir}/junk.sqlite3", "cannot open"),
    ],
)
def test_bad_database_exits_1_with_the_reason(spawn, tmp_path, database, reason):
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database" * 100)
    child = spawn(f"--database={database.format(dir=tmp_path)}")
    assert child.proc.wait(30) == 1
    assert child.ready_line() == ""
    assert reason in child.stderr()
    assert not child.socket.exists()


def test_a_live_socket_exits_1(spawn, tmp_path):
    first = spawn()
    assert first.ready_line().startswith("READY ")
    second = spawn()
    assert second.proc.wait(30) == 1
    assert second.ready_line() == ""
    assert f"another server is listening on {first.socket}" in second.stderr()
    assert first.proc.poll() is None


def test_pidfile_only_when_asked(spawn, tmp_path):
    pidfile = tmp_path / "run" / "d.pid"
    pidfile.parent.mkdir()
    child = spawn(f"--pidfile={pidfile}")
    assert child.ready_line().startswith("READY ")
    assert pidfile.read_text() == f"{child.proc.pid}\n"
    assert not (tmp_path / "twistd.pid").exists()
    child.proc.send_signal(signal.SIGTERM)
    assert child.proc.wait(30) == 0
    assert not pidfile.exists()


def test_ready_names_the_first_listener_without_socket(tmp_path):
    extra = tmp_path / "extra.sock"
    read, write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbdriver", f"--listen=unix:{extra}",
         f"--ready-fd={write}", "--exit-with-parent"],
        cwd=tmp_path, env=child_env(), stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL, pass_fds=[write],
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read, "rb") as ready:
            assert ready.read() == f"READY {extra}\n".encode()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(30) == 0


@pytest_twisted.ensureDeferred
async def test_the_console_script_is_the_same_command(tmp_path):
    read, write = os.pipe()
    code = "from dbdriver.server.cli import run_database_driver; run_database_driver()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, f"--socket={tmp_path / 'c.sock'}",
         f"--database={tmp_path / 'c.sqlite3'}", f"--ready-fd={write}"],
        cwd=tmp_path, env=child_env(), stderr=subprocess.DEVNULL, pass_fds=[write],
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as ready:
        assert ready.read() == f"READY {tmp_path / 'c.sock'}\n".encode()
    client = await connect(reactor, str(tmp_path / "c.sock"))
    assert await client.ping() == "pong"
    await client.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert not (tmp_path / "twistd.pid").exists()


def test_usage_error_exits_1(tmp_path):
    result = run_main("--queue-size=0", cwd=tmp_path)
    assert result.returncode == 1
    assert "dbdriver --help" in result.stderr


def _exec_start(unit: Path) -> list[str]:
    text = unit.read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    return line.removeprefix("ExecStart=").split()


@pytest.mark.parametrize("name", ["dbdriver.service", "dbdriver-standalone.service"])
def test_the_systemd_units_run_this_command(name: str) -> None:
    unit = ROOT / "tap" / name
    lines = unit.read_text().splitlines()
    assert "Type=notify" in lines
    argv = _exec_start(unit)
    assert argv[:3] == ["/usr/bin/env", "python3", "-m"]
    assert argv[3] == "dbdriver"
    options = CommandOptions()
    options.parseOptions(argv[4:])  # every option is the command's
    assert options["database"] == "/var/lib/dbdriver/dbdriver.sqlite3"
