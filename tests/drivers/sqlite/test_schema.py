"""
L{dbdriver.drivers.sqlite.schema}: SQLite's part of C{sync_schema}: a
nullable column is added with C{ALTER TABLE ... ADD COLUMN}, no rebuild; a
new unique or a NOT NULL column without default needs a rebuild (which
needs a backup, and keeps the rows, the rowid sequence and the file's
backup restorable); the rules L{SQLiteSchema.can_add} and
L{SQLiteSchema.expected_not_null}.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_twisted

from dbdriver.drivers.sqlite.schema import SQLiteSchema
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.sync import SyncSchemaRequest
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
        result = await driver.run(sync(UNIQUE, backup_dir=str(tmp_path / "b")))
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
