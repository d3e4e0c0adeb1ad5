"""
Helpers of the tests that drive the real server in-process, through the
real client, over a real Unix socket (L{dbdriver.testing.start_driver}),
on a SQLite file that a plain C{sqlite3} connection reads to check results.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import reactor
from twisted.internet.task import deferLater

import dbdriver.client.protocol
from dbdriver.exceptions import DriverError
from dbdriver.testing import RunningDriver, start_driver

__all__ = [
    "db_path",
    "error_of",
    "eventually",
    "query",
    "running_driver",
    "sleep",
    "unchecked",
]


def db_path(directory: Path) -> str:
    """The database file of the driver started in C{directory}."""
    return str(directory / "db.sqlite3")


@asynccontextmanager
async def running_driver(
    directory: Path, **config: Any
) -> AsyncIterator[RunningDriver]:
    """A driver on C{directory}/db.sqlite3 with C{config}, stopped on exit."""
    running = await start_driver(directory, database=db_path(directory), **config)
    try:
        yield running
    finally:
        await running.stop()


@asynccontextmanager
async def driver_on(
    database: Any, directory: Path, **config: Any
) -> AsyncIterator[RunningDriver]:
    """
    A driver on C{database} (anything with a C{uri}: a server database of
    the tests), its socket in C{directory}, stopped on exit; its backup
    root is C{backups} beside C{directory} unless C{config} names one.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config.setdefault("backup_root", str(directory.parent / "backups"))
    running = await start_driver(directory, database=database.uri, **config)
    try:
        yield running
    finally:
        await running.stop()


def query(
    directory: Path, sql: str, params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Rows read by a plain sqlite3 connection to the driver's file."""
    with closing(sqlite3.connect(db_path(directory), timeout=10)) as connection:
        return connection.execute(sql, params).fetchall()


async def error_of(call: Awaitable[Any]) -> DriverError:
    """The protocol error C{call} failed with; the test fails if it succeeded."""
    try:
        value = await call
    except DriverError as e:
        return e
    pytest.fail(f"expected a protocol error, got the result {value!r}")


async def sleep(seconds: float) -> None:
    """Let the reactor run for C{seconds}."""
    await deferLater(reactor, seconds, lambda: None)


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 10.0
) -> None:
    """Poll C{check} until it is true; fail after a generous C{timeout}."""
    waited = 0.0
    while not await check():
        if waited >= timeout:
            pytest.fail(f"still not true after {timeout} s: {what}")
        await sleep(0.05)
        waited += 0.05


def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Make the client send params as given, without its local validation, so
    that the server's own checks answer.
    """
    monkeypatch.setattr(
        dbdriver.client.protocol, "_validate", lambda method, params: None
    )
