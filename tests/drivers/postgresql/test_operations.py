"""
L{dbdriver.drivers.postgresql.operations}, through a driver on the real
PostgreSQL: C{get_table_info} and C{list_tables} from C{pg_catalog},
identity keys that behave like SQLite's rowid (an id the client chose moves
the sequence past it), C{"replace"} as a delete of every conflicting row and
an insert, and C{?} placeholders in raw SQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted

from dbdriver import requests as rq
from dbdriver.exceptions import ConstraintViolation
from tests.support.direct import connected

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
async def test_catalog(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        await driver.create_table(T)
        info = await driver.get_table_info("t")
        assert [(c["name"], c["type"], c["primary_key"]) for c in info] == [
            ("id", "integer", True),
            ("a", "text", False),
            ("b", "text", False),
            ("n", "integer", False),
        ]
        assert info[3]["not_null"] is True
        assert await driver.run(rq.ListTablesRequest()) == ["t"]


@pytest_twisted.ensureDeferred
async def test_identity_keys_behave_like_a_rowid(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        await driver.create_table(T)
        assert await driver.insert("t", {"a": "x"}) == 1
        assert await driver.insert("t", {"id": 10, "a": "y"}) == 10
        assert await driver.insert("t", {"a": "z"}) == 11  # past the chosen id
        assert await driver.insert("t", {"id": None, "a": "w"}) == 12


@pytest_twisted.ensureDeferred
async def test_replace_deletes_every_conflicting_row(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        await driver.create_table(T)
        await driver.insert("t", {"id": 1, "a": "a1", "b": "b1"})
        await driver.insert("t", {"id": 2, "a": "a2", "b": "b2"})
        with pytest.raises(ConstraintViolation):
            await driver.insert("t", {"id": 3, "a": "a1", "b": "b2"})
        await driver.insert(
            "t", {"id": 3, "a": "a1", "b": "b2", "n": 5}, on_conflict="replace"
        )
        rows = await driver.select("t", order_by=["id"])
        assert rows == [{"id": 3, "a": "a1", "b": "b2", "n": 5}]


@pytest_twisted.ensureDeferred
async def test_raw_sql_placeholders(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        result = await driver.execute("SELECT ? + 1, '?' AS q", [41])
        assert result["rows"] == [[42, "?"]]


@pytest_twisted.ensureDeferred
async def test_list_tables_leaves_out_the_bookkeeping_table(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        await driver.run(rq.SyncSchemaRequest(schema_definition={"tables": [T]}))
        assert await driver.run(rq.ListTablesRequest()) == ["t"]
