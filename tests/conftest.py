"""
Fixtures that start the real driver process (C{twistd -n dbdriver}) and
connect the real client to it.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = Path(__file__).resolve().parent / "support" / "twistd_cov.py"
#: Its sitecustomize starts coverage in every Python child (see child_env).
SITECOV = Path(__file__).resolve().parent / "support" / "sitecov"


def child_env(**extra: str) -> dict[str, str]:
    """
    The environment of a driver subprocess: this checkout first on the path,
    and coverage measurement when the tests run under coverage (any Python
    child: C{tests/support/sitecov/sitecustomize.py} starts it).
    """
    env = dict(os.environ)
    measured = "coverage" in sys.modules
    env["PYTHONPATH"] = os.pathsep.join(
        p
        for p in (str(SITECOV) if measured else None, str(ROOT), env.get("PYTHONPATH"))
        if p
    )
    if measured:
        env["DBDRIVER_COVERAGE_RC"] = str(ROOT / "pyproject.toml")
        env["DBDRIVER_COVERAGE_DATA"] = str(ROOT / ".coverage")
    env.update(extra)
    return env


class DriverProcess:
    """
    One C{twistd -n dbdriver} subprocess.
    """

    def __init__(self, directory: Path, options: tuple[str, ...], database: str | None):
        self.directory = directory
        self.socket = str(directory / "driver.sock")
        self.database = (
            database if database is not None else str(directory / "db.sqlite3")
        )
        self.options = options
        self.log_path = directory / f"twistd-{time.monotonic_ns()}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        argv = [sys.executable, str(WRAPPER), "-n", "--pidfile=", "dbdriver"]
        if not any(o.startswith("--listen") for o in self.options) or any(
            o.startswith("--socket") for o in self.options
        ):
            argv.append(f"--socket={self.socket}")
        return [*argv, f"--database={self.database}", *self.options]

    def start(self, wait: bool = True, timeout: float = 20.0) -> DriverProcess:
        env = child_env()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            self.argv(),
            cwd=self.directory,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._accepts():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"driver exited {self.proc.returncode}:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"driver not ready after {timeout} s:\n{self.log()}"
                )
            time.sleep(0.02)

    def _accepts(self) -> bool:
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(self.socket)
        except OSError:
            return False
        finally:
            probe.close()
        return True

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def send(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"driver did not stop on {signum}:\n{self.log()}"
            ) from None
        finally:
            self._log.close()

    def sqlite(self) -> sqlite3.Connection:
        """
        A plain sqlite3 connection to the same file, to check what the
        driver wrote.
        """
        return sqlite3.connect(self.database, timeout=10)


@pytest.fixture
def start_driver(tmp_path: Path) -> Iterator[object]:
    """
    C{start_driver(*options, database=None, wait=True)} starts a driver
    process in a fresh directory; all are stopped at teardown.
    """
    started: list[DriverProcess] = []

    def start(
        *options: str,
        database: str | None = None,
        wait: bool = True,
        directory: Path | None = None,
    ) -> DriverProcess:
        process = DriverProcess(directory or tmp_path, options, database)
        started.append(process)
        return process.start(wait=wait)

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def driver(start_driver: object) -> DriverProcess:
    """
    A driver process on a fresh SQLite file, default options.
    """
    return start_driver()  # type: ignore[operator, no-any-return]
