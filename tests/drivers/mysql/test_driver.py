"""
The MySQL/MariaDB backend through the real server and the real client:
every method, conflicts and C{returning} (also as on a server without
C{RETURNING}), values on the wire, raw SQL as clients write it, cursors.
Each test has a database of its own (tests/support/mysql.py).
"""

from __future__ import annotations

import datetime
import math
import os
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver, start_driver
from tests.support.live import error_of
from tests.support.mysql import MYSQL, MySQLDatabase, client, mysql_db, running

__all__ = ["client", "mysql_db", "running"]

VALUES: dict[str, Any] = {
    "name": "v",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "i", "type": "integer"},
        {"name": "big", "type": "bigint"},
        {"name": "r", "type": "real"},
        {"name": "t", "type": "text", "unique": True},
        {"name": "bl", "type": "blob"},
        {"name": "flag", "type": "boolean"},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
    ],
    "indexes": [{"name": "v_by_t", "columns": ["t", "bl", "doc"]}],
}
COLUMNS = [c["name"] for c in VALUES["columns"]]
TEXT = "héllo ✓ 日本語 🎉 'q' \"d\" \\ back % ? \nline"
BLOB = bytes(range(256)) + b"\x00tail"
ROW = {
    "id": 1,
    "i": -(2**63),
    "big": 2**63 - 1,
    "r": 3.25,
    "t": TEXT,
    "bl": BLOB,
    "flag": True,
    "at": "2026-11-27T02:19:20.123456+00:00",
    "doc": {"a": [1, 2.5, "x", None, True], "ü": {"big": 2**70}},
}


def _full(row: dict[str, Any]) -> dict[str, Any]:
    return {c: row.get(c) for c in COLUMNS}


@pytest_twisted.ensureDeferred
async def test_values_round_trip(client: DriverClient, mysql_db: MySQLDatabase) -> None:
    await client.create_table(VALUES)
    assert await client.insert("v", ROW) == 1
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    sent = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=plus2)
    second = {"i": 0, "r": -0.5, "t": "", "bl": b"", "flag": False, "at": sent}
    assert await client.insert("v", second | {"doc": "just text"}) == 2
    assert await client.insert("v", {"doc": [], "at": "2026-01-02T01:04:05"}) == 3
    got = await client.select("v", order_by=["id"])
    assert got[0] == _full(ROW)
    assert got[0]["flag"] is True and got[1]["flag"] is False
    assert got[1]["at"] == "2026-01-02T01:04:05.678901+00:00"  # stored in UTC
    assert got[1]["doc"] == "just text" and got[2]["doc"] == []
    assert got[2]["at"] == "2026-01-02T01:04:05+00:00"
    assert got[2]["flag"] is None and got[2]["bl"] is None
    # the server holds UTC DATETIME, booleans as 0/1, JSON as text
    assert mysql_db.sql("SELECT at, flag, doc FROM v WHERE id = 2") == [
        (datetime.datetime(2026, 1, 2, 1, 4, 5, 678901), 0, '"just text"')
    ]
    # a timestamp compares as the instant it names, whatever its offset
    assert await client.count("v", {"at": "2026-01-02T03:04:05.678901+02:00"}) == 1
    assert await client.count("v", {"at": sent}) == 1
    assert await client.count("v", {"at": {">": "2026-01-02T01:00:00Z"}}) == 3
    assert await client.count("v", {"t": TEXT, "bl": BLOB, "flag": True}) == 1
    assert await client.count("v", {"big": 2**63 - 1, "i": {"<": 0}}) == 1
    result = await client.execute("SELECT flag, doc, at, bl FROM v WHERE id = ?", [1])
    assert result["rows"] == [[True, ROW["doc"], ROW["at"], BLOB]]


