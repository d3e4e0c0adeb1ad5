"""
The SQLite file through the real process (PROTOCOL.md section 9 and issue
12): the database and its WAL and SHM files are owner-only whatever the
umask; a file deleted under the running driver makes writes C{unavailable}
(not C{read_only}), logged at error; C{--no-create} refuses to start on a
missing file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect
from dbdriver.client import DriverClient
from tests.conftest import DriverProcess
from tests.process.test_database_driver_process import run_twistd
from tests.server.test_driver_rpc_server import TABLE
from tests.support.data import error_of


async def _with_a_row(driver: DriverProcess) -> DriverClient:
    """A client of C{driver}, once the table holds one row."""
    client = await connect(reactor, driver.socket)
    await client.create_table(TABLE)
    await client.insert("t", {"id": 1, "v": "x"})
    return client


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest_twisted.ensureDeferred
async def test_database_wal_and_shm_are_owner_only_whatever_the_umask(
    start_driver, tmp_path
):
    old = os.umask(0)
    try:
        driver = start_driver()
    finally:
        os.umask(old)
    client = await _with_a_row(driver)
    database = driver.database
    for path in (database, database + "-wal", database + "-shm"):
        assert mode(path) == 0o600, path
    await client.close()


@pytest_twisted.ensureDeferred
async def test_a_deleted_file_makes_writes_unavailable(start_driver, tmp_path):
    driver = start_driver()
    client = await _with_a_row(driver)
    os.unlink(driver.database)
    for i in range(2, 5):
        error = await error_of(client.insert("t", {"id": i, "v": "lost"}))
        assert error.code == "unavailable", error
        assert error.details["applied"] is False
        assert "is gone" in error.message
    assert (await client.ping()) is not None
    await client.close()
    driver.stop()
    log = driver.log()
    assert "is gone (deleted or moved)" in log
    assert "[dbdriver.drivers.sqlite.driver.SQLiteBackend#error]" in log


def test_no_create_refuses_to_start_on_a_missing_file(tmp_path):
    result = run_twistd(
        "-n", "--pidfile=", "dbdriver", "--socket=driver.sock",
        "--database=missing.sqlite3", "--no-create", cwd=str(tmp_path),
    )  # fmt: skip
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "missing.sqlite3 does not exist" in output
    assert "--no-create" in output
    assert not (tmp_path / "missing.sqlite3").exists()
    assert not (tmp_path / "driver.sock").exists()


def test_no_create_starts_on_an_existing_file(start_driver, tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "db.sqlite3").close()
    (tmp_path / "db.sqlite3").write_bytes(b"")
    driver = start_driver("--no-create")
    assert driver.proc is not None and driver.proc.poll() is None
