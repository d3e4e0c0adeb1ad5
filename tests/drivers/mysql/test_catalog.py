"""
L{dbdriver.drivers.mysql.catalog}: the portable names of the server's types,
C{get_table_info} and C{list_tables} in SQLite's shape (on the real
MariaDB/MySQL, tests/support/mysql.py), and result values as they go on the
wire: booleans, timestamps as text, JSON decoded.
"""

from __future__ import annotations

import pytest_twisted

from dbdriver.drivers.mysql.catalog import portable_type
from dbdriver.drivers.mysql.dialect import INTEGER_COMMENT
from dbdriver.testing import RunningDriver
from tests.support.mysql import MySQLDatabase, mysql_db, running

__all__ = ["mysql_db", "running"]

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "flag", "type": "boolean"},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
        {"name": "big", "type": "bigint", "not_null": True, "default": 7},
        {"name": "r", "type": "real"},
        {"name": "bl", "type": "blob"},
    ],
}


def test_portable_type() -> None:
    assert portable_type("bigint", "bigint(20)", INTEGER_COMMENT, False) == "integer"
    assert portable_type("bigint", "bigint(20)", "", False) == "bigint"
    assert portable_type("bigint", "bigint(20) unsigned", "", False) == (
        "bigint(20) unsigned"
    )
    assert portable_type("int", "int(11)", "", False) == "integer"
    assert portable_type("tinyint", "tinyint(1)", "", False) == "boolean"
    assert portable_type("longtext", "longtext", "", True) == "json"
    assert portable_type("double", "double", "", False) == "real"
    assert portable_type("datetime", "datetime(6)", "", False) == "timestamp"
    assert portable_type("decimal", "decimal(10,2)", "", False) == "decimal(10,2)"


@pytest_twisted.ensureDeferred
async def test_table_info_in_sqlites_shape(running: RunningDriver) -> None:
    client = await running.client()
    await client.create_table(T)
    info = await client.get_table_info("t")
    assert [(c["name"], c["type"]) for c in info] == [
        (c["name"], c["type"]) for c in T["columns"]
    ]
    assert [c["primary_key"] for c in info] == [True] + [False] * 6
    big = info[4]
    assert big["not_null"] is True and big["default"] == "7"
    assert await client.list_tables() == ["t"]


@pytest_twisted.ensureDeferred
async def test_values_on_the_wire(
    running: RunningDriver, mysql_db: MySQLDatabase
) -> None:
    client = await running.client()
    await client.create_table(T)
    await client.insert(
        "t",
        {
            "id": 1,
            "flag": True,
            "at": "2024-01-02T03:04:05.500000",
            "doc": {"a": [1, 2]},
            "r": 1.5,
            "bl": b"\x00\xff",
        },
    )
    [row] = await client.select("t")
    assert row["flag"] is True and row["doc"] == {"a": [1, 2]}
    assert isinstance(row["at"], str) and row["at"].startswith("2024-01-02")
    assert row["big"] == 7 and row["r"] == 1.5 and row["bl"] == b"\x00\xff"
    assert mysql_db.sql("SELECT flag FROM t") == [(1,)]  # stored as tinyint
