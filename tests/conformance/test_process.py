"""
The real process (C{twistd -n dbdriver}) on each server backend, driven
through the real client; credentials never reach its log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect
from tests.conftest import DriverProcess
from tests.support.backends import Database, _with_query
from tests.support.data import PROJECTS

pytestmark = pytest.mark.servers

SECRET = "s3cret-Pa55"


def _with_password(database: Database) -> str:
    """
    The database's URI with a password the server never asks for (trust
    authentication), where the backend allows one; else the plain URI.
    """
    if database.backend == "postgresql":
        return _with_query(database.uri, password=SECRET)
    return database.uri


@pytest_twisted.ensureDeferred
async def test_serves_through_twistd(start_driver: Any, database: Database) -> None:
    uri = _with_password(database)
    process: DriverProcess = start_driver("--pool-size=3", database=uri)
    client = await connect(reactor, process.socket)  # type: ignore[arg-type]
    info = await client.server_info()
    assert info["backend"] == database.backend
    assert SECRET not in repr(info)
    assert await client.create_table(PROJECTS) is True
    keys = [await client.insert("projects", {"name": str(n)}) for n in range(3)]
    rows = await client.select("projects", order_by=["id"])
    assert rows == [{"id": k, "name": str(n)} for n, k in enumerate(keys)]
    async with client.transaction() as tx:
        await tx.delete("projects", {"id": keys[0]})
    assert await client.count("projects") == 2
    assert database.sql("SELECT count(*) FROM projects") == [(2,)]
    await client.close()
    process.stop()
    log = process.log()
    assert "dbdriver ready" in log
    assert SECRET not in log
    if uri != database.uri:
        assert "password=***" in log


def test_refuses_to_start_without_its_server(
    start_driver: Any, database: Database, tmp_path: Path
) -> None:
    scheme = database.uri.split("://")[0]
    uri = f"{scheme}://root:{SECRET}@127.0.0.1:1/nowhere"
    process: DriverProcess = start_driver(database=uri, wait=False)
    assert process.wait(60) != 0
    log = process.log()
    assert "cannot open" in log, log
    assert SECRET not in log
    assert "***" in log
    assert not Path(process.socket).exists()
