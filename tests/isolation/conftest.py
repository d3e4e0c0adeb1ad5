"""
One real driver process (C{twistd -n dbdriver}) per backend and set of
options, shared by the permutations that need it, on a database of its own
with the specs' table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import DriverProcess
from tests.isolation.runner import TABLE, Connection
from tests.support.backends import Database, create, require

#: Every spec's driver: short lock waits, so that a waiting step ends soon.
#: MariaDB rounds the busy timeout up to whole seconds.
OPTIONS = ("--busy-timeout=1", "--pool-size=8")

Started = tuple[DriverProcess, Connection]


@pytest.fixture(scope="session")
def isolation_driver(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, tuple[str, ...]], Started]]:
    """
    C{isolation_driver(backend, options)}: a driver on C{backend} with
    L{OPTIONS} and C{options}, and a setup connection to it; started once.
    """
    started: dict[tuple[str, tuple[str, ...]], Started] = {}
    databases: list[Database] = []

    def get(backend: str, options: tuple[str, ...]) -> Started:
        require(backend)
        key = (backend, options)
        if key not in started:
            directory = tmp_path_factory.mktemp(f"iso-{backend}")
            database = create(backend, directory)
            databases.append(database)
            process = DriverProcess(directory, (*OPTIONS, *options), database.uri)
            process.start()
            setup = Connection(process.socket)
            setup.call("create_table", {"schema": TABLE})
            started[key] = (process, setup)
        return started[key]

    yield get
    for process, setup in started.values():
        setup.close()
        process.stop()
    for database in databases:
        database.drop()
