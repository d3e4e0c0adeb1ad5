"""
L{dbdriver.drivers.sql.notes}: the conditions of checks and partial
indexes, noted next to the DDL on a real (in-memory) SQLite database.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.notes import NOTES, Notes
from dbdriver.requests.schema import parse_table

_TABLE: dict[str, Any] = {
    "name": "t",
    "columns": [
        {"name": "n", "type": "integer", "check": {"n": {">": 0}}},
        {"name": "deleted", "type": "integer"},
    ],
    "checks": [{"name": "small", "where": {"n": {"<": 10}}}],
    "indexes": [{"name": "live", "columns": ["n"], "where": {"deleted": 0}}],
}


def _notes() -> tuple[Notes, sqlite3.Cursor]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    cursor = db.cursor()

    def columns_of(cursor: Any, table: str) -> list[object]:
        return list(cursor.execute(f'PRAGMA table_info("{table}")').fetchall())

    return Notes(Dialect(), columns_of), cursor


def test_write_read_rename_forget() -> None:
    notes, cursor = _notes()
    assert notes.read(cursor, "t") == {}
    schema = parse_table(_TABLE)
    notes.write(cursor, schema)
    notes.write(cursor, schema)  # replaces, does not add
    assert notes.read(cursor, "t") == {
        ("check", "t_n_check"): '{"n":{">":0}}',
        ("check", "small"): '{"n":{"<":10}}',
        ("index", "live"): '{"deleted":0}',
    }
    checks = notes.checks(cursor, "t")
    assert set(checks) == {"t_n_check", "small"}
    assert checks["small"] == schema.checks[0]
    notes.rename(cursor, "t", "u")
    assert notes.read(cursor, "t") == {}
    assert len(notes.read(cursor, "u")) == 3
    notes.forget(cursor, "u")
    assert notes.read(cursor, "u") == {}
    assert cursor.execute(f"SELECT COUNT(*) FROM {NOTES}").fetchone() == (0,)


def test_a_table_without_conditions_makes_no_notes_table() -> None:
    notes, cursor = _notes()
    notes.write(
        cursor, parse_table({"name": "p", "columns": [{"name": "a", "type": "text"}]})
    )
    found = cursor.execute("SELECT name FROM sqlite_master").fetchall()
    assert found == []
