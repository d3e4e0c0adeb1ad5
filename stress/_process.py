"""
The driver under test, a real C{twistd -n dbdriver} subprocess (the
benchmark's L{bench._driver.Subprocess}), and what the campaign asks of it:
killing, restarting, its memory, the errors in its log.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench._driver import Subprocess, driver_argv, proc_status

from ._wire import wait_for

__all__ = ["Driver", "proc_status", "run_cases"]


class Driver:
    """
    The driver on C{database}, listening on C{directory}/driver.sock,
    restartable (the same database, the same options).
    """

    def __init__(self, directory: Path, database: str, *options: str) -> None:
        self.directory = directory
        self.database = database
        self.options = list(options)
        self.socket = str(directory / "driver.sock")
        self.starts = 0
        self.problems: list[str] = []
        self.process: Subprocess | None = None

    def start(self) -> Driver:
        self.starts += 1
        argv = driver_argv(self.socket, self.database, *self.options)
        self.process = Subprocess("driver", self.directory, argv)
        wait_for(self.socket)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.proc.poll() is None

    def rss_mb(self) -> float:
        """Resident memory now (0 once gone)."""
        return proc_status(self.pid).get("VmRSS", 0.0)

    def hwm_mb(self) -> float:
        """The peak resident memory since the process started."""
        return proc_status(self.pid).get("VmHWM", 0.0)

    def kill(self) -> None:
        """C{kill -9}, and wait until it is gone."""
        assert self.process is not None
        os.kill(self.pid, signal.SIGKILL)
        self.process.proc.wait()
        self._collect()

    def stop(self) -> int | None:
        """SIGTERM (the process's exit status; None if it was not running)."""
        if self.process is None:
            return None
        self.process.stop()
        self._collect()
        return self.process.proc.returncode

    def log_tail(self, lines: int = 20) -> str:
        return self.process.log_tail(lines) if self.process else ""

    def _collect(self) -> None:
        assert self.process is not None
        found = self.process.problems(limit=10)
        self.problems.extend(f"driver run {self.starts}: {line}" for line in found)
        self.process.stop()
        log = self.process.log_path
        if log.exists():
            log.rename(log.with_name(f"driver{self.starts}.log"))


def run_cases(
    name: str,
    directory: Path,
    cases: tuple[str, ...],
    functions: Mapping[str, Callable[[Path, list[str]], dict[str, Any]]],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """
    Run each of C{cases}, C{functions[case](its directory, problems)}; the
    figures of all, their problems prefixed with the case.
    """
    figures: dict[str, Any] = {"cases": list(cases)}
    problems: list[str] = []
    for case in cases:
        say(f"{name}: {case}")
        (directory / case).mkdir()
        found: list[str] = []
        started = time.monotonic()
        figures[case] = functions[case](directory / case, found)
        figures[case]["seconds"] = round(time.monotonic() - started, 1)
        problems += [f"{case}: {p}" for p in found]
    figures["problems"] = problems
    return figures
