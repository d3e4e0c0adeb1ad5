"""
A result is built within a memory bound (PROTOCOL.md section 9) on the
server backends too, through the real process: an C{execute} whose rows
together pass C{--max-message-size} answers C{result_too_large} while the
driver's peak memory (C{VmHWM}) stays far under what the rows take, and the
connection it ran on serves the next request, inside a transaction and
outside one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect
from tests.conftest import DriverProcess
from tests.process.test_result_memory import PEAK_BOUND_KB, peak_kb
from tests.support.backends import SERVERS, Database, create, require
from tests.support.data import error_of

#: Each takes about 1 GB (or a billion rows) when read whole.
BOMBS = {
    "postgresql": [
        "SELECT repeat('x', 1000000) FROM generate_series(1, 1000)",
        "SELECT a, b FROM generate_series(1, 100000) a, generate_series(1, 10000) b",
        "SELECT string_agg(x, '') FROM (SELECT repeat('x', 1000000) AS x "
        "FROM generate_series(1, 20)) s",
    ],
    "mysql": [
        "SELECT REPEAT('x', 1000000) FROM seq_1_to_1000",
        "SELECT a.seq, b.seq FROM seq_1_to_100000 a, seq_1_to_10000 b",
        "SELECT REPEAT('x', 10000000) FROM seq_1_to_100",
    ],
}
TABLE = {
    "name": "kept",
    "columns": [{"name": "id", "type": "integer", "primary_key": True}],
}


@pytest.fixture(params=SERVERS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    require(request.param)
    db = create(request.param, tmp_path)
    try:
        yield db
    finally:
        db.drop()


@pytest_twisted.ensureDeferred
async def test_execute_bombs_stay_within_the_message_size(
    start_driver: Any, database: Database
) -> None:
    # one connection: the one each bomb ran on serves what comes next
    process: DriverProcess = start_driver("--pool-size=1", database=database.uri)
    assert process.proc is not None
    client = await connect(reactor, process.socket)  # type: ignore[arg-type]
    await client.create_table(TABLE)
    for sql in BOMBS[database.backend]:
        error = await error_of(client.execute(sql, timeout=120))
        assert error.code == "result_too_large", (sql, error)
        peak = peak_kb(process.proc.pid)
        print(f"{database.backend}: peak {peak // 1024} MB after {sql[:40]}")
        assert peak < PEAK_BOUND_KB, sql
        assert (await client.execute("SELECT 1 AS one"))["rows"] == [[1]]
    # inside a transaction: the bomb fails alone, the transaction goes on
    tx = await client.transaction().begin()
    await tx.insert("kept", {"id": 1})
    for sql in BOMBS[database.backend]:
        error = await error_of(tx.execute(sql, timeout=120))
        assert error.code == "result_too_large", (sql, error)
        await tx.insert("kept", {"id": 2 + BOMBS[database.backend].index(sql)})
    await tx.commit()
    assert peak_kb(process.proc.pid) < PEAK_BOUND_KB
    assert await client.count("kept") == 1 + len(BOMBS[database.backend])
    # a result under the bound still comes back whole
    rows = (await client.execute("SELECT repeat('y', 1000000) AS y"))["rows"]
    assert rows == [["y" * 1000000]]
    await client.close()


BIG = {"name": "big", "columns": [*TABLE["columns"], {"name": "body", "type": "text"}]}
#: 1000 rows of 1 MB (stored compressed: the table itself is small).
FILL = {
    "postgresql": "INSERT INTO big SELECT x, repeat('x', 1000000) "
    "FROM generate_series(1, 1000) x",
}


@pytest_twisted.ensureDeferred
async def test_select_of_large_rows_stays_within_the_message_size(
    start_driver: Any, database: Database
) -> None:
    process: DriverProcess = start_driver(
        "--pool-size=1", "--max-rows=0", database=database.uri
    )
    assert process.proc is not None
    client = await connect(reactor, process.socket)  # type: ignore[arg-type]
    await client.create_table(BIG)
    if database.backend == "mysql":  # (max_allowed_packet: 100 MB a statement)
        for start in range(0, 1000, 100):
            await client.execute(
                f"INSERT INTO big SELECT seq + {start}, REPEAT('x', 1000000) "
                "FROM seq_1_to_100",
                timeout=120,
            )
    else:
        await client.execute(FILL["postgresql"], timeout=120)
    before = peak_kb(process.proc.pid)
    error = await error_of(client.select("big", timeout=120))
    assert error.code == "result_too_large", error
    assert 0 < error.details["rows"] <= 17
    peak = peak_kb(process.proc.pid)
    print(
        f"{database.backend}: select peak {peak // 1024} MB (before {before // 1024})"
    )
    assert peak < max(before, PEAK_BOUND_KB)
    rows = await client.select("big", where={"id": {"<=": 3}}, order_by=["id"])
    assert [(r["id"], len(r["body"])) for r in rows] == [
        (i, 1000000) for i in (1, 2, 3)
    ]
    one = await client.select("big", where={"id": 7}, limit=1)
    assert [r["id"] for r in one] == [7]
    # A cursor's page of large rows is fetched within the limit too: it
    # stops early, and the next fetch goes on where it stopped.
    for cursor_id in (
        await client.open_cursor("big", order_by=["id"]),
        await client.open_cursor(sql="SELECT id, body FROM big ORDER BY id"),
    ):
        seen: list[int] = []
        for _ in range(3):
            page = await client.fetch(cursor_id, size=200, timeout=120)
            assert 0 < len(page["rows"]) <= 17 and not page["done"]
            seen += [r["id"] for r in page["rows"]]
        assert seen == list(range(1, len(seen) + 1))
        await client.close_cursor(cursor_id)
    peak = peak_kb(process.proc.pid)
    print(f"{database.backend}: cursor peak {peak // 1024} MB")
    assert peak < max(before, PEAK_BOUND_KB)
    await client.close()
