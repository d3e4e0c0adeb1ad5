"""
SQLite's single writer: pinned transactions and pool writes waiting for the
write lock end in C{busy} after the busy timeout, never in a hang, and
readers keep reading (WAL).
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import DeferredList

from dbdriver import Busy
from dbdriver.testing import start_driver
from tests.server.test_driver_rpc_server import TABLE


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    driver = await start_driver(
        tmp_path,
        database=str(tmp_path / "db.sqlite3"),
        busy_timeout=0.3,
        max_transactions=4,
        pool_size=2,
    )
    yield driver
    await driver.stop()


@pytest_twisted.ensureDeferred
async def test_every_waiting_transaction_ends_busy(running):
    owner, *others = [await running.client() for _ in range(4)]
    await owner.create_table(TABLE)
    holder = await owner.transaction().begin()
    await holder.insert("t", {"id": 1, "v": "held"})
    # begin takes no lock (the write lock comes with the first write)
    begun = [await c.transaction().begin() for c in others[:2]]
    waiting = [tx.insert("t", {"id": 10 + i, "v": "tx"}) for i, tx in enumerate(begun)]
    writes = [others[2].insert("t", {"id": 2, "v": "pool"})]
    results = await DeferredList(waiting + writes, consumeErrors=True)
    assert [r.check(Busy) for _, r in results] == [Busy] * 3
    # readers are not blocked by the writer, and see only committed rows
    assert await others[2].count("t") == 0
    assert (await others[2].stats())["transactions_open"] == 3
    for tx in begun:
        await tx.rollback()
    await holder.commit()
    assert await others[2].count("t") == 1
    async with others[0].transaction() as tx:
        await tx.insert("t", {"id": 3, "v": "after"})
    assert sorted(r["id"] for r in await others[1].select("t")) == [1, 3]


@pytest_twisted.ensureDeferred
async def test_transaction_cap_is_a_clear_busy(tmp_path):
    running = await start_driver(tmp_path, max_transactions=1)
    try:
        client = await running.client()
        first = await client.begin_transaction()
        with pytest.raises(Busy) as raised:
            await client.begin_transaction()
        assert raised.value.details == {"max_transactions": 1}
        assert "max-transactions" in raised.value.message
        await client.rollback_transaction(first)
        await client.rollback_transaction(await client.begin_transaction())
    finally:
        await running.stop()
