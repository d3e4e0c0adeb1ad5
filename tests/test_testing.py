"""
L{dbdriver.testing}, the helper applications use in their own tests:
L{start_driver} (an in-memory database by default, settings passed on to
the server, nothing left in the directory), L{RunningDriver.client} and
L{RunningDriver.stop} (closes the clients it made, then the driver).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.exceptions import ConnectionLost
from dbdriver.server.config import Config
from dbdriver.testing import RunningDriver, start_driver

T = {"name": "t", "columns": [{"name": "v", "type": "text"}]}


@pytest_twisted.ensureDeferred
async def test_start_client_stop_leaves_nothing_behind(tmp_path: Path) -> None:
    running = await start_driver(tmp_path)
    assert isinstance(running, RunningDriver)
    assert running.socket_path == str(tmp_path / "driver.sock")
    assert running.reactor is reactor
    assert running.service.config == Config(database=":memory:")
    assert os.listdir(tmp_path) == ["driver.sock"]  # the database is in memory
    client = await running.client()
    assert await client.ping() == "pong"
    await running.stop()
    assert os.listdir(tmp_path) == []
    assert not running.service.running


@pytest_twisted.ensureDeferred
async def test_stop_closes_every_client_it_made(tmp_path: Path) -> None:
    running = await start_driver(tmp_path)
    clients = [await running.client() for _ in range(3)]
    assert running.clients == clients
    assert len({id(c) for c in clients}) == 3  # a new connection each time
    assert (await clients[0].stats())["connections"] == 3
    await running.stop()
    assert running.clients == []
    for client in clients:
        with pytest.raises(ConnectionLost):
            await client.ping()


@pytest_twisted.ensureDeferred
async def test_stop_after_a_client_closed_itself(tmp_path: Path) -> None:
    running = await start_driver(tmp_path)
    client = await running.client()
    await client.close()
    await running.stop()
    assert not os.path.lexists(running.socket_path)


@pytest_twisted.ensureDeferred
async def test_settings_reach_the_server(tmp_path: Path) -> None:
    running = await start_driver(tmp_path, queue_size=7, max_rows=3, read_only=True)
    try:
        client = await running.client()
        info = await client.server_info()
        assert info["read_only"] is True
        assert info["limits"]["queue_size"] == 7
        assert info["limits"]["max_rows"] == 3
    finally:
        await running.stop()


def test_an_unknown_setting_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        start_driver(tmp_path, queue_sise=7)
    assert os.listdir(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_each_in_memory_driver_has_its_own_database(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = await start_driver(tmp_path / "a")
    second = await start_driver(tmp_path / "b")
    try:
        one, two = await first.client(), await second.client()
        assert await one.create_table(T) is True
        await one.insert("t", {"v": "only in the first"})
        assert await two.list_tables() == []
        assert await two.create_table(T) is True  # no clash with the first's t
        assert await two.count("t") == 0
    finally:
        await first.stop()
        await second.stop()


@pytest_twisted.ensureDeferred
async def test_a_database_file_outlives_the_driver(tmp_path: Path) -> None:
    database = tmp_path / "app.sqlite3"
    running = await start_driver(tmp_path, database=str(database))
    client = await running.client()
    await client.create_table(T)
    await client.insert("t", {"v": "kept"})
    await running.stop()
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("SELECT v FROM t").fetchall() == [("kept",)]
    assert not (tmp_path / "driver.sock").exists()


@pytest_twisted.ensureDeferred
async def test_a_second_driver_in_the_same_directory_is_refused(
    tmp_path: Path,
) -> None:
    running = await start_driver(tmp_path)
    try:
        with pytest.raises(SystemExit, match="another server is listening"):
            start_driver(tmp_path)
        client = await running.client()  # the first one still serves
        assert await client.ping() == "pong"
    finally:
        await running.stop()
