"""
Fixtures of the conformance suite: every test that asks for C{backend} runs
once per selected backend (see _backends.py), each on a database of its
own, through a real driver started in the test's reactor
(L{dbdriver.testing.start_driver}) and the real client.

Tests marked C{servers} run on the server backends only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.backends import SERVERS, Database, create, require, selected
from tests.support.live import driver_on


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "servers: run on the server backends (not SQLite) only"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    names, _ = selected()
    if metafunc.definition.get_closest_marker("servers"):
        names = [n for n in names if n in SERVERS]
    metafunc.parametrize("backend", names, ids=names)


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """
    A fresh database on C{backend}, dropped after the test; a backend that
    cannot run here is skipped (or fails, when chosen explicitly).
    """
    require(backend)
    db = create(backend, tmp_path)
    try:
        yield db
    finally:
        db.drop()


@pytest_twisted.async_yield_fixture()
async def running(database: Database, tmp_path: Path) -> AsyncIterator[RunningDriver]:
    """
    A driver on the test's database, default settings.
    """
    async with driver_on(database, tmp_path / "driver") as started:
        yield started


@pytest_twisted.async_fixture()
async def client(running: RunningDriver) -> DriverClient:
    """
    A client of L{running} (closed when it stops).
    """
    return await running.client()
