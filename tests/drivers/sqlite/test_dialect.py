"""
L{dbdriver.drivers.sqlite.dialect}: a full-text index as an FTS5
external-content table and three triggers (all named with the driver's
prefix), a C{match} as a C{rowid IN} subquery with a quoted FTS5 query,
C{DEFAULT VALUES} for a row of no columns, and a kept column's default in
parentheses.
"""

from __future__ import annotations

import sqlite3

from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.drivers.sqlite.dialect import FTS_PREFIX, SQLiteDialect, fts_name
from dbdriver.requests.schema import parse_table
from dbdriver.requests.where import Terms

DOCS = parse_table(
    {
        "name": "docs",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "title", "type": "text"},
            {"name": "body", "type": "text"},
        ],
        "indexes": [
            {"name": "docs_text", "columns": ["title", "body"], "kind": "fulltext"}
        ],
    }
)


def _database() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("PRAGMA recursive_triggers = ON")
    for statement in SQLiteDialect().create_table(DOCS, False):
        connection.execute(statement)
    return connection


def test_names_have_the_driver_prefix() -> None:
    assert FTS_PREFIX.startswith("_dbdriver_")
    assert fts_name("docs", "docs_text") == "_dbdriver_fts_docs$docs_text"
    assert fts_name("a", "b_c") != fts_name("a_b", "c")
    connection = _database()
    names = [
        n for (n,) in connection.execute("SELECT name FROM sqlite_master ORDER BY 1")
    ]
    assert "docs" in names
    assert all(n == "docs" or n.startswith("_dbdriver_") for n in names), names
    assert FTS_PREFIX + "docs$docs_text" in names
    triggers = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
    ).fetchone()
    assert triggers == (3,)


def _search(connection: sqlite3.Connection, column: str, terms: Terms) -> list[int]:
    fts = fts_name("docs", "docs_text")
    sql, params = SQLiteDialect().render_match(column, terms, fts)
    found = connection.execute(f"SELECT id FROM docs WHERE {sql}", params)
    return [r for (r,) in found]


def test_triggers_keep_the_index_current() -> None:
    connection = _database()
    connection.execute(
        "INSERT INTO docs VALUES (1, 'Reactor', 'deferred callback'), "
        "(2, 'protocol', 'Reactor transport')"
    )
    assert _search(connection, "body", (("reactor", False),)) == [2]
    assert _search(connection, "title", (("reactor", False),)) == [1]
    assert _search(connection, "body", (("defer", True), ("call", True))) == [1]
    connection.execute("UPDATE docs SET body = 'nothing' WHERE id = 2")
    assert _search(connection, "body", (("reactor", False),)) == []
    connection.execute("INSERT OR REPLACE INTO docs VALUES (1, 'x', 'gizmo')")
    assert _search(connection, "body", (("deferred", False),)) == []
    assert _search(connection, "body", (("gizmo", False),)) == [1]
    connection.execute("DELETE FROM docs")
    assert _search(connection, "body", (("gizmo", False),)) == []
    connection.execute("INSERT INTO docs VALUES (3, NULL, 'a \"quoted\" word')")
    assert _search(connection, "body", (('quoted"', False),)) == [3]


def test_an_index_made_over_rows_is_filled() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    dialect = SQLiteDialect()
    plain = parse_table({**DOCS.to_wire(), "indexes": []})
    connection.execute(dialect.create_table(plain, False)[0])
    connection.execute("INSERT INTO docs VALUES (1, 't', 'already here')")
    for statement in dialect.index_sql(DOCS, DOCS.indexes[0]):
        connection.execute(statement)
    assert _search(connection, "body", (("already", False),)) == [1]


def test_default_values_and_kept_defaults() -> None:
    dialect = SQLiteDialect()
    assert dialect.values_sql([], 1) == "DEFAULT VALUES"
    assert dialect.values_sql(["a"], 2) == '("a") VALUES (?), (?)'
    kept = CatalogColumn("n", "integer", True, "1 + 1")
    assert dialect.live_column_sql(kept) == '"n" INTEGER NOT NULL DEFAULT (1 + 1)'


def test_names_fts5_reserves_and_names_that_meet() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    dialect = SQLiteDialect()
    for table, index in (("a", "b_c"), ("a_b", "c")):
        schema = parse_table(
            {
                "name": table,
                "columns": [{"name": "rank", "type": "text"}],
                "indexes": [{"name": index, "columns": ["rank"], "kind": "fulltext"}],
            }
        )
        for statement in dialect.create_table(schema, False):
            connection.execute(statement)
        connection.execute(f'INSERT INTO "{table}" VALUES (?)', (f"word {table}",))
    for table, index in (("a", "b_c"), ("a_b", "c")):
        sql, params = dialect.render_match(
            "rank", (("word", False),), fts_name(table, index)
        )
        found = connection.execute(f'SELECT "rank" FROM "{table}" WHERE {sql}', params)
        assert found.fetchall() == [(f"word {table}",)]
