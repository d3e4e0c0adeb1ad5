"""
Transactions (PROTOCOL.md section 6) and their isolation, seen by two
clients, on every backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.backends import SLOW_SQL, Database
from tests.support.data import PROJECTS, error_of
from tests.support.live import driver_on


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


@pytest_twisted.ensureDeferred
async def test_failed_statements_in_a_transaction_undo_only_themselves(
    database: Database, tmp_path: Path
) -> None:
    """
    A statement that fails half-way (an update that meets a unique key
    after changing other rows), and a write whose answer is too large, each
    leave no trace, and the transaction and its earlier writes go on.
    """
    async with driver_on(database, tmp_path / "d", max_message_size=4096) as running:
        first, second = await _two(running)
        await first.create_table(
            {
                "name": "b",
                "columns": [
                    {"name": "id", "type": "integer", "primary_key": True},
                    {"name": "data", "type": "blob"},
                    {"name": "pad", "type": "text", "default": "p" * 3000},
                ],
            }
        )
        async with first.transaction() as tx:
            for n in range(1, 6):
                await tx.insert("projects", {"name": f"p{n}"})
            # renames p1..p5 to q1..q5 in id order until q3 meets this one
            await tx.insert("projects", {"name": "q3"})
            rename = "UPDATE projects SET name = 'q' || substr(name, 2)"
            error = await error_of(tx.execute(rename + " WHERE name LIKE 'p%'"))
            assert error.code == "constraint_violation"
            # the request fits the limit, its answer (with the default) not
            row = {"id": 1, "data": b"x" * 2000}
            big = tx.insert("b", row, returning=["data", "pad"])
            assert (await error_of(big)).code == "result_too_large"
            assert await tx.insert("b", {"id": 2, "data": b"y"}) == 2
        names = await _names(second)
        assert names == ["committed", "p1", "p2", "p3", "p4", "p5", "q3"]
        assert await second.select("b", columns=["id"]) == [{"id": 2}]
