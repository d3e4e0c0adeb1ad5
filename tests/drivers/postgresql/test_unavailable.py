"""
PROTOCOL.md section 3: a PostgreSQL server that is down answers
C{unavailable}, never C{sql_error}, with C{details.applied}: C{false} when
the request never reached a server (it could not connect), C{"unknown"}
when the connection was lost while it ran.  On a private server
(L{tests.support.private_pg}) killed with C{pg_ctl stop -m immediate} and
started again, under a real C{twistd dbdriver} process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect
from dbdriver.client import DriverClient
from tests.support.backends import require
from tests.support.live import error_of, sleep
from tests.support.private_pg import PrivatePostgreSQL, private_postgresql

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}


@asynccontextmanager
async def _on_a_private_server(
    start_driver: Any,
) -> AsyncIterator[tuple[PrivatePostgreSQL, DriverClient]]:
    """A driver process on a private server, a client, and table C{t}."""
    require("postgresql")
    with private_postgresql() as server:
        driver = start_driver(database=server.uri)
        client = await connect(reactor, driver.socket)
        try:
            await client.create_table(T)
            yield server, client
        finally:
            await client.close()


@pytest_twisted.ensureDeferred
async def test_a_server_that_goes_down_and_comes_back(start_driver) -> None:
    async with _on_a_private_server(start_driver) as (server, client):
        await client.insert("t", {"id": 1, "v": "before"})
        server.kill()
        for call in (
            client.insert("t", {"id": 2, "v": "down"}),
            client.select("t"),
            client.begin_transaction(),
            client.execute("SELEC 1"),  # not a syntax error: not sent
        ):
            error = await error_of(call)
            assert error.code == "unavailable", error
            assert error.details["applied"] is False, error.details
            assert "cannot connect to the PostgreSQL server" in error.message
        server.start()
        assert await client.select("t") == [{"id": 1, "v": "before"}]
        await client.insert("t", {"id": 3, "v": "after"})
        assert await client.count("t") == 2
        error = await error_of(client.execute("SELEC 1"))
        assert error.code == "sql_error"  # the server is back: SQL is wrong


@pytest_twisted.ensureDeferred
async def test_a_server_lost_while_a_request_runs(start_driver) -> None:
    async with _on_a_private_server(start_driver) as (server, client):
        slow = error_of(
            client.execute(
                "INSERT INTO t (id, v) SELECT 1, 'x' FROM pg_sleep(5)",
                timeout=30,
            )
        )
        tx = await client.transaction().begin()
        await tx.insert("t", {"id": 2, "v": "in tx"})
        await sleep(0.5)
        server.kill()
        error = await slow
        assert error.code == "unavailable", error
        assert error.details["applied"] == "unknown", error.details
        assert "lost" in error.message
        committing = await error_of(tx.commit())
        assert committing.code in ("unavailable", "unknown_transaction")
        server.start()
        assert await client.count("t") == 0