@pytest_twisted.ensureDeferred
async def test_values_out_of_range(client: DriverClient) -> None:
    await client.create_table(VALUES)
    for call in (
        client.insert("v", {"r": math.inf}),
        client.insert("v", {"i": 2**64}),
        client.insert_many("v", [{"i": 1}, {"i": 2**63}]),
        client.update("v", {"id": 1}, {"big": -(2**63) - 1}),
        client.select("v", {"i": 2**64}),
        client.execute("SELECT ?", [math.nan]),
        client.insert("v", {"at": "next tuesday"}),
    ):
        assert (await error_of(call)).code == "invalid_params"
    assert await client.count("v") == 0


@pytest_twisted.ensureDeferred
async def test_table_methods(client: DriverClient) -> None:
    assert await client.create_table(VALUES) is True
    assert await client.create_table(VALUES, if_not_exists=True) is False
    assert (await error_of(client.create_table(VALUES))).code == "sql_error"
    info = await client.get_table_info("v")
    assert [(c["name"], c["type"]) for c in info] == [
        (c["name"], c["type"]) for c in VALUES["columns"]
    ]
    assert await client.list_tables() == ["v"]
    rows = [{"t": f"t{n}", "i": n, "flag": n % 2 == 0} for n in range(10)]
    assert await client.insert_many("v", rows) == 10
    assert await client.count("v", {"flag": True}) == 5
    assert await client.update("v", {"i": {"<": 3}}, {"r": 1.5}) == 3
    # a row set to the values it has counts as changed, as on SQLite
    assert await client.update("v", {"i": {"<": 3}}, {"r": 1.5}) == 3
    assert await client.delete("v", {"$or": [{"i": 9}, {"t": "t8"}]}) == 2
    page = await client.select(
        "v", columns=["i"], order_by=[{"column": "i", "desc": True}], offset=2
    )
    assert page == [{"i": n} for n in (5, 4, 3, 2, 1, 0)]
    assert await client.select("v", columns=["i"], order_by=["i"], limit=2) == [
        {"i": 0},
        {"i": 1},
    ]
    assert await client.select("v", {"t": {"like": "T%"}}) == []  # case-sensitive
    assert await client.count("v", {"t": "t1 "}) == 0  # trailing spaces count
    batch = await client.batch(
        [
            {"method": "insert", "params": {"table": "v", "data": {"t": "b"}}},
            {"method": "count", "params": {"table": "v"}},
            {"method": "execute", "params": {"sql": "SELECT COUNT(*) FROM v"}},
        ]
    )
    assert batch[1] == 9 and batch[2]["rows"] == [[9]]
    assert await client.delete("v", None, all_rows=True) == 9
    assert await client.drop_table("v") is True
    assert await client.drop_table("v", if_exists=True) is False
    assert (await error_of(client.drop_table("v"))).code == "no_such_table"


@pytest_twisted.ensureDeferred
async def test_conflicts_and_returning(client: DriverClient) -> None:
    await client.create_table(VALUES)
    first = await client.insert("v", {"t": "a", "i": 1})
    assert await client.insert("v", {"t": "a", "i": 2}, on_conflict="ignore") is None
    upsert = {"target": ["t"], "update": ["i"]}
    assert await client.insert("v", {"t": "a", "i": 3}, on_conflict=upsert) == first
    returned = await client.insert(
        "v", {"t": "a", "i": 4}, on_conflict=upsert, returning=["id", "i", "flag"]
    )
    assert returned == {"id": first, "i": 4, "flag": None}
    nothing = {"target": ["t"], "update": []}
    assert await client.insert("v", {"t": "a"}, on_conflict=nothing) is None
    replaced = await client.insert(
        "v", {"t": "a", "i": 5}, on_conflict="replace", returning=["id", "i"]
    )
    assert replaced["i"] == 5 and replaced["id"] != first
    many = [{"t": "a", "i": 6}, {"t": "b", "i": 7}, {"t": "b", "i": 8}]
    assert await client.insert_many("v", many, on_conflict="ignore") == 1
    assert await client.insert_many("v", many, on_conflict=upsert) == 3
    assert await client.insert_many("v", many, on_conflict="replace") == 3
    assert await client.insert_many(
        "v", [{"t": "c"}, {"t": "a"}], on_conflict="ignore", returning=["t"]
    ) == [{"t": "c"}, None]
    assert await client.select("v", columns=["t", "i"], order_by=["t"]) == [
        {"t": "a", "i": 6},
        {"t": "b", "i": 8},
        {"t": "c", "i": None},
    ]
    # "ignore" skips duplicates only: other errors still fail, all or nothing
    error = await error_of(
        client.insert_many(
            "v", [{"t": "d"}, {"t": "a"}, {"t": "e", "id": 0.5}], on_conflict="ignore"
        )
    )
    assert error.code in ("sql_error", "invalid_params")
    assert await client.count("v", {"t": {"in": ["d", "e"]}}) == 0


