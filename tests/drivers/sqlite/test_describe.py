"""
L{dbdriver.drivers.sqlite.describe}: a table's schema from SQLite's
catalog and its C{CREATE TABLE} text, in the canonical form: a one-column
C{UNIQUE} or foreign key where it was written (the column or the table),
literal, function and C{sql} defaults told apart, checks and partial
indexes only with their notes, full-text indexes of this table only, and a
table made by raw SQL described by SQLite's affinities.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from dbdriver.drivers.sql.notes import Notes
from dbdriver.drivers.sqlite.describe import describe, portable_type
from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.exceptions import NoSuchTable
from dbdriver.requests.schema import parse_table

DIALECT = SQLiteDialect()


def _notes() -> Notes:
    def columns_of(cursor: Any, table: str) -> list[object]:
        cursor.execute("SELECT name FROM pragma_table_info(?)", (table,))
        return list(cursor.fetchall())

    return Notes(DIALECT, columns_of)


def _made(*tables: dict[str, Any]) -> sqlite3.Cursor:
    cursor = sqlite3.connect(":memory:", isolation_level=None).cursor()
    for table in tables:
        schema = parse_table(table)
        for statement in DIALECT.create_table(schema, False):
            cursor.execute(statement)
        _notes().write(cursor, schema)
    return cursor


def _round_trip(table: dict[str, Any]) -> None:
    cursor = _made(table)
    described = describe(cursor, DIALECT, _notes(), table["name"])
    assert described.to_wire() == parse_table(table).to_wire()


N = {"name": "n", "type": "integer"}
T = {"name": "t", "type": "text"}


@pytest.mark.parametrize(
    "table",
    [
        {"name": "a", "columns": [{**N, "unique": True}, T], "unique": [["t"]]},
        {"name": "a", "columns": [N, T], "unique": [["n"], ["n", "t"]]},
        {"name": "a", "columns": [{**N, "default": {"sql": "1 + 1"}}]},
        {
            "name": "a",
            "columns": [{**N, "default": {"sql": "5"}}, {**T, "default": "5"}],
        },
        {"name": "a", "columns": [{**T, "default": "it's (UNIQUE)", "max_length": 20}]},
        {
            "name": "a",
            "columns": [{"name": "b", "type": "blob", "default": b"\x00\xff"}],
        },
        {"name": "a", "columns": [{"name": "r", "type": "real", "default": 1e16}]},
        {"name": "a", "columns": [{"name": "j", "type": "json", "default": "[1]"}]},
        {"name": "a", "columns": [N, T], "primary_key": ["t", "n"]},
        {
            "name": "a",
            "columns": [{**N, "references": {"table": "a", "column": "n"}}, T],
            "foreign_keys": [
                {"columns": ["t"], "references": {"table": "a", "columns": ["t"]}}
            ],
        },
        {
            "name": "a",
            "columns": [{**N, "check": {"n": {">": 0}}}, T],
            "checks": [{"name": "a_n_check2", "where": {"t": {"like": "x%"}}}],
        },
    ],
    ids=repr,
)
def test_round_trip(table: dict[str, Any]) -> None:
    _round_trip(table)


def test_conditions_without_notes_are_left_out() -> None:
    table = {
        "name": "a",
        "columns": [{**N, "check": {"n": {">": 0}}}, T],
        "indexes": [
            {"name": "a_t", "columns": ["t"], "where": {"n": 1}},
            {"name": "a_n", "columns": ["n"]},
        ],
    }
    cursor = _made(table)
    _notes().forget(cursor, "a")
    described = describe(cursor, DIALECT, _notes(), "a").to_wire()
    assert "check" not in described["columns"][0]
    assert described["indexes"] == [{"name": "a_n", "columns": ["n"]}]


def test_fulltext_indexes_of_this_table_only() -> None:
    def docs(name: str, index: str) -> dict[str, Any]:
        return {
            "name": name,
            "columns": [T],
            "indexes": [{"name": index, "columns": ["t"], "kind": "fulltext"}],
        }

    cursor = _made(docs("a", "x"), docs("a_b", "y"))
    for name, index in (("a", "x"), ("a_b", "y")):
        described = describe(cursor, DIALECT, _notes(), name).to_wire()
        assert described["indexes"] == [
            {"name": index, "columns": ["t"], "kind": "fulltext"}
        ]


def test_missing_and_own_tables() -> None:
    cursor = _made({"name": "a", "columns": [{**N, "check": {"n": 1}}]})
    for name in ("nope", "_dbdriver_notes"):
        with pytest.raises(NoSuchTable):
            describe(cursor, DIALECT, _notes(), name)


def test_a_table_of_raw_sql() -> None:
    cursor = sqlite3.connect(":memory:").cursor()
    cursor.execute(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, "
        "data, price NUMERIC DEFAULT 1.5, tag TEXT DEFAULT CURRENT_TIMESTAMP)"
    )
    described = describe(cursor, DIALECT, _notes(), "raw").to_wire()
    assert [(c["name"], c["type"]) for c in described["columns"]] == [
        ("id", "integer"),
        ("name", "text"),
        ("data", "blob"),
        ("price", "real"),
        ("tag", "text"),
    ]
    assert described["columns"][3]["default"] == 1.5
    assert described["columns"][4]["default"] == {"sql": "CURRENT_TIMESTAMP"}
    assert portable_type("UUID TEXT") == "uuid"
