"""
L{dbdriver.drivers.sqlite.checks}: before a rebuild copies a column into a
C{json} one, its values must be JSON text; before the commit, the foreign
keys of the rebuilt tables (and of the tables that refer to them) hold,
else C{constraint_violation} listing the rows.
"""

from __future__ import annotations

import sqlite3

import pytest

from dbdriver.drivers.schema.plan import LiveTable, Plan, Rebuild
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.drivers.sqlite.checks import check_json, verify_foreign_keys
from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.exceptions import ConstraintViolation
from dbdriver.requests.schema import parse_table

DOCS = parse_table({"name": "docs", "columns": [{"name": "doc", "type": "json"}]})


def _rebuild(live_type: str) -> Rebuild:
    live = LiveTable("docs", (CatalogColumn("doc", live_type),))
    return Rebuild(DOCS, live, ("type",), ("doc",))


def test_a_column_becoming_json_holds_json_text() -> None:
    cursor = sqlite3.connect(":memory:").cursor()
    cursor.execute("CREATE TABLE docs (doc TEXT)")
    cursor.execute("INSERT INTO docs VALUES ('[1]'), (NULL)")
    check_json(cursor, SQLiteDialect(), _rebuild("text"))
    cursor.execute("INSERT INTO docs VALUES ('not json')")
    check_json(cursor, SQLiteDialect(), _rebuild("json"))  # already json
    with pytest.raises(ConstraintViolation) as caught:
        check_json(cursor, SQLiteDialect(), _rebuild("text"))
    assert caught.value.details == {"table": "docs", "column": "doc", "rows": 1}


def test_foreign_keys_of_rebuilt_tables_hold() -> None:
    cursor = sqlite3.connect(":memory:").cursor()
    cursor.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    cursor.execute("CREATE TABLE child (p INTEGER REFERENCES parent (id))")
    cursor.execute("INSERT INTO parent VALUES (1)")
    cursor.execute("INSERT INTO child VALUES (1), (2), (2)")
    parent = parse_table(
        {"name": "parent", "columns": [{"name": "id", "type": "integer"}]}
    )
    plan = Plan()
    verify_foreign_keys(cursor, ["child", "parent"], plan)  # nothing rebuilt
    plan.steps.append(Rebuild(parent, LiveTable("parent", ()), ("x",), ("id",)))
    with pytest.raises(ConstraintViolation) as caught:
        verify_foreign_keys(cursor, ["child", "parent"], plan)
    assert caught.value.details["count"] == 2
    assert caught.value.details["violations"][0]["table"] == "child"
