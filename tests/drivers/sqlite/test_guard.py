"""
L{dbdriver.drivers.sqlite.guard}: the authorizer on every SQLite
connection of the driver, on a plain connection (the process tests in
tests/process/test_sqlite_read_only.py drive it through the driver).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dbdriver.drivers.sqlite.guard import GuardedConnection, GuardedCursor, SessionGuard
from dbdriver.exceptions import DriverError, Forbidden, InvalidParams, ReadOnly


def _connection(read_only: bool = False, allow: bool = False) -> GuardedConnection:
    connection = sqlite3.connect(
        ":memory:", isolation_level=None, factory=GuardedConnection
    )
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.install(SessionGuard(read_only, allow))
    return connection


def _refused(connection: GuardedConnection, sql: str) -> type[DriverError]:
    with pytest.raises(DriverError) as raised:
        connection.cursor().execute(sql)
    return type(raised.value)


def test_session_statements_are_forbidden(tmp_path: Path) -> None:
    connection = _connection()
    assert isinstance(connection.cursor(), GuardedCursor)
    for sql in (
        "PRAGMA foreign_keys = OFF",
        f"ATTACH '{tmp_path / 'x.db'}' AS x",
        "CREATE TEMP TABLE tt (x INTEGER)",
        "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
    ):
        assert _refused(connection, sql) is Forbidden, sql
    assert not (tmp_path / "x.db").exists()
    cursor = connection.cursor()
    assert cursor.execute("PRAGMA foreign_keys").fetchall() == [(0,)]
    assert len(cursor.execute("PRAGMA table_info(t)").fetchall()) == 1
    cursor.execute("INSERT INTO t VALUES (1)")


def test_raw_sql_may_not_control_transactions() -> None:
    connection = _connection()
    connection.cursor().execute("BEGIN")  # the driver's own (now cached)
    connection.cursor().execute("ROLLBACK")
    with connection.raw():
        assert _refused(connection, "BEGIN") is InvalidParams
        assert _refused(connection, "SAVEPOINT s") is InvalidParams


def test_trusted_statements_run() -> None:
    connection = _connection()
    with connection.trusted():
        connection.cursor().execute("PRAGMA foreign_keys = ON")
    assert connection.execute("PRAGMA foreign_keys").fetchall() == [(1,)]
    # the same statement, cached while trusted, is checked again after
    assert _refused(connection, "PRAGMA foreign_keys = ON") is Forbidden


def test_read_only_refuses_temporary_writes_even_when_allowed() -> None:
    for allow in (False, True):
        connection = _connection(read_only=True, allow=allow)
        assert _refused(connection, "CREATE TEMP TABLE tt (x)") is ReadOnly
    assert _refused(connection, "PRAGMA query_only = OFF") is ReadOnly
    assert _refused(connection, "ATTACH ':memory:' AS x") is ReadOnly


def test_allow_session_sql() -> None:
    connection = _connection(allow=True)
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = OFF")
    cursor.execute("ATTACH ':memory:' AS x")
    cursor.execute("CREATE TEMP TABLE tt (x INTEGER)")
    cursor.execute("INSERT INTO tt VALUES (1)")
    assert connection.cursor(sqlite3.Cursor).execute("SELECT x FROM tt").fetchall() == [
        (1,)
    ]
