"""
The backends of the conformance suite, and a fresh, isolated database for
each test on each of them.

C{DBDRIVER_TEST_BACKENDS} (a comma list, default all three) selects them.
A selected backend whose server is unreachable, or whose driver module is
not there, is skipped with the reason, unless the variable was set: then
it is a failure (CI sets it, so a missing server never passes silently).

Where the servers are: C{DBDRIVER_TEST_POSTGRESQL} (a libpq URI of a
database the tests may create schemas in; default the local Unix socket,
database C{test}) and C{DBDRIVER_TEST_MYSQL} (C{mysql://user:pass@host:port/}
of a server where the tests may create databases; default root on
127.0.0.1:3306).  PostgreSQL tests each get a schema of their own (the
driver's C{search_path}), MySQL tests a database of their own; both are
dropped afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.mysql import MYSQL
from tests.support.mysql import admin as _mysql_admin

BACKENDS = ("sqlite", "postgresql", "mysql")
SERVERS = ("postgresql", "mysql")
POSTGRESQL = os.environ.get(
    "DBDRIVER_TEST_POSTGRESQL", "postgresql:///test?host=/var/run/postgresql"
)

#: A statement that runs for seconds (SQLite: until interrupted).
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(5)",
}


def selected() -> tuple[list[str], bool]:
    """
    The backends to run, and whether they were chosen explicitly.
    """
    value = os.environ.get("DBDRIVER_TEST_BACKENDS")
    if value is None:
        return list(BACKENDS), False
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown:
        raise ValueError(f"DBDRIVER_TEST_BACKENDS: unknown backends {unknown}")
    return names, True


def _driver_missing(name: str, uri: str) -> str | None:
    from twisted.internet import reactor

    from dbdriver.server.config import Config
    from dbdriver.server.driver_factory import UnsupportedDatabase, make_driver

    try:
        make_driver(Config(database=uri), reactor)
    except (UnsupportedDatabase, ImportError) as e:
        return f"the {name} driver is not available: {e}"
    return None


@functools.cache
def unavailable(name: str) -> str | None:
    """
    Why a backend cannot run here, or C{None}.
    """
    if name == "sqlite":
        return None
    if name == "postgresql":
        try:
            import psycopg

            psycopg.connect(POSTGRESQL, connect_timeout=3).close()
        except Exception as e:
            return f"PostgreSQL at {POSTGRESQL} is not reachable: {e}"
        return _driver_missing(name, POSTGRESQL)
    try:
        _mysql_admin(None).close()
    except Exception as e:
        return f"MySQL at {MYSQL} is not reachable: {e}"
    return _driver_missing(name, MYSQL.rstrip("/") + "/mysql")


class Database:
    """
    One test's isolated database on one backend.

    @ivar uri: the C{--database} value that points a driver at it.
    """

    backend = ""
    uri = ""

    def sql(self, statement: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """
        Run a statement on a connection of the test's own (the backend's
        paramstyle); its rows.
        """
        raise NotImplementedError()

    def kill_connections(self) -> int:
        """
        End every session the driver has open on the database (as a server
        restart would); how many.
        """
        raise NotImplementedError()

    def drop(self) -> None:
        raise NotImplementedError()


class SQLiteDatabase(Database):
    backend = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.uri = str(directory / "db.sqlite3")

    def sql(self, statement: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.uri, timeout=10) as connection:
            return connection.execute(statement, params).fetchall()

    def drop(self) -> None:
        pass


def require(name: str) -> None:
    """
    Skip a test whose backend cannot run here, or fail it when
    C{DBDRIVER_TEST_BACKENDS} asks for that backend.
    """
    reason = unavailable(name)
    if reason is None:
        return
    names, explicit = selected()
    if explicit and name in names:
        pytest.fail(f"{reason} (DBDRIVER_TEST_BACKENDS asks for it)")
    pytest.skip(reason)


def _with_query(uri: str, **params: str) -> str:
    separator = "&" if "?" in uri else "?"
    return uri + separator + urllib.parse.urlencode(params)


class PostgreSQLDatabase(Database):
    backend = "postgresql"

    def __init__(self) -> None:
        import psycopg

        self.schema = f"dbd_{uuid.uuid4().hex[:12]}"
        self.admin = psycopg.connect(POSTGRESQL, autocommit=True)
        self.admin.execute(f'CREATE SCHEMA "{self.schema}"')
        # The application name tells this test's sessions from any other's.
        self.uri = _with_query(
            POSTGRESQL,
            options=f"-csearch_path={self.schema}",
            application_name=self.schema,
        )

    def sql(self, statement: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.admin.cursor() as cursor:
            cursor.execute(f'SET search_path = "{self.schema}"')
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def kill_connections(self) -> int:
        rows = self.admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = %s",
            [self.schema],
        ).fetchall()
        return int(rows[0][0])

    def drop(self) -> None:
        try:
            self.kill_connections()
            self.admin.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        finally:
            self.admin.close()


class MySQLDatabase(Database):
    backend = "mysql"

    def __init__(self) -> None:
        self.name = f"dbd_{uuid.uuid4().hex[:12]}"
        self.admin = _mysql_admin(None)
        with self.admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
        self.admin.select_db(self.name)
        self.uri = MYSQL.rstrip("/") + "/" + self.name

    def sql(self, statement: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.admin.cursor() as cursor:
            cursor.execute(statement, params or None)
            return list(cursor.fetchall())

    def kill_connections(self) -> int:
        with self.admin.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = %s AND id <> CONNECTION_ID()",
                [self.name],
            )
            ids = [row[0] for row in cursor.fetchall()]
            for session in ids:
                with contextlib.suppress(Exception):  # it ended meanwhile
                    cursor.execute(f"KILL {int(session)}")
        return len(ids)

    def drop(self) -> None:
        try:
            self.kill_connections()
            with self.admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
        finally:
            self.admin.close()


def create(name: str, directory: Path) -> Database:
    """
    A fresh database for one test.
    """
    if name == "sqlite":
        return SQLiteDatabase(directory)
    if name == "postgresql":
        return PostgreSQLDatabase()
    return MySQLDatabase()
