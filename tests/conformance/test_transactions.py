"""
Transactions (PROTOCOL.md section 6) and their isolation, seen by two
clients, on every backend.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver

from ._backends import SLOW_SQL
from ._data import PROJECTS, error_of


async def _two(running: RunningDriver) -> tuple[DriverClient, DriverClient]:
    first, second = await running.client(), await running.client()
    await first.create_table(PROJECTS)
    await first.insert("projects", {"name": "committed"})
    return first, second


async def _names(client: Any) -> list[str]:
    rows = await client.select("projects", columns=["name"], order_by=["name"])
    return [r["name"] for r in rows]


@pytest_twisted.ensureDeferred
async def test_commit_is_seen_by_others_only_after_it(running: RunningDriver) -> None:
    first, second = await _two(running)
    tx = await first.transaction().begin()
    await tx.insert("projects", {"name": "new"})
    assert await _names(tx) == ["committed", "new"]  # its own writes
    assert await _names(second) == ["committed"]  # not yet for others
    assert (await second.stats())["transactions_open"] == 1
    await tx.commit()
    assert await _names(second) == ["committed", "new"]


@pytest_twisted.ensureDeferred
async def test_rollback_discards(running: RunningDriver) -> None:
    first, second = await _two(running)
    tx = await first.transaction().begin()
    key = await tx.insert("projects", {"name": "gone"})
    assert await tx.update("projects", {"name": "committed"}, {"name": "x"}) == 1
    assert await tx.count("projects", {"id": key}) == 1
    await tx.rollback()
    assert await _names(second) == ["committed"]
    assert await _names(first) == ["committed"]


@pytest_twisted.ensureDeferred
async def test_a_failed_request_leaves_the_transaction_usable(
    running: RunningDriver,
) -> None:
    first, second = await _two(running)
    async with first.transaction() as tx:
        await tx.insert("projects", {"name": "one"})
        error = await error_of(tx.insert("projects", {"name": "one"}))
        assert error.code == "constraint_violation"
        assert (await error_of(tx.select("nope"))).code == "no_such_table"
        assert (await error_of(tx.execute("SELEC"))).code == "sql_error"
        await tx.insert("projects", {"name": "two"})
        result = await tx.execute("SELECT count(*) FROM projects")
        assert result["rows"] == [[3]]
    assert await _names(second) == ["committed", "one", "two"]


@pytest_twisted.ensureDeferred
async def test_connection_close_rolls_back(running: RunningDriver) -> None:
    first, second = await _two(running)
    tx = await first.transaction().begin()
    await tx.insert("projects", {"name": "lost"})
    await first.close()

    async def closed() -> bool:
        return (await second.stats())["transactions_open"] == 0

    for _ in range(100):
        if await closed():
            break
    assert await closed()
    assert await _names(second) == ["committed"]


@pytest_twisted.ensureDeferred
async def test_a_timeout_ends_the_transaction(
    running: RunningDriver, backend: str
) -> None:
    first, second = await _two(running)
    tx = await first.transaction().begin()
    await tx.insert("projects", {"name": "undone"})
    error = await error_of(tx.execute(SLOW_SQL[backend], timeout=0.3))
    assert error.code == "timeout"
    assert (await error_of(tx.count("projects"))).code == "unknown_transaction"
    assert await _names(second) == ["committed"]


@pytest_twisted.ensureDeferred
async def test_transactions_side_by_side(running: RunningDriver) -> None:
    first, second = await _two(running)
    one = await first.transaction().begin()
    await one.insert("projects", {"name": "one"})
    await one.commit()
    two = await second.transaction().begin()
    await two.insert("projects", {"name": "two"})
    assert await _names(first) == ["committed", "one"]
    await two.commit()
    assert await _names(first) == ["committed", "one", "two"]
