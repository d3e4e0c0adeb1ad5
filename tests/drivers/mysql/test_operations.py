"""
L{dbdriver.drivers.mysql.operations}, on the real MariaDB/MySQL: C{"ignore"}
skips duplicates only (other errors still fail, not turned into warnings as
C{INSERT IGNORE} would), C{"replace"} deletes every conflicting row before
inserting (no update that collides with another key), ids and
C{returning} for single and many-row inserts.
"""

from __future__ import annotations

import pytest_twisted

from dbdriver.testing import RunningDriver
from tests.support.live import error_of
from tests.support.mysql import MySQLDatabase, mysql_db, running

__all__ = ["mysql_db", "running"]

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "a", "type": "text", "unique": True},
        {"name": "b", "type": "text", "unique": True},
        {"name": "n", "type": "integer", "not_null": True, "default": 0},
    ],
}


@pytest_twisted.ensureDeferred
async def test_ignore_skips_duplicates_only(
    running: RunningDriver, mysql_db: MySQLDatabase
) -> None:
    client = await running.client()
    await client.create_table(T)
    await client.insert("t", {"id": 1, "a": "x"})
    await client.insert("t", {"id": 2, "a": "x"}, on_conflict="ignore")
    assert mysql_db.sql("SELECT id FROM t") == [(1,)]
    error = await error_of(
        client.insert("t", {"id": 3, "a": "y", "n": None}, on_conflict="ignore")
    )
    assert error.code == "constraint_violation"  # NOT NULL, not a warning
    assert mysql_db.sql("SELECT count(*) FROM t") == [(1,)]


@pytest_twisted.ensureDeferred
async def test_replace_deletes_every_conflicting_row(
    running: RunningDriver, mysql_db: MySQLDatabase
) -> None:
    client = await running.client()
    await client.create_table(T)
    await client.insert("t", {"id": 1, "a": "a1", "b": "b1"})
    await client.insert("t", {"id": 2, "a": "a2", "b": "b2"})
    await client.insert(
        "t", {"id": 3, "a": "a1", "b": "b2", "n": 5}, on_conflict="replace"
    )
    assert mysql_db.sql("SELECT id, a, b, n FROM t") == [(3, "a1", "b2", 5)]


@pytest_twisted.ensureDeferred
async def test_ids_and_returning(running: RunningDriver) -> None:
    client = await running.client()
    await client.create_table(T)
    assert await client.insert("t", {"a": "x"}) == 1
    assert await client.insert("t", {"id": 10, "a": "y"}) == 10
    returned = await client.insert("t", {"a": "z"}, returning=["id", "n"])
    assert returned == {"id": 11, "n": 0}
    many = await client.insert_many(
        "t", [{"a": "p"}, {"a": "q"}], returning=["id", "a"]
    )
    assert many == [{"id": 12, "a": "p"}, {"id": 13, "a": "q"}]
