"""
The driver as an engine composed with a backend (L{dbdriver.drivers.base}):
each backend's driver class builds its backend object
(L{dbdriver.drivers.backend.Backend}), its table operations
(L{dbdriver.drivers.sqlite.operations}, L{dbdriver.drivers.mysql.statements},
...) and hands them to the engine (L{dbdriver.drivers.engine.engine}),
without opening a connection.
"""

from __future__ import annotations

import pytest
from twisted.internet import reactor

from dbdriver.drivers.backend import Backend
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.drivers.engine.engine import Engine
from dbdriver.drivers.mysql.driver import MySQLBackend, MySQLDriver
from dbdriver.drivers.mysql.operations import MySQLOperations
from dbdriver.drivers.mysql.statements import MySQLStatements
from dbdriver.drivers.postgresql.driver import PostgreSQLBackend, PostgreSQLDriver
from dbdriver.drivers.postgresql.operations import PostgreSQLOperations
from dbdriver.drivers.sql.operations import TableOperations
from dbdriver.drivers.sqlite.driver import SQLiteBackend, SQLiteDriver
from dbdriver.drivers.sqlite.inline import InlineReader
from dbdriver.drivers.sqlite.operations import SQLiteOperations
from dbdriver.server.config import Config

CASES = [
    (SQLiteDriver, ":memory:", SQLiteBackend, SQLiteOperations, "sqlite"),
    (
        PostgreSQLDriver,
        "postgresql://u:pw@db/app",
        PostgreSQLBackend,
        PostgreSQLOperations,
        "postgresql",
    ),
    (MySQLDriver, "mysql://u:pw@db/app", MySQLBackend, MySQLOperations, "mysql"),
]


@pytest.mark.parametrize(("driver_class", "database", "backend", "ops", "name"), CASES)
def test_each_driver_composes_its_backend(
    driver_class: type[BaseDatabaseDriver],
    database: str,
    backend: type[Backend],
    ops: type[TableOperations],
    name: str,
) -> None:
    driver = driver_class(Config(database=database), reactor)
    assert isinstance(driver, BaseDatabaseDriver)
    assert type(driver.dbms) is backend
    assert type(driver.operations) is ops
    assert isinstance(driver.engine, Engine)
    assert driver.engine.backend is driver.dbms
    assert driver.engine.operations is driver.operations
    assert driver.backend == name == driver.operations.backend
    assert driver.operations.schema_backend is not None
    assert not driver.connected
    assert (driver.open_transactions, driver.open_cursors) == (0, 0)


def test_only_sqlite_reads_inline() -> None:
    sqlite = SQLiteDriver(Config(database=":memory:"), reactor)
    assert sqlite.inline_reads and isinstance(sqlite.inline, InlineReader)
    postgresql = PostgreSQLDriver(Config(database="postgresql:///app"), reactor)
    assert not postgresql.inline_reads and postgresql.inline is None
    assert postgresql.run_inline(object()) is False  # type: ignore[arg-type]


def test_mysql_dialect_follows_the_server() -> None:
    driver = MySQLDriver(Config(database="mysql://u@db/app"), reactor)
    operations = driver.operations
    assert isinstance(operations, MySQLStatements)
    assert isinstance(driver.dbms, MySQLBackend)
    driver.dbms._detect("8.0.36")
    assert operations.dialect is operations.sql
    assert not operations.mariadb and not operations.sql.returning
    driver.dbms._detect("10.11.6-MariaDB")
    assert operations.mariadb and operations.sql.returning
    with pytest.raises(RuntimeError, match="too old"):
        driver.dbms._detect("5.7.44")


def test_sqlite_operations_know_their_file(tmp_path: object) -> None:
    driver = SQLiteDriver(Config(database=f"sqlite:{tmp_path}/x.db"), reactor)
    operations = driver.operations
    assert isinstance(operations, SQLiteOperations)
    file = operations.file
    assert file.path == f"{tmp_path}/x.db" and not file.memory
    assert file.uri.startswith("file:") and "mode=rw" in file.uri
