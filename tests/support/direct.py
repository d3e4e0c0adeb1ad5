"""
A driver used directly (no server): connected on a fresh, isolated
database of one backend (L{tests.support.backends}), disconnected after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from twisted.internet import reactor

from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver
from tests.support.backends import Database, create, require


def database_for(backend: str, directory: Path) -> Database:
    """A fresh database on C{backend}, or skip (fail if asked for)."""
    require(backend)
    return create(backend, directory)


@asynccontextmanager
async def connected(
    backend: str, directory: Path, **config: Any
) -> AsyncIterator[tuple[BaseDatabaseDriver, Database]]:
    """A connected driver on a fresh database of C{backend}, and it."""
    database = database_for(backend, directory)
    config.setdefault("backup_root", str(directory / "backups"))
    try:
        driver = make_driver(Config(database=database.uri, **config), reactor)
        await driver.connect()
        try:
            yield driver, database
        finally:
            await driver.disconnect()
    finally:
        database.drop()
