"""
L{dbdriver.drivers.base}: the driver's lifecycle (C{connect} and
C{disconnect}, C{connected}, C{run} after disconnect answers
C{shutting_down}) and the translation of exceptions that are not protocol
errors (C{OverflowError}: C{invalid_params}; anything else: C{internal}).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver import requests as rq
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.exceptions import InternalError, InvalidParams, ShuttingDown
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver
from tests.support.direct import connected


@pytest_twisted.ensureDeferred
async def test_lifecycle(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    driver = make_driver(Config(database=str(path)), reactor)
    assert isinstance(driver, BaseDatabaseDriver)
    assert not driver.connected
    with pytest.raises(ShuttingDown):
        await driver.run(rq.ExecuteRequest(sql="SELECT 1"))
    await driver.connect()
    assert driver.connected and path.exists()
    assert (await driver.run(rq.ExecuteRequest(sql="SELECT 2")))["rows"] == [[2]]
    await driver.disconnect()
    assert not driver.connected
    with pytest.raises(ShuttingDown):
        await driver.run(rq.ExecuteRequest(sql="SELECT 1"))


@pytest_twisted.ensureDeferred
async def test_a_failed_connect_leaves_it_disconnected(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "d.sqlite3"
    driver = make_driver(Config(database=str(missing)), reactor)
    with pytest.raises(Exception):  # noqa: B017 - whatever sqlite3 raises
        await driver.connect()
    assert not driver.connected


def test_database_label_masks_the_password() -> None:
    driver = make_driver(Config(database="postgresql://u:secret@db/app"), reactor)
    assert "secret" not in driver.database_label
    assert driver.pool_size == driver.dbms.pool_size


def overflow(value: object) -> object:
    raise OverflowError("Python int too large to convert")


def broken(value: object) -> object:
    raise RuntimeError("a bug")


@pytest_twisted.ensureDeferred
async def test_overflow_is_invalid_params_other_errors_internal(
    tmp_path: Path,
) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        request = rq.ExecuteRequest(sql="SELECT 1")
        with pytest.raises(InvalidParams):
            await driver.run(request, finish=overflow)
        with pytest.raises(InternalError) as caught:
            await driver.run(request, finish=broken)
        assert "RuntimeError" in caught.value.message
        assert caught.value.code == "internal"
        # The driver still serves.
        assert (await driver.run(request))["rows"] == [[1]]


@pytest_twisted.ensureDeferred
async def test_disconnect_rolls_back_open_transactions(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, db):
        await driver.run(rq.ExecuteRequest(sql="CREATE TABLE t (x INTEGER)"))
        tid = await driver.begin_transaction()
        await driver.run(
            rq.ExecuteRequest(sql="INSERT INTO t VALUES (1)"), transaction_id=tid
        )
        assert driver.open_transactions == 1
        await driver.disconnect()
        assert driver.open_transactions == 0
        assert db.sql("SELECT count(*) FROM t") == [(0,)]
