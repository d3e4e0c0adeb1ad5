"""
L{dbdriver.drivers.backend}: the defaults of L{Backend} (pool size from the
settings or 4, one write group at a time, transactions that begin with
their first statement, recovery by rollback) and what each backend keeps
or overrides of them.
"""

from __future__ import annotations

import sqlite3

import pytest
from twisted.internet import reactor

from dbdriver.drivers.backend import Backend
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver


class Minimal(Backend):
    def check(self) -> None:
        pass

    def make_pools(self):  # type: ignore[no-untyped-def]
        raise AssertionError("not used")

    def prepare(self, cursor) -> None:  # type: ignore[no-untyped-def]
        pass

    def interrupt(self, connection) -> None:  # type: ignore[no-untyped-def]
        pass


def test_it_is_abstract() -> None:
    with pytest.raises(TypeError):
        Backend(Config(database=":memory:"), reactor)  # type: ignore[abstract]


def test_defaults() -> None:
    backend = Minimal(Config(database=":memory:"), reactor)
    assert backend.pool_size == 4 and backend.write_concurrency == 1
    assert Minimal(Config(database=":memory:", pool_size=7), reactor).pool_size == 7
    connection = sqlite3.connect(":memory:", isolation_level=None)
    cursor = connection.cursor()
    assert backend.begin_group(cursor) is None
    assert backend.begin_pinned(cursor) is None
    assert backend.begin_snapshot(cursor) is None
    assert not connection.in_transaction  # none of them began one
    assert backend.transaction_alive(connection)
    assert backend.reusable(connection)
    assert isinstance(backend.stream_cursor(connection), sqlite3.Cursor)


def test_recover_rolls_back() -> None:
    backend = Minimal(Config(database=":memory:"), reactor)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.commit()
    connection.execute("INSERT INTO t VALUES (1)")
    assert connection.in_transaction
    backend.recover(connection)
    assert not connection.in_transaction
    assert connection.execute("SELECT count(*) FROM t").fetchall() == [(0,)]


@pytest.mark.parametrize(
    "database", [":memory:", "postgresql://u@db/app", "mysql://u@db/app"]
)
def test_each_backend_is_a_backend(database: str) -> None:
    driver = make_driver(Config(database=database, pool_size=3), reactor)
    assert isinstance(driver.dbms, Backend)
    assert driver.dbms.write_concurrency >= 1
    assert driver.dbms.pool_size >= 1
