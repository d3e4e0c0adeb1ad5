"""
The processes under test: the real driver (C{twistd -n dbdriver}) and the
bare netstring echo server of W7, each a subprocess of its own, plus what
C{/proc} says about them (RSS, peak RSS, CPU time).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from . import ROOT

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: Every subprocess started and not yet stopped (stopped at exit whatever
#: happens, see L{stop_all}).
LIVE: list[Subprocess] = []

#: Error lines found in the logs of the stopped subprocesses.
PROBLEMS: list[str] = []


def wait_for_socket(path: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """
    Block until a Unix socket at C{path} accepts a connection; raise if the
    process exits first or C{timeout} passes.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving")
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(path)
            return
        except OSError:
            time.sleep(0.02)
        finally:
            probe.close()
    raise RuntimeError(f"nothing accepted connections on {path} in {timeout} s")


def proc_status(pid: int) -> dict[str, float]:
    """
    C{VmRSS} and C{VmHWM} (peak RSS) of a process, in MB, from
    C{/proc/PID/status}; empty once the process is gone.
    """
    found: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    found[key] = int(value.split()[0]) / 1024.0
    except OSError:
        return {}
    return found


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process used so far (C{/proc/PID/stat})."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class Subprocess:
    """
    A server subprocess listening on a Unix socket in C{directory}; its
    output goes to a log file there.

    @ivar socket: the socket's path.
    @ivar proc: the running process.
    """

    def __init__(self, name: str, directory: Path, argv: list[str]) -> None:
        self.name = name
        self.socket = str(directory / f"{name}.sock")
        self.log_path = directory / f"{name}.log"
        self._log: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            [*argv],
            cwd=directory,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        LIVE.append(self)
        try:
            wait_for_socket(self.socket, self.proc, timeout=30)
        except Exception:
            self.stop()
            raise RuntimeError(f"{name} did not start:\n{self.log_tail()}") from None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> dict[str, float]:
        """C{VmRSS}/C{VmHWM} in MB."""
        return proc_status(self.pid)

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the process's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def problems(self, limit: int = 5) -> list[str]:
        """Lines of the process's log that report errors (tracebacks, ...)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        marks = ("Traceback", "Unhandled", "internal error", "CRITICAL", "#error]")
        found = [line for line in text.splitlines() if any(m in line for m in marks)]
        return found[:limit] + (
            [f"... {len(found) - limit} more"] if found[limit:] else []
        )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 20 seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if self in LIVE:
            LIVE.remove(self)
            for line in self.problems():
                PROBLEMS.append(f"{self.name} log: {line}")


def stop_all() -> None:
    """Stop every subprocess still running (the bench is exiting)."""
    for process in list(LIVE):
        process.stop()


def driver_argv(socket: str | Path, database: str | Path, *options: str) -> list[str]:
    """
    The command line of the real driver in the foreground, without a
    pidfile, on C{socket} and C{database} (shared with C{stress/}).
    """
    return [
        sys.executable,
        "-c",
        "from twisted.scripts.twistd import run; run()",
        "-n",
        "--pidfile=",
        "dbdriver",
        f"--socket={socket}",
        f"--database={database}",
        *options,
    ]


class DriverProcess(Subprocess):
    """
    The real driver, C{twistd -n --pidfile= dbdriver}, on a fresh database
    file in C{directory}.

    @ivar database: the SQLite file.
    """

    def __init__(self, name: str, directory: Path, *options: str) -> None:
        self.database = directory / f"{name}.sqlite3"
        argv = driver_argv(directory / f"{name}.sock", self.database, *options)
        self.options = list(options)
        super().__init__(name, directory, argv)


class EchoProcess(Subprocess):
    """The W7 anchor: L{bench._echo} in a process of its own."""

    def __init__(self, name: str, directory: Path) -> None:
        argv = [sys.executable, "-m", "bench._echo", str(directory / f"{name}.sock")]
        super().__init__(name, directory, argv)
