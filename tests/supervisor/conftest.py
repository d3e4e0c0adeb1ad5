"""
The L{DriverProcess} of the supervisor tests: the real child process
(C{python -m dbdriver}), in a fresh directory, stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.supervisor import DriverProcess, RestartPolicy
from tests.conftest import child_env


def make_process(directory: Path, **kwargs: Any) -> DriverProcess:
    """A L{DriverProcess} on C{directory}/db.sqlite3 and C{directory}/d.sock."""
    kwargs.setdefault("database", str(directory / "db.sqlite3"))
    kwargs.setdefault("policy", RestartPolicy(initial=0.05, attempts=3))
    return DriverProcess(
        reactor,
        socket=str(directory / "d.sock"),
        env=child_env(),
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
