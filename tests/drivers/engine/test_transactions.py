"""
Transactions across requests (PROTOCOL.md section 6) on the real server:
visibility, isolation between client connections, savepoints per request,
ownership of ids, the client's C{async with} form and in-order execution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import gatherResults

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.live import error_of, query, running_driver

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "v", "type": "text", "unique": True},
    ],
}


@pytest_twisted.async_yield_fixture()
async def running(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(T)
        yield running


def _values(tmp_path: Path) -> list[str]:
    return [v for (v,) in query(tmp_path, "SELECT v FROM t ORDER BY id")]


async def _seen(client: DriverClient) -> list[str]:
    return [r["v"] for r in await client.select("t", order_by=["id"])]


async def _open(client: DriverClient) -> int:
    return int((await client.stats())["transactions_open"])


@pytest_twisted.ensureDeferred
async def test_commit(running: RunningDriver, tmp_path: Path) -> None:
    a, b = running.clients[0], await running.client()
    tid = await a.begin_transaction()
    assert isinstance(tid, str)
    assert await _open(b) == 1
    call = a.protocol.call
    assert await call("insert", {"table": "t", "data": {"v": "x"}}, transaction_id=tid)
    rows = {"table": "t", "rows": [{"v": "y"}, {"v": "z"}]}
    assert await call("insert_many", rows, transaction_id=tid) == 2
    assert await call("count", {"table": "t"}, transaction_id=tid) == 3
    assert await _seen(b) == []
    assert await _seen(a) == []  # outside the transaction, on another connection
    assert _values(tmp_path) == []
    assert await a.commit_transaction(tid) is True
    assert await _seen(b) == ["x", "y", "z"]
    assert _values(tmp_path) == ["x", "y", "z"]
    assert await _open(b) == 0


@pytest_twisted.ensureDeferred
async def test_rollback(running: RunningDriver, tmp_path: Path) -> None:
    client = running.clients[0]
    await client.insert("t", {"v": "before"})
    tx = await client.transaction().begin()
    await tx.insert("t", {"v": "x"})
    await tx.update("t", {"v": "before"}, {"v": "changed"})
    await tx.delete("t", {"v": "x"})
    await tx.insert("t", {"v": "y"})
    assert await tx.select("t", columns=["v"]) == [{"v": "changed"}, {"v": "y"}]
    assert await tx.rollback() is True
    assert await _seen(client) == ["before"]
    assert _values(tmp_path) == ["before"]


@pytest_twisted.ensureDeferred
async def test_isolation_between_clients(
    running: RunningDriver, tmp_path: Path
) -> None:
    a, b = running.clients[0], await running.client()
    tx_a = await a.transaction().begin()
    await tx_a.insert("t", {"v": "a1"})
    assert await b.select("t") == []
    assert await b.count("t", {"v": "a1"}) == 0
    assert (await b.execute("SELECT count(*) FROM t"))["rows"] == [[0]]
    assert await tx_a.count("t") == 1
    await tx_a.commit()
    tx_b = await b.transaction().begin()
    await tx_b.delete("t", {"v": "a1"})
    assert await tx_b.count("t") == 0
    assert await a.count("t") == 1
    await tx_b.commit()
    assert await a.count("t") == 0
    assert _values(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_failed_request_leaves_the_transaction_usable(
    running: RunningDriver, tmp_path: Path
) -> None:
    client = running.clients[0]
    insert_d = {"method": "insert", "params": {"table": "t", "data": {"v": "d"}}}
    async with client.transaction() as tx:
        await tx.insert("t", {"v": "a"})
        for call, code in (
            (tx.insert("t", {"v": "a"}), "constraint_violation"),
            # its first row was written, then undone with the request
            (tx.insert_many("t", [{"v": "c"}, {"v": "a"}]), "constraint_violation"),
            (tx.insert("absent", {"v": "a"}), "no_such_table"),
            (tx.select("t", {"nope": 1}), "no_such_column"),
            (tx.execute("SELEC 1"), "sql_error"),
            (tx.execute("INSERT INTO t (v) VALUES (?)", ["a"]), "constraint_violation"),
            (
                tx.batch(
                    [insert_d, {"method": "count", "params": {"table": "absent"}}]
                ),
                "no_such_table",
            ),
        ):
            assert (await error_of(call)).code == code
        assert await tx.select("t", columns=["v"]) == [{"v": "a"}]
        await tx.insert("t", {"v": "b"})
    assert _values(tmp_path) == ["a", "b"]


@pytest_twisted.ensureDeferred
async def test_ids_belong_to_their_connection(
    running: RunningDriver, tmp_path: Path
) -> None:
    a, b = running.clients[0], await running.client()
    tid = await a.begin_transaction()
    await a.protocol.call(
        "insert", {"table": "t", "data": {"v": "a"}}, transaction_id=tid
    )
    for method, params in (
        ("insert", {"table": "t", "data": {"v": "b"}}),
        ("select", {"table": "t"}),
        ("commit_transaction", {"transaction_id": tid}),
        ("rollback_transaction", {"transaction_id": tid}),
    ):
        error = await error_of(b.protocol.call(method, params, transaction_id=tid))
        assert (error.code, error.details) == (
            "unknown_transaction",
            {"transaction_id": tid},
        )
    for call in (b.commit_transaction(tid), b.rollback_transaction(tid)):
        assert (await error_of(call)).code == "unknown_transaction"
    # the owner's transaction was not touched
    select = a.protocol.call("select", {"table": "t"}, transaction_id=tid)
    assert await select == [{"id": 1, "v": "a"}]
    assert await a.commit_transaction(tid) is True
    assert _values(tmp_path) == ["a"]


@pytest_twisted.ensureDeferred
async def test_unknown_and_finished_ids(running: RunningDriver) -> None:
    client = running.clients[0]
    insert = {"table": "t", "data": {"v": "x"}}
    for call in (
        client.commit_transaction("nope"),
        client.rollback_transaction("nope"),
        client.protocol.call("insert", insert, transaction_id="nope"),
    ):
        assert (await error_of(call)).code == "unknown_transaction"
    committed = await client.begin_transaction()
    await client.commit_transaction(committed)
    rolled_back = await client.begin_transaction()
    await client.rollback_transaction(rolled_back)
    for tid in (committed, rolled_back):
        for call in (
            client.commit_transaction(tid),
            client.rollback_transaction(tid),
            client.protocol.call("insert", insert, transaction_id=tid),
            client.protocol.call("count", {"table": "t"}, transaction_id=tid),
        ):
            assert (await error_of(call)).code == "unknown_transaction"
    # the client object refuses locally too
    tx = await client.transaction().begin()
    await tx.commit()
    assert (await error_of(tx.insert("t", {"v": "x"}))).code == "unknown_transaction"
    assert await client.count("t") == 0


@pytest_twisted.ensureDeferred
async def test_top_level_id_must_match(running: RunningDriver, tmp_path: Path) -> None:
    client = running.clients[0]
    other = await client.begin_transaction()
    await client.rollback_transaction(other)
    # SQLite has one writer: one transaction at a time here
    tid = await client.begin_transaction()
    call = client.protocol.call
    await call("insert", {"table": "t", "data": {"v": "kept"}}, transaction_id=tid)
    for method in ("commit_transaction", "rollback_transaction"):
        for top in (other, "nope"):
            params = {"transaction_id": tid}
            error = await error_of(call(method, params, transaction_id=top))
            assert error.code == "invalid_params"
    error = await error_of(call("begin_transaction", None, transaction_id=tid))
    assert error.code == "invalid_params"
    # the transaction is still open; an equal top-level id is fine
    assert await call("count", {"table": "t"}, transaction_id=tid) == 1
    commit = call("commit_transaction", {"transaction_id": tid}, transaction_id=tid)
    assert await commit is True
    assert _values(tmp_path) == ["kept"]


@pytest_twisted.ensureDeferred
async def test_async_with(running: RunningDriver, tmp_path: Path) -> None:
    client = running.clients[0]
    async with client.transaction() as tx:
        await tx.insert("t", {"v": "committed"})
        assert _values(tmp_path) == []
    assert _values(tmp_path) == ["committed"]
    with pytest.raises(ZeroDivisionError):
        async with client.transaction() as tx:
            await tx.insert("t", {"v": "discarded"})
            1 / 0  # noqa: B018
    assert _values(tmp_path) == ["committed"]
    assert await _open(client) == 0
    error = await error_of(tx.insert("t", {"v": "late"}))
    assert error.code == "unknown_transaction"


@pytest_twisted.ensureDeferred
async def test_requests_in_a_transaction_run_in_arrival_order(
    running: RunningDriver, tmp_path: Path
) -> None:
    client = running.clients[0]
    async with client.transaction() as tx:
        # pipelined, not awaited one by one; priorities do not reorder a lane
        pending = [
            tx.insert("t", {"v": f"v{n:02}"}, priority=n % 10) for n in range(50)
        ]
        pending.append(tx.count("t", priority=0))
        pending.append(tx.delete("t", {"v": "v49"}, priority=9))
        results = await gatherResults(pending)
    ids, (count, deleted) = results[:50], results[50:]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
    assert (count, deleted) == (50, 1)
    assert query(tmp_path, "SELECT v FROM t ORDER BY id") == [
        (f"v{n:02}",) for n in range(49)
    ]


@pytest_twisted.ensureDeferred
async def test_hidden_transaction_control_is_refused(
    running: RunningDriver, tmp_path: Path
) -> None:
    client = running.clients[0]
    hidden = [";COMMIT", " ; ROLLBACK", "/* c */ ;; END", ";\nSAVEPOINT s", "; BEGIN"]
    for sql in hidden:
        assert (await error_of(client.execute(sql))).code == "invalid_params", sql
    tx = await client.transaction().begin()
    await tx.insert("t", {"v": "a"})
    for sql in hidden:
        assert (await error_of(tx.execute(sql))).code == "invalid_params", sql
    await tx.rollback()
    assert _values(tmp_path) == []
    insert = {"method": "insert", "params": {"table": "t", "data": {"v": "b"}}}
    commit = {"method": "execute", "params": {"sql": ";COMMIT"}}
    error = await error_of(client.batch([insert, commit, insert]))
    assert (error.code, error.details["index"]) == ("invalid_params", 1)
    assert _values(tmp_path) == []
