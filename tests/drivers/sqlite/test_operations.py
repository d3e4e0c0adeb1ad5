"""
L{dbdriver.drivers.sqlite.operations}: C{get_table_info} from the
C{pragma}s with portable types, C{list_tables} without SQLite's own tables
or the driver's own (C{_dbdriver_...}: bookkeeping, notes, full-text
tables), and the authorizer that keeps transaction control out of
C{execute}, however the statement hides it.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
import pytest_twisted

from dbdriver import requests as rq
from dbdriver.exceptions import InvalidParams
from tests.support.direct import connected

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "flag", "type": "boolean", "not_null": True, "default": False},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
        {"name": "big", "type": "bigint"},
    ],
}


@pytest_twisted.ensureDeferred
async def test_table_info_reads_portable_types(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        await driver.create_table(T)
        info = await driver.get_table_info("t")
        assert [(c["name"], c["type"]) for c in info] == [
            ("id", "integer"),
            ("flag", "boolean"),
            ("at", "timestamp"),
            ("doc", "json"),
            ("big", "bigint"),
        ]
        assert [c["primary_key"] for c in info] == [True, False, False, False, False]
        assert info[1]["not_null"] is True and info[0]["not_null"] is not True


@pytest_twisted.ensureDeferred
async def test_list_tables_leaves_out_internal_tables(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        await driver.create_table(T)  # AUTOINCREMENT: sqlite_sequence exists
        await driver.execute("CREATE TABLE a (x INTEGER)")
        assert await driver.run(rq.ListTablesRequest()) == ["a", "t"]
        # The notes of a check, and a full-text index's FTS5 tables.
        await driver.create_table(
            {
                "name": "docs",
                "columns": [
                    {"name": "body", "type": "text", "check": {"body": {"!=": ""}}}
                ],
                "indexes": [
                    {"name": "docs_body", "columns": ["body"], "kind": "fulltext"}
                ],
            }
        )
        found = await driver.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        )
        assert found["rows"][0][0] > 5
        assert await driver.run(rq.ListTablesRequest()) == ["a", "docs", "t"]


@pytest.mark.parametrize(
    "sql", ["BEGIN", "COMMIT", ";COMMIT", "SAVEPOINT s", "/* x */ ROLLBACK"]
)
@pytest_twisted.ensureDeferred
async def test_execute_refuses_transaction_control(tmp_path: Path, sql: str) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        with pytest.raises(InvalidParams) as caught:
            await driver.execute(sql)
        assert "transaction control" in caught.value.message
        # The authorizer is gone afterwards: the driver's own BEGIN works.
        tid = await driver.begin_transaction()
        assert await driver.commit_transaction(tid) is True
        assert (await driver.execute("SELECT 1"))["rows"] == [[1]]


@pytest_twisted.ensureDeferred
async def test_rows_of_no_columns_take_every_default(tmp_path: Path) -> None:
    table = {
        "name": "d",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "n", "type": "integer", "default": 7},
        ],
    }
    async with connected("sqlite", tmp_path) as (driver, _):
        await driver.create_table(table)
        # (The request layer may refuse empty rows; the backend takes them.)
        with attrs.validators.disabled():
            one = rq.InsertRequest(table="d", data={})
            many = rq.InsertManyRequest(table="d", rows=[{}, {}, {}])
        assert await driver.run(one) == 1
        assert await driver.run(many) == 3
        rows = await driver.select("d", order_by=["id"])
        assert rows == [{"id": k, "n": 7} for k in range(1, 5)]
