"""
The L{DriverProcess} of the supervisor tests: the real child process, in a
fresh directory, stopped at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.supervisor import DriverProcess, RestartPolicy
from tests.conftest import child_env

STANDIN = Path(__file__).resolve().parent / "standin.py"
#: What follows python in the child's command line: the real CLI once it
#: exists (C{-m dbdriver}), the stand-in until then.
COMMAND = ("-m", "dbdriver") if os.environ.get("DBDRIVER_REAL_CLI") else (str(STANDIN),)


def make_process(directory: Path, **kwargs: Any) -> DriverProcess:
    """A L{DriverProcess} on C{directory}/db.sqlite3 and C{directory}/d.sock."""
    kwargs.setdefault("database", str(directory / "db.sqlite3"))
    kwargs.setdefault("policy", RestartPolicy(initial=0.05, attempts=3))
    return DriverProcess(
        reactor,
        socket=str(directory / "d.sock"),
        env=child_env(),
        command=COMMAND,
        **kwargs,
    )


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Any]:
    """C{supervised(**kwargs)} makes and starts a L{DriverProcess}."""
    made: list[DriverProcess] = []

    def start(**kwargs: Any) -> DriverProcess:
        process = make_process(tmp_path, **kwargs)
        made.append(process)
        process.startService()
        return process

    yield start
    for process in made:
        if process.running:
            pytest_twisted.blockon(process.stopService())
