"""
L{dbdriver.drivers.sqlite.driver}: the file in WAL mode, foreign keys on,
C{--read-only} that opens it C{mode=ro} (and a missing file refused by
C{check}), C{:memory:} shared by the driver's connections, and SQLite's
errors translated to protocol errors.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.drivers.sqlite.driver import SQLiteBackend, sqlite_target
from dbdriver.exceptions import (
    ConstraintViolation,
    Forbidden,
    NoSuchColumn,
    NoSuchTable,
    ReadOnly,
    SQLError,
)
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver
from tests.support.direct import connected


def test_sqlite_target() -> None:
    assert sqlite_target("sqlite:/tmp/x.db") == "/tmp/x.db"
    assert sqlite_target("/tmp/y.db") == "/tmp/y.db"


@pytest_twisted.ensureDeferred
async def test_wal_and_foreign_keys(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, db):
        assert db.sql("PRAGMA journal_mode") == [("wal",)]
        pragmas = await driver.execute(
            "SELECT * FROM pragma_foreign_keys, pragma_recursive_triggers"
        )
        assert pragmas["rows"] == [[1, 1]]
        await driver.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        await driver.execute("CREATE TABLE c (p INTEGER REFERENCES p (id))")
        with pytest.raises(ConstraintViolation):
            await driver.execute("INSERT INTO c VALUES (7)")


@pytest_twisted.ensureDeferred
async def test_read_only(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    with pytest.raises(OSError):
        SQLiteBackend(Config(database=str(path), read_only=True), reactor).check()
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    driver = make_driver(Config(database=str(path), read_only=True), reactor)
    driver.check()
    await driver.connect()
    try:
        with pytest.raises(ReadOnly):
            await driver.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(Forbidden):  # no request turns query_only off
            await driver.execute("PRAGMA query_only = 0")
        with pytest.raises(ReadOnly):
            await driver.execute("INSERT INTO t VALUES (1)")
        assert (await driver.execute("SELECT count(*) FROM t"))["rows"] == [[0]]
    finally:
        await driver.disconnect()


def test_check_refuses_a_file_that_is_no_database(tmp_path: Path) -> None:
    path = tmp_path / "junk"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        SQLiteBackend(Config(database=str(path)), reactor).check()


@pytest_twisted.ensureDeferred
async def test_memory_is_shared_by_its_connections() -> None:
    driver = make_driver(Config(database=":memory:"), reactor)
    await driver.connect()
    try:
        await driver.execute("CREATE TABLE t (x INTEGER)")
        await driver.execute("INSERT INTO t VALUES (1)")
        assert (await driver.execute("SELECT x FROM t"))["rows"] == [[1]]
        assert await driver.select("t") == [{"x": 1}]
    finally:
        await driver.disconnect()


def test_translate_error() -> None:
    backend = SQLiteBackend(Config(database=":memory:"), reactor)
    translate = backend.translate_error
    assert translate(ValueError("x")) is None
    table = translate(sqlite3.OperationalError("no such table: nope"))
    assert isinstance(table, NoSuchTable) and table.details == {"table": "nope"}
    column = translate(sqlite3.OperationalError("table t has no column named z"))
    assert isinstance(column, NoSuchColumn)
    assert isinstance(translate(sqlite3.IntegrityError("UNIQUE")), ConstraintViolation)
    assert isinstance(translate(sqlite3.OperationalError("near x")), SQLError)
    named = translate(sqlite3.IntegrityError("CHECK constraint failed: t_n_check"))
    assert named is not None and named.details == {"constraint": "t_n_check"}
    unnamed = translate(
        sqlite3.IntegrityError('CHECK constraint failed: length("c") <= 5')
    )
    assert isinstance(unnamed, ConstraintViolation) and unnamed.details is None


@pytest_twisted.ensureDeferred
async def test_composite_foreign_keys_and_checks_are_enforced(tmp_path: Path) -> None:
    parent = {
        "name": "p",
        "columns": [{"name": "a", "type": "text"}, {"name": "b", "type": "integer"}],
        "primary_key": ["a", "b"],
    }
    child = {
        "name": "c",
        "columns": [
            {"name": "a", "type": "text", "max_length": 3},
            {"name": "b", "type": "integer", "check": {"b": {">": 0}}},
        ],
        "foreign_keys": [
            {"columns": ["a", "b"], "references": {"table": "p", "columns": ["a", "b"]}}
        ],
    }
    async with connected("sqlite", tmp_path) as (driver, _):
        await driver.create_table(parent)
        await driver.create_table(child)
        await driver.insert("p", {"a": "x", "b": 1})
        await driver.insert("c", {"a": "x", "b": 1})
        for row in ({"a": "x", "b": 2}, {"a": "long", "b": 1}):
            with pytest.raises(ConstraintViolation):
                await driver.insert("c", row)
        with pytest.raises(ConstraintViolation) as caught:
            await driver.insert("c", {"a": "x", "b": -1})
        assert caught.value.details == {"constraint": "c_b_check"}
        assert await driver.select("c") == [{"a": "x", "b": 1}]
