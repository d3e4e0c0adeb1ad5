"""
Cursors: pages from one consistent snapshot, ownership, expiry, cursors
inside transactions, page size bounded by the message limit, and the
client's async iteration.
"""

from __future__ import annotations

from contextlib import aclosing

import pytest
import pytest_twisted

from tests.support.live import error_of, eventually, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "text"},
    ],
}


async def filled(running, rows: int):
    client = await running.client()
    await client.create_table(T)
    await client.insert_many("t", [{"id": i, "v": f"v{i}"} for i in range(rows)])
    return client


@pytest_twisted.ensureDeferred
async def test_pages_and_done(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await filled(running, 5)
        cursor = await client.open_cursor("t", {"id": {">=": 1}}, order_by=["id"])
        first = await client.fetch(cursor, 2)
        assert first == {
            "rows": [{"id": 1, "v": "v1"}, {"id": 2, "v": "v2"}],
            "done": False,
        }
        second = await client.fetch(cursor, 2)
        assert [r["id"] for r in second["rows"]] == [3, 4] and second["done"] is True
        assert await client.fetch(cursor, 2) == {"rows": [], "done": True}
        assert (await client.stats())["cursors_open"] == 1
        assert await client.close_cursor(cursor) is True
        assert (await error_of(client.fetch(cursor))).code == "unknown_transaction"
        assert (await client.stats())["cursors_open"] == 0


@pytest_twisted.ensureDeferred
async def test_snapshot_is_consistent(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await filled(running, 100)
        writer = await running.client()
        cursor = await client.open_cursor("t", columns=["id"], order_by=["id"])
        page = await client.fetch(cursor, 10)
        await writer.insert_many("t", [{"id": 1000 + i, "v": "new"} for i in range(50)])
        await writer.delete("t", {"id": {"<": 50}})
        rest = await client.fetch(cursor, 1000)
        ids = [r["id"] for r in page["rows"] + rest["rows"]]
        assert ids == list(range(100)) and rest["done"]
        assert await writer.count("t") == 100


@pytest_twisted.ensureDeferred
async def test_sql_cursor_and_errors(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await filled(running, 3)
        sql = "SELECT v, id * 2 AS d FROM t WHERE id > ?"
        cursor = await client.open_cursor(sql=sql, params=[0])
        page = await client.fetch(cursor)
        assert page == {
            "rows": [{"v": "v1", "d": 2}, {"v": "v2", "d": 4}],
            "done": True,
        }
        other = await running.client()
        assert (await error_of(other.fetch(cursor))).code == "unknown_transaction"
        assert (
            await error_of(other.close_cursor(cursor))
        ).code == "unknown_transaction"
        await client.close_cursor(cursor)
        for bad in (
            client.open_cursor("nope"),
            client.open_cursor("t", {"nope": 1}),
            client.open_cursor(sql="DELETE FROM t WHERE id = 99"),
            client.protocol.call("open_cursor", {}),
            client.protocol.call("open_cursor", {"table": "t", "sql": "SELECT 1"}),
        ):
            error = await error_of(bad)
            assert error.code in ("no_such_table", "no_such_column", "invalid_params")
        assert (await client.stats())["cursors_open"] == 0


@pytest_twisted.ensureDeferred
async def test_no_raw_sql_forbids_sql_cursors(tmp_path):
    async with running_driver(tmp_path, no_raw_sql=True) as running:
        client = await filled(running, 3)
        assert (await error_of(client.open_cursor(sql="SELECT 1"))).code == "forbidden"
        cursor = await client.open_cursor("t")
        assert len((await client.fetch(cursor))["rows"]) == 3


@pytest_twisted.ensureDeferred
async def test_idle_expiry_disconnect_and_cap(tmp_path):
    settings = {"transaction_idle_timeout": 0.3, "max_transactions": 2}
    async with running_driver(tmp_path, **settings) as running:
        client = await filled(running, 3)
        idle = await client.open_cursor("t")

        async def expired() -> bool:
            return (await client.stats())["cursors_open"] == 0

        await eventually(expired, "the idle cursor closes")
        error = await error_of(client.fetch(idle))
        assert error.code == "unknown_transaction" and "idle" in error.message
        leaving = await running.client()
        await leaving.open_cursor("t")
        await leaving.open_cursor("t")
        assert (await error_of(client.open_cursor("t"))).code == "busy"
        await leaving.close()

        async def closed() -> bool:
            return (await client.stats())["cursors_open"] == 0

        await eventually(closed, "a closed connection's cursors close")
        await client.close_cursor(await client.open_cursor("t"))


@pytest_twisted.ensureDeferred
async def test_cursor_inside_a_transaction(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await filled(running, 2)
        tx = await client.transaction().begin()
        await tx.insert("t", {"id": 10, "v": "uncommitted"})
        cursor = await tx.open_cursor("t", order_by=["id"])
        page = await tx.fetch(cursor, 1)
        assert page["rows"] == [{"id": 0, "v": "v0"}]
        await tx.commit()
        assert (await error_of(client.fetch(cursor))).code == "unknown_transaction"
        rows = [row async for row in client.iterate("t", order_by=["id"])]
        assert [r["id"] for r in rows] == [0, 1, 10]


@pytest_twisted.ensureDeferred
async def test_pages_fit_the_message_limit(tmp_path):
    async with running_driver(tmp_path, max_message_size=4096) as running:
        client = await running.client()
        await client.create_table(T)
        for n in range(20):
            await client.insert("t", {"id": n, "v": "x" * 900})
        cursor = await client.open_cursor("t", order_by=["id"])
        seen, pages = [], 0
        while True:
            page = await client.fetch(cursor, 1000)
            pages += 1
            seen += [r["id"] for r in page["rows"]]
            if page["done"]:
                break
        assert seen == list(range(20))
        assert pages >= 5  # at most four 900-byte rows fit one 4 KiB message
        assert (await error_of(client.select("t"))).code == "result_too_large"


@pytest_twisted.ensureDeferred
async def test_iterate_many_rows_and_leave_early(tmp_path):
    async with running_driver(tmp_path) as running:
        client = await filled(running, 10000)
        count = 0
        async for row in client.iterate("t", {"id": {">=": 0}}, size=700):
            assert row["v"] == f"v{row['id']}"
            count += 1
        assert count == 10000
        async with aclosing(client.iterate("t", size=10)) as rows:
            async for row in rows:
                if row["id"] == 5:
                    break

        async def none_open() -> bool:
            return (await client.stats())["cursors_open"] == 0

        await eventually(none_open, "a cursor left early is closed")
        total = [r async for r in client.iterate_sql("SELECT count(*) AS n FROM t")]
        assert total == [{"n": 10000}]
        with pytest.raises(Exception) as raised:
            async for _ in client.iterate("nope"):
                pass
        assert raised.value.code == "no_such_table"
