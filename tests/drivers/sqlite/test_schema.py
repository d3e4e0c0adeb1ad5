"""
L{dbdriver.drivers.sqlite.schema}: SQLite's part of C{sync_schema}: a
nullable column is added with C{ALTER TABLE ... ADD COLUMN}, no rebuild; a
new unique or a NOT NULL column without default needs a rebuild (which
needs a backup, and keeps the rows, the rowid sequence and the file's
backup restorable); the rules L{SQLiteSchema.can_add} and
L{SQLiteSchema.expected_not_null}, L{SQLiteSchema.same_default}; a
full-text index created by a sync, made again by a rebuild, dropped with
its table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_twisted

from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.drivers.sqlite.schema import SQLiteSchema
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.sync import SyncSchemaRequest
from tests.support.backends import Database
from tests.support.direct import connected

ID = {"name": "id", "type": "integer", "primary_key": True}
A = {"tables": [{"name": "t", "columns": [ID, {"name": "k", "type": "text"}]}]}
ADDED = {
    "tables": [
        {
            "name": "t",
            "columns": [
                ID,
                {"name": "k", "type": "text"},
                {"name": "n", "type": "integer"},
            ],
        }
    ]
}
UNIQUE = {
    "tables": [
        {
            "name": "t",
            "columns": [ID, {"name": "k", "type": "text", "unique": True}],
        }
    ]
}


def sync(definition: dict, **options: object) -> SyncSchemaRequest:
    return SyncSchemaRequest(schema_definition=definition, **options)


@pytest_twisted.ensureDeferred
async def test_a_nullable_column_is_added_in_place(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, db):
        await driver.run(sync(A))
        await driver.insert("t", {"id": 1, "k": "a"})
        result = await driver.run(sync(ADDED))
        assert result["added_columns"] == [{"table": "t", "column": "n"}]
        assert result["rebuilt_tables"] == [] and result["backup"] is None
        assert db.sql("SELECT id, k, n FROM t") == [(1, "a", None)]


@pytest_twisted.ensureDeferred
async def test_a_new_unique_rebuilds_with_a_backup(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    async with connected("sqlite", tmp_path / "d") as (driver, db):
        await driver.run(sync(A))
        for n in range(1, 4):
            await driver.insert("t", {"id": n, "k": f"k{n}"})
        with pytest.raises(InvalidParams):
            await driver.run(sync(UNIQUE))  # no backup_dir
        result = await driver.run(
            sync(UNIQUE, backup_dir=str(tmp_path / "d" / "backups" / "b"))
        )
        assert result["rebuilt_tables"] == ["t"]
        sql = db.sql("SELECT sql FROM sqlite_master WHERE name = 't'")[0][0]
        assert "UNIQUE" in sql
        assert db.sql("SELECT id, k FROM t ORDER BY id") == [
            (n, f"k{n}") for n in range(1, 4)
        ]
        with sqlite3.connect(result["backup"]) as backup:
            assert backup.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
            old = backup.execute("SELECT sql FROM sqlite_master WHERE name = 't'")
            assert "UNIQUE" not in old.fetchall()[0][0]
        assert db.sql("PRAGMA foreign_key_check") == []


def test_the_rules() -> None:
    schema = parse_table(
        {
            "name": "t",
            "columns": [
                ID,
                {"name": "req", "type": "text", "not_null": True},
                {"name": "dflt", "type": "text", "not_null": True, "default": "x"},
                {"name": "free", "type": "text"},
            ],
        }
    )
    backend = SQLiteSchema.__new__(SQLiteSchema)
    columns = {c.name: c for c in schema.columns}
    assert not backend.can_add(columns["req"], schema)
    assert backend.can_add(columns["dflt"], schema)
    assert backend.can_add(columns["free"], schema)
    assert not backend.expected_not_null(columns["id"], schema)  # the rowid
    assert backend.expected_not_null(columns["req"], schema)
    backend.dialect = SQLiteDialect()
    now = parse_table(
        {
            "name": "t",
            "columns": [
                {"name": "at", "type": "real", "default": {"function": "now"}},
                {"name": "n", "type": "integer", "default": -3},
            ],
        }
    ).columns
    assert backend.same_default("(julianday('now') - 2440587.5) * 86400.0", now[0])
    assert backend.same_default("-3", now[1])
    assert not backend.same_default("3", now[1])
    assert not backend.same_default(None, now[1])


DOCS = {
    "name": "docs",
    "columns": [ID, {"name": "body", "type": "text"}, {"name": "n", "type": "integer"}],
}
FULLTEXT = [{"name": "docs_body", "columns": ["body"], "kind": "fulltext"}]


def _fts_objects(db: Database) -> list[tuple[str, str]]:
    return db.sql(
        "SELECT type, name FROM sqlite_master WHERE name LIKE '\\_dbdriver\\_fts%' "
        "ESCAPE '\\' AND name NOT LIKE '%\\_data' ESCAPE '\\' "
        "AND name NOT LIKE '%\\_idx' ESCAPE '\\' "
        "AND name NOT LIKE '%\\_docsize' ESCAPE '\\' "
        "AND name NOT LIKE '%\\_config' ESCAPE '\\' ORDER BY name"
    )


@pytest_twisted.ensureDeferred
async def test_fulltext_indexes_through_a_sync(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    async with connected("sqlite", tmp_path / "d") as (driver, db):
        await driver.run(sync({"tables": [DOCS]}))
        await driver.insert("docs", {"id": 1, "body": "reactor loop"})
        await driver.insert("docs", {"id": 2, "body": "deferred"})
        indexed = {**DOCS, "indexes": FULLTEXT}
        result = await driver.run(sync({"tables": [indexed]}))
        assert result["created_indexes"] == ["docs_body"]
        found = await driver.select("docs", {"body": {"match": "react*"}})
        assert [r["id"] for r in found] == [1]
        assert len(_fts_objects(db)) == 5  # the table, its view and three triggers
        # A rebuild (a new unique key) makes the index again over the new table.
        columns = [
            ID,
            DOCS["columns"][1],
            {"name": "n", "type": "integer", "unique": True},
        ]
        rebuilt = {**indexed, "columns": columns}
        backup = str(tmp_path / "d" / "backups" / "b")
        result = await driver.run(sync({"tables": [rebuilt]}, backup_dir=backup))
        assert result["rebuilt_tables"] == ["docs"]
        assert len(_fts_objects(db)) == 5
        await driver.insert("docs", {"id": 3, "body": "reactor again"})
        found = await driver.select("docs", {"body": {"match": "reactor"}})
        assert sorted(r["id"] for r in found) == [1, 3]
        described = await driver.describe_table("docs")
        assert described["indexes"] == FULLTEXT
        assert await driver.drop_table("docs") is True
        assert _fts_objects(db) == []
