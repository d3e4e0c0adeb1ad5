"""
Fixtures of the MySQL/MariaDB backend tests: a fresh database on the
server for each test (dropped afterwards), a driver started in the test's
reactor on it, and a client.

C{DBDRIVER_TEST_MYSQL} (C{mysql://user:pass@host:port/}, default root on
127.0.0.1:3306) names a server where the tests may create databases.  An
unreachable server skips the tests, unless C{DBDRIVER_TEST_BACKENDS} lists
C{mysql}: then it is a failure (and a list without it skips them).
"""

from __future__ import annotations

import contextlib
import functools
import os
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.live import driver_on

__all__ = ["MYSQL", "MySQLDatabase", "client", "driver_on", "mysql_db", "running"]

MYSQL = os.environ.get("DBDRIVER_TEST_MYSQL", "mysql://root@127.0.0.1:3306/")


def admin(database: str | None = None) -> Any:
    """
    A connection of the tests' own to the server (autocommit).
    """
    import pymysql

    parts = urllib.parse.urlsplit(MYSQL)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=urllib.parse.unquote(parts.username or "root"),
        password=urllib.parse.unquote(parts.password or ""),
        database=database,
        autocommit=True,
        connect_timeout=3,
        charset="utf8mb4",
    )


@functools.cache
def unreachable() -> str | None:
    """
    Why the tests cannot run here, or C{None}.
    """
    try:
        admin().close()
    except Exception as e:
        return f"MySQL/MariaDB at {MYSQL} is not reachable: {e}"
    return None


def required() -> bool | None:
    """
    C{DBDRIVER_TEST_BACKENDS} lists mysql (C{True}), lists others only
    (C{False}), or is not set (C{None}).
    """
    names = os.environ.get("DBDRIVER_TEST_BACKENDS")
    if names is None:
        return None
    return "mysql" in [n.strip() for n in names.split(",")]


class MySQLDatabase:
    """
    A database of one test.

    @ivar uri: the C{--database} value of a driver on it.
    """

    def __init__(self) -> None:
        self.name = f"dbd_my_{uuid.uuid4().hex[:12]}"
        self.admin = admin()
        self.sql(f"CREATE DATABASE `{self.name}`")
        self.admin.select_db(self.name)
        self.uri = MYSQL.rstrip("/") + "/" + self.name

    def sql(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Rows of a statement run on the tests' own connection."""
        with self.admin.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    def sessions(self) -> list[int]:
        """The ids of the driver's connections to the database."""
        rows = self.sql(
            "SELECT id FROM information_schema.processlist "
            "WHERE db = %s AND id <> CONNECTION_ID()",
            [self.name],
        )
        return [int(r[0]) for r in rows]

    def kill_connections(self) -> int:
        """End every session of the driver (as a server restart would)."""
        ids = self.sessions()
        for session in ids:
            with contextlib.suppress(Exception):  # it ended meanwhile
                self.sql(f"KILL {session}")
        return len(ids)

    def drop(self) -> None:
        try:
            self.kill_connections()
            self.sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        finally:
            self.admin.close()


@pytest.fixture
def mysql_db() -> Iterator[MySQLDatabase]:
    """A fresh database, dropped after the test."""
    if required() is False:
        pytest.skip("DBDRIVER_TEST_BACKENDS does not list mysql")
    reason = unreachable()
    if reason is not None:
        if required():
            pytest.fail(f"{reason} (DBDRIVER_TEST_BACKENDS asks for mysql)")
        pytest.skip(reason)
    database = MySQLDatabase()
    try:
        yield database
    finally:
        database.drop()


@pytest_twisted.async_yield_fixture()
async def running(
    mysql_db: MySQLDatabase, tmp_path: Path
) -> AsyncIterator[RunningDriver]:
    """A driver on the test's database, default settings."""
    async with driver_on(mysql_db, tmp_path / "driver") as started:
        yield started


@pytest_twisted.async_fixture()
async def client(running: RunningDriver) -> DriverClient:
    """A client of L{running}."""
    return await running.client()