@pytest_twisted.ensureDeferred
async def test_without_returning(running: RunningDriver, client: DriverClient) -> None:
    """
    As on MySQL 8, which has no INSERT ... RETURNING: the row is read back
    in the same transaction.
    """
    driver: Any = running.service.driver
    driver.operations.sql.returning = False
    keyed = {
        "name": "k",
        "columns": [
            {"name": "code", "type": "text", "primary_key": True},
            {"name": "n", "type": "integer"},
        ],
    }
    await client.create_table(VALUES)
    await client.create_table(keyed)
    upsert = {"target": ["t"], "update": ["i"]}
    first = await client.insert("v", {"t": "a", "i": 1})
    assert await client.insert("v", {"id": 40, "t": "b"}) == 40
    assert await client.insert("v", {"t": "a", "i": 2}, on_conflict=upsert) == first
    assert await client.insert(
        "v",
        {"t": "a", "i": 3, "flag": True},
        on_conflict=upsert,
        returning=["i", "flag"],
    ) == {"i": 3, "flag": None}
    assert await client.insert("v", {"t": "a"}, on_conflict="ignore") is None
    assert await client.insert("k", {"code": "x", "n": 1}, returning=["n"]) == {"n": 1}
    assert await client.insert("k", {"code": "x"}, on_conflict="ignore") is None
    error = await error_of(client.insert("k", {"n": 1}, returning=["n"]))
    assert error.code in ("sql_error", "constraint_violation")


@pytest_twisted.ensureDeferred
async def test_raw_sql_as_clients_write_it(client: DriverClient) -> None:
    await client.create_table(VALUES)
    result = await client.execute(
        'INSERT INTO "v" ("t", "i") VALUES (?, ?), (\'it\'\'s ? 100%\', ?)',
        ["a\\b", 1, 2],
    )
    assert result["rowcount"] == 2 and result["lastrowid"] is not None
    query = await client.execute(
        "SELECT t || '!' AS x, i -- a comment with ? and %\n"
        "FROM v /* ? */ WHERE i >= ? ORDER BY i",
        [1],
    )
    assert query == {
        "columns": ["x", "i"],
        "rows": [["a\\b!", 1], ["it's ? 100%!", 2]],
        "rowcount": 2,
        "lastrowid": None,
    }
    sums = await client.execute(
        "SELECT SUM(i), AVG(i), CAST('2026-01-02' AS DATE) FROM v"
    )
    assert sums["rows"] == [[3, 1.5, "2026-01-02"]]
    for sql, params in (
        ("SELECT ?", []),
        ("SELECT 1", [1]),
        ("# hidden\nCOMMIT", []),
        ("/*!50000 ROLLBACK */", []),
        ("SET autocommit = 1", []),
        ("SET SESSION TRANSACTION READ WRITE", []),
        ("USE mysql", []),
    ):
        error = await error_of(client.execute(sql, params))
        assert error.code == "invalid_params", sql
    # not transaction control; a user variable outlives the request, though
    assert (await error_of(client.execute("SET @x = 'transaction'"))).code == (
        "forbidden"
    )
    ddl = await client.execute("ALTER TABLE v ADD COLUMN extra TEXT")
    assert ddl["columns"] == []
    assert await client.insert("v", {"t": "z", "extra": "e"}) is not None


