"""
L{dbdriver.server.driver_factory}: which backend each C{--database} value
names (every URI scheme of PROTOCOL.md section 8, SQLite paths), unknown
schemes refused, and L{make_driver} building each backend's class (or
saying what to install when its module cannot be imported).  Building a
driver opens nothing, so no database server is needed.
"""

from __future__ import annotations

import sys

import pytest
from twisted.internet.task import Clock

from dbdriver.drivers.mysql.driver import MySQLDriver
from dbdriver.drivers.postgresql.driver import PostgreSQLDriver
from dbdriver.drivers.sqlite.driver import SQLiteDriver
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import (
    UnsupportedDatabase,
    backend_name,
    make_driver,
)

NAMES = [
    ("postgresql://u@localhost/db", "postgresql"),
    ("postgres://u:p@db.example:5433/db?sslmode=require", "postgresql"),
    ("mysql://u:p@localhost:3306/db", "mysql"),
    ("mariadb://u@127.0.0.1/db", "mysql"),
    ("dbdriver.sqlite3", "sqlite"),
    ("/var/lib/app/db.sqlite3", "sqlite"),
    ("relative/dir/db", "sqlite"),
    (":memory:", "sqlite"),
    ("sqlite:db.sqlite3", "sqlite"),
    ("sqlite:///abs/path/db.sqlite3", "sqlite"),
    ("sqlite://rel.db", "sqlite"),
    # a path that merely contains a scheme's name is still a path
    ("postgresql.db", "sqlite"),
    ("dir/mysql:/db", "sqlite"),
]


@pytest.mark.parametrize(("database", "name"), NAMES, ids=[n[0] for n in NAMES])
def test_backend_name(database: str, name: str) -> None:
    assert backend_name(database) == name


@pytest.mark.parametrize(
    "database",
    ["oracle://scott@db/orcl", "mssql://x", "http://example.com/db", "POSTGRESQL://x"],
)
def test_unknown_schemes_are_refused(database: str) -> None:
    with pytest.raises(UnsupportedDatabase) as raised:
        backend_name(database)
    scheme = database.split("://")[0]
    assert repr(scheme) in str(raised.value)
    assert "postgresql://" in str(raised.value)  # says what would do


def test_unsupported_database_is_a_value_error() -> None:
    assert issubclass(UnsupportedDatabase, ValueError)


@pytest.mark.parametrize(
    ("database", "cls", "backend"),
    [
        (":memory:", SQLiteDriver, "sqlite"),
        ("sqlite:x.db", SQLiteDriver, "sqlite"),
        ("postgresql://u@localhost/db", PostgreSQLDriver, "postgresql"),
        ("postgres://u@localhost/db", PostgreSQLDriver, "postgresql"),
        ("mysql://u@localhost/db", MySQLDriver, "mysql"),
        ("mariadb://u@localhost/db", MySQLDriver, "mysql"),
    ],
)
def test_make_driver_gives_each_backends_class(
    database: str, cls: type, backend: str
) -> None:
    clock = Clock()
    config = Config(database=database, pool_size=3)
    driver = make_driver(config, clock)
    assert type(driver) is cls
    assert driver.backend == backend
    assert driver.config is config
    assert driver.reactor is clock
    assert not driver.connected  # built, not connected
    assert driver.pool_size == 3


def test_make_driver_refuses_unknown_schemes() -> None:
    with pytest.raises(UnsupportedDatabase):
        make_driver(Config(database="oracle://x"), Clock())


@pytest.mark.parametrize(
    ("database", "module", "needs", "extra"),
    [
        ("mysql://u@h/db", "dbdriver.drivers.mysql.driver", "PyMySQL", "mysql"),
        (
            "postgresql://u@h/db",
            "dbdriver.drivers.postgresql.driver",
            "psycopg 3",
            "postgresql",
        ),
    ],
)
def test_a_backend_that_cannot_be_imported_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
    database: str,
    module: str,
    needs: str,
    extra: str,
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(UnsupportedDatabase) as raised:
        make_driver(Config(database=database), Clock())
    message = str(raised.value)
    assert needs in message
    assert f"pip install 'dbdriver[{extra}]'" in message
    assert raised.value.__suppress_context__  # the ImportError is in the message
