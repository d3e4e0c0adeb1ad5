"""
C{describe_table} on PostgreSQL: a table's whole schema read back from
C{pg_catalog} (columns and their types, defaults and comments from
C{pg_attribute}/C{pg_attrdef}; keys, unique keys, foreign keys and checks
from C{pg_constraint}; indexes from C{pg_index}), and the conditions of its
checks and partial indexes from the driver's notes.

The catalog's spellings are read back as the schema gave them: a
C{VARCHAR(n)} is a C{text} column of C{max_length} n; a default the
dialect rendered for C{{"function": ...}} is that function; a literal
default (a constant, perhaps cast) is evaluated, as the column's type; a
GIN index of the dialect's C{tsvector} expressions is a C{fulltext} index
of their columns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.postgresql.defaults import FUNCTIONS
from dbdriver.drivers.postgresql.dialect import (
    AUTOINCREMENT_TAG,
    SQL_DEFAULT_TAG,
    comment_tags,
    portable_type,
    varchar_length,
)
from dbdriver.drivers.sql.notes import Notes
from dbdriver.exceptions import NoSuchTable
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema

__all__ = ["describe", "fulltext_indexes"]

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.oid = to_regclass(%s) AND c.relkind IN ('r', 'p')
ORDER BY a.attnum
"""
#: The columns (in order) of each constraint of a table, and its target.
CONSTRAINTS_SQL = """
SELECT con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
             ORDER BY k.i),
       f.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
             ORDER BY k.i),
       con.confdeltype, con.confupdtype
FROM pg_constraint con LEFT JOIN pg_class f ON f.oid = con.confrelid
WHERE con.conrelid = to_regclass(%s) AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conname
"""
#: The indexes made by CREATE INDEX (none backs a constraint): each key
#: column's name, or its expression's text.
_INDEXES_SQL = """
SELECT c.relname, i.indisunique, i.indpred IS NOT NULL, am.amname,
       ARRAY(SELECT COALESCE(a.attname::text,
                             pg_get_indexdef(i.indexrelid, k.o::int, true))
             FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                  AND k.n > 0
             WHERE k.o <= i.indnkeyatts
             ORDER BY k.o),
       ARRAY(SELECT k.n = 0 FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
             WHERE k.o <= i.indnkeyatts ORDER BY k.o)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid = to_regclass(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname
"""
_ACTIONS = {"r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
#: The dialect's C{tsvector_sql} as C{pg_get_indexdef} spells it.
_TSVECTOR = re.compile(
    r"^to_tsvector\('simple'::regconfig, regexp_replace\(COALESCE\((.+?), "
    r"''::(?:text|character varying)\)(?:::text)?, '\[\^\[:alnum:\]\]\+'::text, "
    r"' '::text, 'g'::text\)\)$",
    re.S,
)
#: The portable type nearest to each type the dialect does not make (a
#: table that raw SQL created).
_FOREIGN_TYPES = {
    "smallint": "integer",
    "numeric": "real",
    "real": "real",
    "character varying": "text",
    "character": "text",
    "json": "json",
    "timestamp without time zone": "timestamp",
}
#: The type a literal default is read back as, by portable type.
_CASTS = {
    "integer": "bigint",
    "bigint": "bigint",
    "real": "double precision",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "uuid": "uuid",
    "blob": "bytea",
}
_CONSTANT = re.compile(
    r"^(?:'(?:[^']|'')*'(?:::[a-z ]+(?:\(\d+\))?)?"
    r"|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|true|false)$",
    re.S,
)


def _identifier(text: str) -> str:
    """A column name as C{pg_get_indexdef} prints it (quoted if needed)."""
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def fulltext_indexes(cursor: DBCursor, table: str) -> dict[str, tuple[str, ...]]:
    """
    The full-text indexes of a quoted C{table}: each one's name and columns.
    """
    found = {}
    cursor.execute(_INDEXES_SQL, [table])
    for name, _unique, partial, method, keys, expressions in cursor.fetchall():
        columns = _fulltext_columns(method, partial, keys, expressions)
        if columns:
            found[name] = columns
    return found


def _fulltext_columns(
    method: str, partial: bool, keys: list[str], expressions: list[bool]
) -> tuple[str, ...] | None:
    if method != "gin" or partial or not all(expressions):
        return None
    columns = []
    for key in keys:
        match = _TSVECTOR.match(key)
        if match is None:
            return None
        columns.append(_identifier(match.group(1)))
    return tuple(columns)


def _default(
    cursor: DBCursor, expression: str | None, kind: str, tags: set[str]
) -> object:
    """
    A column's default as the schema gives it (C{None}: none).
    """
    if expression is None or expression.upper().startswith("NULL"):
        return None
    if SQL_DEFAULT_TAG in tags:
        return {"sql": expression}
    if expression in FUNCTIONS:
        return {"function": FUNCTIONS[expression]}
    if not _CONSTANT.match(expression):
        return {"sql": expression}
    cast = _CASTS.get(kind, "text")
    cursor.execute(f"SELECT ({expression})::{cast}")
    row = cursor.fetchone()
    return None if row is None else row[0]


def describe(cursor: DBCursor, notes: Notes, quoted: str, table: str) -> TableSchema:
    """
    The whole schema of C{table} (C{quoted}: its quoted name).

    @raise NoSuchTable: there is no such table.
    """
    cursor.execute(_COLUMNS_SQL, [quoted])
    rows = cursor.fetchall()
    if not rows:
        raise NoSuchTable(f"no such table: {table}", {"table": table})
    columns: dict[str, dict[str, Any]] = {}
    for name, declared, not_null, expression, comment in rows:
        tags = comment_tags(comment)
        kind = portable_type(declared, comment)
        kind = _FOREIGN_TYPES.get(kind.split("(")[0], kind)
        column: dict[str, Any] = {"name": name, "type": kind}
        if not_null:
            column["not_null"] = True
        if AUTOINCREMENT_TAG in tags:
            column["autoincrement"] = True
        length = varchar_length(declared)
        if length is not None:
            column["max_length"] = length
        default = _default(cursor, expression, kind, tags)
        if default is not None:
            column["default"] = default
        columns[name] = column
    schema: dict[str, Any] = {"name": table, "columns": list(columns.values())}
    conditions = notes.read(cursor, table)
    cursor.execute(CONSTRAINTS_SQL, [quoted])
    for (
        conname,
        kind,
        names,
        target,
        targets,
        on_delete,
        on_update,
    ) in cursor.fetchall():
        _constraint(schema, columns, conditions, conname, kind, list(names))
        if kind == "f":
            actions = {}
            if on_delete in _ACTIONS:
                actions["on_delete"] = _ACTIONS[on_delete]
            if on_update in _ACTIONS:
                actions["on_update"] = _ACTIONS[on_update]
            if len(names) == 1:
                columns[names[0]]["references"] = {
                    "table": target,
                    "column": targets[0],
                    **actions,
                }
            else:
                schema.setdefault("foreign_keys", []).append(
                    {
                        "columns": list(names),
                        "references": {"table": target, "columns": list(targets)},
                        **actions,
                    }
                )
    cursor.execute(_INDEXES_SQL, [quoted])
    for name, unique, partial, method, keys, expressions in cursor.fetchall():
        index: dict[str, Any] = {"name": name}
        fulltext = _fulltext_columns(method, partial, keys, expressions)
        if fulltext:
            index.update(columns=list(fulltext), kind="fulltext")
        elif method != "btree" or any(expressions):
            continue  # not one the format describes
        else:
            index.update(columns=list(keys), unique=bool(unique))
        if partial:
            where = conditions.get(("index", name))
            if where is None:
                continue  # not the driver's: its condition is unknown
            index["where"] = json.loads(where)
        schema.setdefault("indexes", []).append(index)
    return parse_table(schema)


def _constraint(
    schema: dict[str, Any],
    columns: dict[str, dict[str, Any]],
    conditions: dict[tuple[str, str], str],
    conname: str,
    kind: str,
    names: list[str],
) -> None:
    """Put a primary key, unique key or check into C{schema}."""
    if kind == "p":
        if len(names) == 1:
            columns[names[0]]["primary_key"] = True
        else:
            schema["primary_key"] = names
    elif kind == "u":
        if len(names) == 1:
            columns[names[0]]["unique"] = True
        else:
            schema.setdefault("unique", []).append(names)
    elif kind == "c":
        where = conditions.get(("check", conname))
        if where is None:
            return  # not the driver's: its condition is unknown
        condition = json.loads(where)
        if len(names) == 1 and conname == _check_name(schema["name"], names[0]):
            columns[names[0]]["check"] = condition
        else:
            schema.setdefault("checks", []).append(
                {"name": conname, "where": condition}
            )


def _check_name(table: str, column: str) -> str:
    """The name the schema parser gives a column's own check."""
    room = 63 - len(column) - len("check") - 2
    return f"{table[:room]}_{column}_check"[:63]