@pytest_twisted.ensureDeferred
async def test_no_implicit_commit_inside_transactions(client: DriverClient) -> None:
    await client.create_table(VALUES)
    async with client.transaction() as tx:
        await tx.insert("v", {"t": "kept"})
        for call in (
            tx.execute("CREATE TABLE w (a INT)"),
            tx.execute("/* c */ drop table v"),
            tx.create_table({"name": "w", "columns": [{"name": "a", "type": "text"}]}),
            tx.drop_table("v"),
        ):
            error = await error_of(call)
            assert error.code == "sql_error" and error.details["implicit_commit"]
        error = await error_of(tx.execute("CREATE TEMPORARY TABLE tmp (a INT)"))
        assert error.code == "forbidden"  # it would outlive the request
        await tx.insert("v", {"t": "also kept"})
    error = await error_of(
        client.batch([{"method": "execute", "params": {"sql": "TRUNCATE v"}}])
    )
    assert error.code == "sql_error"
    assert await client.count("v") == 2
    assert await client.list_tables() == ["v"]


@pytest_twisted.ensureDeferred
async def test_cursors(client: DriverClient) -> None:
    await client.create_table(VALUES)
    await client.insert_many(
        "v", [{"t": f"t{n:02}", "flag": n % 2 == 0, "doc": [n]} for n in range(25)]
    )
    cursor = await client.open_cursor(
        table="v", columns=["t", "flag", "doc"], order_by=["t"], where={"flag": True}
    )
    rows: list[Any] = []
    while True:
        page = await client.fetch(cursor, size=5)
        rows += page["rows"]
        if page["done"]:
            break
    await client.close_cursor(cursor)
    for sql, params in (("SELECT ?", []), ("SELECT 1", [1])):
        error = await error_of(client.open_cursor(sql=sql, params=params))
        assert error.code == "invalid_params"
    assert rows == [
        {"t": f"t{n:02}", "flag": True, "doc": [n]} for n in range(0, 25, 2)
    ]
    async with client.transaction() as tx:
        await tx.insert("v", {"t": "in tx", "flag": True})
        inner = await tx.open_cursor(
            sql="SELECT t, flag FROM v WHERE t = ?", params=["in tx"]
        )
        await tx.insert("v", {"t": "after"})
        assert await tx.fetch(inner, size=10) == {
            "rows": [{"t": "in tx", "flag": True}],
            "done": True,
        }


@pytest.mark.parametrize("where", [{"nope": 1}, {"$or": [{"t": "a"}, {"nope": 1}]}])
@pytest_twisted.ensureDeferred
async def test_unknown_columns(client: DriverClient, where: dict[str, Any]) -> None:
    await client.create_table(VALUES)
    for call in (
        client.select("v", where),
        client.count("v", where),
        client.insert("v", {"nope": 1}),
        client.execute("SELECT nope FROM v"),
    ):
        assert (await error_of(call)).code == "no_such_column"


@pytest_twisted.ensureDeferred
async def test_unix_socket_uri(mysql_db: MySQLDatabase, tmp_path: Any) -> None:
    ((path,),) = mysql_db.sql("SELECT @@socket")
    if not path or not os.path.exists(path):
        pytest.skip("the server's Unix socket is not on this host")
    user = MYSQL.split("//", 1)[1].split("@", 1)[0]
    uri = f"mariadb://{user}@localhost/{mysql_db.name}?unix_socket={path}"
    running = await start_driver(tmp_path, database=uri)
    try:
        client = await running.client()
        await client.create_table(VALUES)
        assert await client.insert("v", {"t": "via socket"}) == 1
        assert (await client.server_info())["backend"] == "mysql"
    finally:
        await running.stop()
