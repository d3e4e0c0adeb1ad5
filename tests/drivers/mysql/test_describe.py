"""
L{dbdriver.drivers.mysql.describe}: defaults read back as declared, and a
table created with every emulation described as it was given (on the real
MariaDB, tests/support/mysql.py).
"""

from __future__ import annotations

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.drivers.mysql.describe import read_default
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import Default
from tests.support.appschema import same_schema
from tests.support.live import error_of
from tests.support.mysql import client, mysql_db, running

__all__ = ["client", "mysql_db", "running"]


def test_read_default() -> None:
    assert read_default(None, "text") is None
    assert read_default("NULL", "integer") is None
    assert read_default("7", "integer") == Default("literal", 7)
    assert read_default("1.5", "real") == Default("literal", 1.5)
    assert read_default("1", "boolean") == Default("literal", True)
    assert read_default("'it''s'", "text") == Default("literal", "it's")
    assert read_default("'a\\\\b'", "text") == Default("literal", "a\\b")
    assert read_default("'2026-01-01 00:00:00.000000'", "timestamp") == Default(
        "literal", "2026-01-01T00:00:00+00:00"
    )
    assert read_default("utc_timestamp(6)", "timestamp") == Default("function", "now")
    assert read_default("unix_timestamp()", "bigint") == Default("function", "now")
    assert read_default("1 + 1", "integer") == Default("sql", "1 + 1")
    assert read_default("'a' || 'b'", "text") == Default("sql", "'a' || 'b'")


EVERYTHING = {
    "name": "files",
    "columns": [
        {"name": "id", "type": "uuid", "primary_key": True,
         "default": {"function": "uuid"}},
        {"name": "n", "type": "integer", "not_null": True, "default": 0,
         "check": {"n": {">=": 0}}},
        {"name": "path", "type": "text", "not_null": True},
        {"name": "sha", "type": "text", "max_length": 40},
        {"name": "body", "type": "text", "max_length": 100000},
        {"name": "deleted", "type": "boolean", "default": False},
        {"name": "at", "type": "timestamp", "default": {"function": "now"}},
        {"name": "doc", "type": "json"},
    ],
    "unique": [["path", "sha"]],
    "checks": [{"name": "files_sha", "where": {"sha": {"!=": ""}}}],
    "indexes": [
        {"name": "files_live", "columns": ["path"], "unique": True,
         "where": {"deleted": False}},
        {"name": "files_by_n", "columns": ["n", "path"]},
        {"name": "files_text", "columns": ["path", "body"], "kind": "fulltext"},
    ],
}  # fmt: skip


@pytest_twisted.ensureDeferred
async def test_every_emulation_is_described_as_given(client: DriverClient) -> None:
    assert await client.create_table(EVERYTHING) is True
    described = await client.describe_table("files")
    assert same_schema(described, EVERYTHING)
    assert described == parse_table(EVERYTHING).to_wire()
    info = await client.get_table_info("files")
    assert not [c for c in info if c["name"].startswith("_dbdriver_")]
    await client.insert("files", {"path": "a", "sha": "x", "body": "Hello World"})
    rows = await client.select("files", {"body": {"match": "hello"}})
    assert [r["path"] for r in rows] == ["a"]
    assert set(rows[0]) == {c["name"] for c in EVERYTHING["columns"]}
    error = await error_of(client.describe_table("nope"))
    assert error.code == "no_such_table"
