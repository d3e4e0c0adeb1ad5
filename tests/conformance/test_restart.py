"""
A lost server connection (the server restarted, or ended the driver's
sessions) while the driver runs: the request that meets it answers
C{unavailable} saying the connection was lost (C{details.applied}
C{"unknown"}, or C{false} if it never ran), the next one succeeds on a new
connection, and a transaction pinned to a lost connection answers
C{unknown_transaction} afterwards, never silently continued.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.exceptions import DriverError
from dbdriver.testing import RunningDriver
from tests.support.backends import SLOW_SQL, Database
from tests.support.data import PROJECTS, error_of
from tests.support.live import sleep

pytestmark = pytest.mark.servers


def _says_lost(error: DriverError) -> None:
    assert error.code == "unavailable", error
    assert error.details["applied"] in (False, "unknown"), error.details
    assert "connection" in error.message and "lost" in error.message, error.message


async def _at_most_one_failure(client: DriverClient) -> int:
    """The first request after the loss may fail (saying why); the next works."""
    try:
        await client.count("projects")
    except DriverError as e:
        _says_lost(e)
    return int(await client.count("projects"))


@pytest_twisted.ensureDeferred
async def test_sessions_ended_under_the_driver(
    running: RunningDriver, client: DriverClient, database: Database
) -> None:
    await client.create_table(PROJECTS)
    for n in range(8):  # open several pool connections
        await client.insert("projects", {"name": str(n)})
        await client.count("projects")
    assert database.kill_connections() > 0
    assert await _at_most_one_failure(client) == 8
    assert await client.insert("projects", {"name": "after"}) is not None
    assert await client.count("projects") == 9
    # again, with requests in flight at once
    database.kill_connections()
    counts = [client.count("projects") for _ in range(6)]
    outcomes = []
    for d in counts:
        try:
            outcomes.append(await d)
        except DriverError as e:
            _says_lost(e)
    assert await client.count("projects") == 9
    assert set(outcomes) <= {9}


@pytest_twisted.ensureDeferred
async def test_a_statement_running_when_the_session_ends(
    client: DriverClient, database: Database, backend: str
) -> None:
    await client.create_table(PROJECTS)
    slow = error_of(client.execute(SLOW_SQL[backend], timeout=20))
    await sleep(0.5)  # it runs
    assert database.kill_connections() > 0
    _says_lost(await slow)
    assert await _at_most_one_failure(client) == 0


@pytest_twisted.ensureDeferred
async def test_an_open_transaction_on_a_lost_connection_ends(
    running: RunningDriver, client: DriverClient, database: Database
) -> None:
    await client.create_table(PROJECTS)
    await client.insert("projects", {"name": "committed"})
    tx = await client.transaction().begin()
    await tx.insert("projects", {"name": "uncommitted"})
    assert database.kill_connections() > 0
    try:
        await tx.count("projects")
    except DriverError as e:
        if e.code != "unknown_transaction":
            _says_lost(e)
    else:
        pytest.fail("the transaction went on on a lost connection")
    error = await error_of(tx.count("projects"))
    assert error.code == "unknown_transaction"
    error = await error_of(client.commit_transaction(tx.transaction_id or ""))
    assert error.code == "unknown_transaction"
    other = await running.client()
    assert await _at_most_one_failure(other) == 1
    assert await other.select("projects", columns=["name"]) == [{"name": "committed"}]
    assert (await other.stats())["transactions_open"] == 0


@pytest_twisted.ensureDeferred
async def test_transactions_after_the_sessions_ended(
    client: DriverClient, database: Database
) -> None:
    await client.create_table(PROJECTS)
    for n in range(3):  # connections kept idle for the next transaction
        async with client.transaction() as tx:
            await tx.insert("projects", {"name": f"before {n}"})
    assert database.kill_connections() > 0
    failures = 0
    for n in range(3):
        try:
            async with client.transaction() as tx:
                await tx.insert("projects", {"name": f"after {n}"})
        except DriverError as e:
            _says_lost(e)
            failures += 1
    assert failures <= 1
    assert await _at_most_one_failure(client) == 6 - failures
