"""
L{dbdriver.drivers.sql.ddl}: the DDL half of a dialect, SQLite's by
default: every key of the table schema rendered, and the rendered table
run on a real (in-memory) SQLite database, where the constraints hold.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from typing import Any

import pytest

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table

_TABLE: dict[str, Any] = {
    "name": "locks",
    "columns": [
        {"name": "id", "type": "uuid", "primary_key": True,
         "default": {"function": "uuid"}},
        {"name": "mode", "type": "text", "max_length": 9,
         "check": {"mode": {"in": ["exclusive", "shared"]}}},
        {"name": "refcount", "type": "integer", "default": 1},
        {"name": "at", "type": "timestamp", "default": {"function": "now"}},
        {"name": "seen", "type": "real", "default": {"function": "now"}},
        {"name": "stamp", "type": "integer", "default": {"function": "now"}},
        {"name": "deleted", "type": "integer", "default": 0},
        {"name": "note", "type": "text", "default": "it's"},
    ],
    "checks": [{"name": "positive", "where": {"refcount": {">": 0}}}],
    "indexes": [
        {"name": "live_mode", "columns": ["mode"], "unique": True,
         "where": {"deleted": 0}},
    ],
}  # fmt: skip


def _database() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    for statement in Dialect().create_table(parse_table(_TABLE), False):
        db.execute(statement)
    return db


def test_the_statements() -> None:
    create, index = Dialect().create_table(parse_table(_TABLE), False)
    assert '"mode" TEXT CHECK (length("mode") <= 9)' in create
    assert (
        "CONSTRAINT \"locks_mode_check\" CHECK (\"mode\" IN ('exclusive', 'shared'))"
        in create
    )
    assert 'CONSTRAINT "positive" CHECK ("refcount" > 0)' in create
    assert """DEFAULT 'it''s'""" in create
    assert index == (
        'CREATE UNIQUE INDEX "live_mode" ON "locks" ("mode") WHERE "deleted" = 0'
    )


def test_defaults_are_evaluated_by_the_database() -> None:
    db = _database()
    before = time.time()
    db.execute("INSERT INTO locks (mode) VALUES ('shared')")
    key, at, seen, stamp, note = db.execute(
        "SELECT id, at, seen, stamp, note FROM locks"
    ).fetchone()
    assert uuid.UUID(key).version == 4 and str(uuid.UUID(key)) == key
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", at)
    assert before - 1 <= seen <= time.time() + 1
    assert isinstance(stamp, int) and before - 2 <= stamp <= time.time() + 1
    assert note == "it's"


@pytest.mark.parametrize(
    "values",
    [
        "('none', 1, 0)",  # the column's check
        "('shared', 0, 0)",  # the table's check
        "('exclusives', 1, 0)",  # max_length
    ],
)
def test_constraints_hold(values: str) -> None:
    db = _database()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(f"INSERT INTO locks (mode, refcount, deleted) VALUES {values}")


def test_a_partial_unique_index_is_unique_over_its_rows_only() -> None:
    db = _database()
    insert = "INSERT INTO locks (mode, deleted) VALUES (?, ?)"
    db.execute(insert, ("shared", 1))
    db.execute(insert, ("shared", 1))
    db.execute(insert, ("shared", 0))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert, ("shared", 0))


def test_composite_keys() -> None:
    parent = {
        "name": "versions",
        "columns": [
            {"name": "file_id", "type": "integer"},
            {"name": "version", "type": "integer"},
        ],
        "primary_key": ["file_id", "version"],
    }
    child = {
        "name": "trees",
        "columns": [
            {"name": "file_id", "type": "integer", "not_null": True},
            {"name": "version", "type": "integer", "not_null": True},
        ],
        "foreign_keys": [
            {
                "columns": ["file_id", "version"],
                "references": {"table": "versions", "columns": ["file_id", "version"]},
                "on_delete": "cascade",
            }
        ],
    }
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    for table in (parent, child):
        for statement in Dialect().create_table(parse_table(table), False):
            db.execute(statement)
    db.execute("INSERT INTO versions VALUES (1, 1)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO versions VALUES (1, 1)")
    db.execute("INSERT INTO trees VALUES (1, 1)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO trees VALUES (1, 2)")
    db.execute("DELETE FROM versions")
    assert db.execute("SELECT COUNT(*) FROM trees").fetchone() == (0,)


def test_a_literal_where_escapes_its_operands() -> None:
    dialect = Dialect()
    node = (
        parse_table(
            {
                "name": "t",
                "columns": [
                    {
                        "name": "s",
                        "type": "text",
                        "check": {"s": {"!=": "'; DROP TABLE t; --"}},
                    }
                ],
            }
        )
        .columns[0]
        .check
    )
    assert node is not None
    assert dialect.literal_where(node.node) == "\"s\" <> '''; DROP TABLE t; --'"


def test_the_base_has_no_fulltext() -> None:
    table = parse_table(
        {"name": "t", "columns": [{"name": "s", "type": "text"}],
         "indexes": [{"name": "words", "columns": ["s"], "kind": "fulltext"}]}
    )  # fmt: skip
    with pytest.raises(InvalidParams, match="full-text"):
        Dialect().create_table(table, False)
