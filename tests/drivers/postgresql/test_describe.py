"""
L{dbdriver.drivers.postgresql.describe}, on the real PostgreSQL: what the
catalog holds read back as the schema format (a C{VARCHAR(n)} is a
C{max_length}, the dialect's C{now}/C{uuid} expressions are those
functions, a GIN index of its C{tsvector} expressions is a C{fulltext}
index), what the driver did not make left out (a check or partial index
without a note, an expression index), and full-text queries that use the
index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted

from dbdriver import requests as rq
from tests.support.direct import connected

DOCS = {
    "name": "docs",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "code", "type": "text", "max_length": 8, "unique": True},
        {"name": "body", "type": "text"},
        {"name": "at", "type": "timestamp", "default": {"function": "now"}},
        {"name": "n", "type": "integer", "default": {"sql": "1 + 1"}},
        {"name": "one", "type": "integer", "default": {"sql": "1"}},
        {"name": "u", "type": "uuid", "default": {"function": "uuid"}},
    ],
    "checks": [{"name": "docs_code", "where": {"code": {"like": "c%"}}}],
    "indexes": [
        {"name": "docs_body", "columns": ["body"], "kind": "fulltext"},
        {"name": "docs_live", "columns": ["n"], "where": {"n": {">": 0}}},
    ],
}


async def _sql(driver: Any, sql: str) -> Any:
    return await driver.run(rq.ExecuteRequest(sql=sql))


@pytest_twisted.ensureDeferred
async def test_catalog_read_back(tmp_path: Path) -> None:
    # SET LOCAL changes the session: --allow-session-sql
    async with connected("postgresql", tmp_path, allow_session_sql=True) as (
        driver,
        _,
    ):
        await driver.create_table(DOCS)
        described = await driver.run(rq.DescribeTableRequest(table="docs"))
        columns = {c["name"]: c for c in described["columns"]}
        assert columns["id"]["autoincrement"] is True
        assert columns["code"]["max_length"] == 8
        assert columns["code"]["unique"] is True
        assert columns["at"]["default"] == {"function": "now"}
        assert columns["u"]["default"] == {"function": "uuid"}
        assert columns["n"]["default"] == {"sql": "(1 + 1)"}
        assert columns["one"]["default"] == {"sql": "1"}  # not the literal 1
        assert described["checks"] == [
            {"name": "docs_code", "where": {"code": {"like": "c%"}}}
        ]
        assert {i["name"]: i.get("kind", "btree") for i in described["indexes"]} == {
            "docs_body": "fulltext",
            "docs_live": "btree",
        }
        info = await driver.get_table_info("docs")
        assert [c["type"] for c in info][:2] == ["integer", "text"]


@pytest_twisted.ensureDeferred
async def test_what_the_driver_did_not_make_is_left_out(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, _):
        await _sql(
            driver,
            'CREATE TABLE "raw" ("id" BIGINT PRIMARY KEY, "t" TEXT '
            "CONSTRAINT raw_t CHECK (t <> ''), \"s\" SMALLINT DEFAULT 3, "
            '"v" VARCHAR DEFAULT \'x\', "r" NUMERIC DEFAULT 1.5)',
        )
        await _sql(driver, 'CREATE INDEX "raw_lower" ON "raw" (lower("t"))')
        await _sql(driver, 'CREATE INDEX "raw_part" ON "raw" ("t") WHERE "id" > 0')
        await _sql(driver, 'CREATE INDEX "raw_plain" ON "raw" ("t")')
        described = await driver.run(rq.DescribeTableRequest(table="raw"))
        assert "checks" not in described
        assert described["indexes"] == [{"name": "raw_plain", "columns": ["t"]}]
        assert described["columns"][0]["type"] == "bigint"
        assert described["columns"][2:] == [
            {"name": "s", "type": "integer", "default": 3},
            {"name": "v", "type": "text", "default": "x"},
            {"name": "r", "type": "real", "default": 1.5},
        ]


@pytest_twisted.ensureDeferred
async def test_match_uses_the_index(tmp_path: Path) -> None:
    # SET LOCAL changes the session: --allow-session-sql
    async with connected("postgresql", tmp_path, allow_session_sql=True) as (
        driver,
        _,
    ):
        await driver.create_table(DOCS)
        rows = [
            {"code": "c1", "body": "self.reactor.callLater(foo_bar)"},
            {"code": "c2", "body": "a.py b-c"},
            {"code": "c3", "body": None},
        ]
        await driver.run(rq.InsertManyRequest(table="docs", rows=rows))

        async def found(query: str) -> set[str]:
            request = rq.SelectRequest(
                table="docs", where={"body": {"match": query}}, columns=["code"]
            )
            return {r["code"] for r in await driver.run(request)}

        assert await found("reactor calllater") == {"c1"}
        assert await found("bar foo") == {"c1"}
        assert await found("py") == {"c2"}
        assert await found("call*") == {"c1"}
        assert await found("b c") == {"c2"}
        tx = await driver.begin_transaction()
        off = rq.ExecuteRequest(sql="SET LOCAL enable_seqscan = off")
        await driver.run(off, transaction_id=tx)
        explain = rq.ExecuteRequest(
            sql="EXPLAIN SELECT * FROM docs WHERE to_tsvector('simple', "
            "regexp_replace(COALESCE(\"body\", ''), '[^[:alnum:]]+', ' ', 'g')) "
            "@@ to_tsquery('simple', 'x')"
        )
        plan = await driver.run(explain, transaction_id=tx)
        await driver.rollback_transaction(tx)
        assert "docs_body" in " ".join(str(r) for r in plan["rows"])
