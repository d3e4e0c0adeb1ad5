"""
Cursors give the same pages on every backend: one consistent snapshot,
page sizes, done, table and SQL cursors, cursors inside a transaction,
ownership.
"""

from __future__ import annotations

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import error_of

ROWS = {
    "name": "entries",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "label", "type": "text"},
        {"name": "flag", "type": "boolean"},
    ],
}


async def _filled(client: DriverClient, count: int) -> None:
    await client.create_table(ROWS)
    rows = [{"id": i, "label": f"r{i}", "flag": i % 2 == 0} for i in range(count)]
    assert await client.insert_many("entries", rows) == count


@pytest_twisted.ensureDeferred
async def test_pages_snapshot_and_done(client: DriverClient, running) -> None:
    await _filled(client, 25)
    writer = await running.client()
    cursor = await client.open_cursor("entries", {"id": {">=": 5}}, order_by=["id"])
    first = await client.fetch(cursor, 10)
    assert first["done"] is False
    assert first["rows"][0] == {"id": 5, "label": "r5", "flag": False}
    await writer.insert("entries", {"id": 100, "label": "late", "flag": True})
    await writer.delete("entries", {"id": {"<": 15}})
    second = await client.fetch(cursor, 10)
    assert [r["id"] for r in first["rows"] + second["rows"]] == list(range(5, 25))
    assert second["done"] is True
    assert await client.fetch(cursor, 10) == {"rows": [], "done": True}
    assert await client.close_cursor(cursor) is True
    assert (await error_of(client.fetch(cursor))).code == "unknown_transaction"


@pytest_twisted.ensureDeferred
async def test_sql_cursor_iteration_and_ownership(
    client: DriverClient, running
) -> None:
    await _filled(client, 50)
    rows = [r async for r in client.iterate_sql(
        "SELECT id, label FROM entries WHERE id < ? ORDER BY id", [7], size=3
    )]  # fmt: skip
    assert rows == [{"id": i, "label": f"r{i}"} for i in range(7)]
    seen = [r["id"] async for r in client.iterate("entries", order_by=["id"], size=8)]
    assert seen == list(range(50))
    cursor = await client.open_cursor("entries")
    other = await running.client()
    assert (await error_of(other.fetch(cursor))).code == "unknown_transaction"
    assert (await error_of(client.open_cursor("missing"))).code == "no_such_table"
    await client.close_cursor(cursor)
    assert (await client.stats())["cursors_open"] == 0


@pytest_twisted.ensureDeferred
async def test_cursor_inside_a_transaction(client: DriverClient) -> None:
    await _filled(client, 3)
    tx = await client.transaction().begin()
    await tx.insert("entries", {"id": 10, "label": "mine", "flag": True})
    cursor = await tx.open_cursor("entries", order_by=["id"])
    page = await tx.fetch(cursor, 10)
    assert [r["id"] for r in page["rows"]] == [0, 1, 2, 10]
    await tx.rollback()
    assert (await error_of(client.fetch(cursor))).code == "unknown_transaction"
    assert await client.count("entries") == 3
