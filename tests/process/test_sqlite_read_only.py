"""
C{--read-only} on SQLite, that no request can get around (PROTOCOL.md
section 9), through the real C{twistd dbdriver} process: nothing attaches,
creates or writes a file, no pragma turns the guard off, temporary tables
are not written.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from dbdriver import connect
from tests.server.test_driver_rpc_server import TABLE
from tests.support.data import error_of


@pytest_twisted.ensureDeferred
async def test_no_request_writes_under_read_only(start_driver, tmp_path):
    setup = start_driver(directory=tmp_path)
    client = await connect(reactor, setup.socket)
    await client.create_table(TABLE)
    await client.insert("t", {"id": 1, "v": "secret"})
    await client.close()
    setup.stop()
    before = Path(setup.database).read_bytes()
    reader = start_driver("--read-only", database=setup.database, directory=tmp_path)
    client = await connect(reactor, reader.socket)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    attached = elsewhere / "x.db"
    session = [
        f"ATTACH '{attached}' AS x",
        f"attach database 'file:{attached}?mode=rwc' as y",
        f"VACUUM INTO '{elsewhere / 'copy.db'}'",
        "PRAGMA query_only = OFF",
        "PRAGMA main.query_only = 0",
        "PRAGMA writable_schema = ON",
        "PRAGMA journal_mode = DELETE",
    ]
    for _ in range(3):  # whichever pooled connection runs it
        for sql in session:
            error = await error_of(client.execute(sql))
            assert error.code == "forbidden", (sql, error)
        error = await error_of(
            client.execute("CREATE TABLE x.c AS SELECT * FROM main.t")
        )
        assert error.code in ("forbidden", "sql_error"), error
        for sql in (
            "CREATE TEMP TABLE tt (x INTEGER)",
            "CREATE TABLE temp.t2 AS SELECT * FROM main.t",
            "INSERT INTO t VALUES (2, 'no')",
        ):
            error = await error_of(client.execute(sql))
            assert error.code == "read_only", (sql, error)
    assert list(elsewhere.iterdir()) == []
    # reads still work, pragmas that read too
    assert (await client.execute("SELECT v FROM t"))["rows"] == [["secret"]]
    assert (await client.execute("PRAGMA query_only"))["rows"] == [[1]]
    assert (await client.execute("PRAGMA table_info(t)"))["rowcount"] == 2
    await client.close()
    reader.stop()
    assert Path(setup.database).read_bytes() == before


@pytest_twisted.ensureDeferred
async def test_allow_session_sql_still_cannot_write_under_read_only(
    start_driver, tmp_path
):
    setup = start_driver(directory=tmp_path)
    client = await connect(reactor, setup.socket)
    await client.create_table(TABLE)
    await client.close()
    setup.stop()
    reader = start_driver(
        "--read-only", "--allow-session-sql", database=setup.database,
        directory=tmp_path,
    )  # fmt: skip
    client = await connect(reactor, reader.socket)
    for sql in (
        f"ATTACH '{tmp_path / 'x.db'}' AS x",
        "PRAGMA query_only = OFF",
        "CREATE TEMP TABLE tt (x INTEGER)",
    ):
        error = await error_of(client.execute(sql))
        assert error.code == "read_only", (sql, error)
    assert not (tmp_path / "x.db").exists()
    await client.close()
