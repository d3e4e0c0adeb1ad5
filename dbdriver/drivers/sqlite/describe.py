"""
C{describe_table} on SQLite: a table's whole schema from its catalog.

C{pragma_table_info} gives the columns (declared type, NOT NULL, the
default's text, the key), C{pragma_index_list}/C{pragma_index_info} the
unique keys and indexes, C{pragma_foreign_key_list} the foreign keys; the
table's own C{CREATE TABLE} text in C{sqlite_master} tells what the pragmas
do not: which clause belongs to a column and which to the table (a
one-column C{UNIQUE} or C{REFERENCES}), the names of the checks, the length
check of a C{max_length}, whether a default is an expression.  The
conditions of checks and partial indexes come from the notes; full-text
indexes are the driver's FTS5 tables (L{SQLiteDialect.fulltext_sql}).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import attrs

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.notes import Notes
from dbdriver.drivers.sqlite.dialect import (
    FTS_COLUMN,
    SQLiteDialect,
    fts_name,
)
from dbdriver.exceptions import NoSuchTable
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema

__all__ = ["describe", "fulltext_indexes", "portable_type"]

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]")
_CONSTRAINT = re.compile(r'\bCONSTRAINT\s+"((?:[^"]|"")+)"\s+CHECK\b', re.IGNORECASE)
_LENGTH = re.compile(r'CHECK \(length\("((?:[^"]|"")+)"\) <= (\d+)\)')
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_TEXT = re.compile(r"^'((?:[^']|'')*)'$", re.DOTALL)
_BLOB = re.compile(r"^[xX]'([0-9a-fA-F]*)'$")
_FTS_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name LIKE ? ESCAPE '\\' AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
)


def portable_type(declared: str) -> str:
    """
    The portable type of a declared type: the dialect's own names read
    backwards, else SQLite's affinity rules (a table made by raw SQL).
    """
    found = _PORTABLE.get(declared.lower())
    if found is not None:
        return found
    upper = declared.upper()
    if "INT" in upper:
        return "integer"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if not upper or "BLOB" in upper:
        return "blob"
    return "real"


_PORTABLE = {declared.lower(): name for name, declared in SQLiteDialect.types.items()}


@attrs.frozen
class _Item:
    """
    One clause of a C{CREATE TABLE}'s body: its text with string literals
    blanked (C{text}), and with identifiers and parenthesized parts
    blanked too (C{flat}, where only its own keywords are left).
    """

    text: str
    flat: str

    def has(self, keyword: str) -> bool:
        return re.search(rf"\b{keyword}\b", self.flat, re.IGNORECASE) is not None

    def leading_name(self) -> str | None:
        """The column a column definition names (C{None}: a table clause)."""
        text = self.text.lstrip()
        if text.startswith('"'):
            end = re.match(r'"((?:[^"]|"")*)"', text)
            return None if end is None else end.group(1).replace('""', '"')
        word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text)
        if word is None or word.group(0).upper() in _TABLE_CLAUSES:
            return None
        return word.group(0)

    def checks(self) -> list[str]:
        return [m.group(1).replace('""', '"') for m in _CONSTRAINT.finditer(self.text)]


_TABLE_CLAUSES = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


def _items(sql: str) -> Iterator[_Item]:
    """The clauses of a C{CREATE TABLE} statement's body, in order."""

    def blank(match: re.Match[str], strings_only: bool) -> str:
        token = match.group(0)
        if strings_only and not token.startswith("'"):
            return token
        return token[0] + " " * (len(token) - 2) + token[-1]

    text = _QUOTED.sub(lambda m: blank(m, True), sql)
    masked = _QUOTED.sub(lambda m: blank(m, False), sql)
    start = masked.find("(")
    depth, begin = 0, start + 1
    flat: list[str] = []
    for i in range(start, len(masked)):
        char = masked[i]
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                yield _Item(text[begin:i], "".join(flat))
                return
        elif char == "," and depth == 1:
            yield _Item(text[begin:i], "".join(flat))
            begin, flat = i + 1, []
            continue
        flat.append(char if depth == 1 or char in "()" else " ")


def _strip(expression: str) -> str:
    return expression[1:-1] if expression.startswith("(") else expression


def _default(dialect: SQLiteDialect, text: str, kind: str, expression: bool) -> object:
    """The wire form of a default, from the catalog's text of it."""
    if expression:
        if text == _strip(dialect.now_sql(kind)):
            return {"function": "now"}
        if text == _strip(dialect.uuid_sql()):
            return {"function": "uuid"}
        return {"sql": text}
    if text.upper() == "NULL":
        return None
    if kind in ("integer", "bigint") and _INTEGER.match(text):
        return int(text)
    if kind == "real" and _NUMBER.match(text):
        return float(text)
    if kind == "boolean" and text in ("0", "1"):
        return text == "1"
    string = _TEXT.match(text)
    if string is not None and kind not in ("blob", "integer", "bigint", "real"):
        return string.group(1).replace("''", "'")
    blob = _BLOB.match(text)
    if blob is not None and kind == "blob":
        return bytes.fromhex(blob.group(1))
    return {"sql": text}


def fulltext_indexes(
    cursor: DBCursor, dialect: SQLiteDialect, table: str
) -> list[tuple[str, str, list[str]]]:
    """
    The full-text indexes of C{table}: each one's name, FTS5 table and
    columns.
    """
    prefix = fts_name(table, "")
    pattern = prefix.replace("_", "\\_") + "%"
    cursor.execute(_FTS_TABLES, (pattern,))
    found = []
    for (name,) in cursor.fetchall():
        index = name[len(prefix) :]
        cursor.execute("SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,))
        columns = [c.removeprefix(FTS_COLUMN) for (c,) in cursor.fetchall()]
        found.append((index, name, columns))
    return found


def describe(
    cursor: DBCursor, dialect: SQLiteDialect, notes: Notes, table: str
) -> TableSchema:
    """
    The whole schema of C{table}; L{NoSuchTable} if there is none (or it
    is one of the driver's own).
    """
    cursor.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    )
    row = cursor.fetchone()
    if row is None or table.startswith("_dbdriver_") or not row[0]:
        raise NoSuchTable(f"no such table: {table}", {"table": table})
    items = list(_items(row[0]))
    own = {name: item for item in items if (name := item.leading_name()) is not None}
    conditions = {
        key: json.loads(text) for key, text in notes.read(cursor, table).items()
    }
    cursor.execute(
        'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) '
        "ORDER BY cid",
        (table,),
    )
    rows = cursor.fetchall()
    key = [name for name, *_, pk in sorted(rows, key=lambda r: r[4]) if pk]
    columns: list[dict[str, Any]] = []
    for name, declared, not_null, default, pk in rows:
        item = own.get(name, _Item("", ""))
        kind = portable_type(declared or "")
        column: dict[str, Any] = {"name": name, "type": kind}
        if pk and len(key) == 1:
            column["primary_key"] = True
        if item.has("AUTOINCREMENT"):
            column["autoincrement"] = True
        if not_null:
            column["not_null"] = True
        if default is not None:
            expression = re.search(r"\bDEFAULT\s*\(", item.flat, re.IGNORECASE)
            column["default"] = _default(dialect, default, kind, bool(expression))
        for length in _LENGTH.finditer(item.text):
            if length.group(1).replace('""', '"') == name:
                column["max_length"] = int(length.group(2))
        for check in item.checks():
            if ("check", check) in conditions:
                column["check"] = conditions["check", check]
        columns.append(column)
    schema: dict[str, Any] = {"name": table, "columns": columns}
    if len(key) > 1:
        schema["primary_key"] = key
    _uniques(cursor, table, schema, own)
    _foreign_keys(cursor, table, schema, own)
    schema["checks"] = [
        {"name": check, "where": conditions["check", check]}
        for item in items
        if item.leading_name() is None
        for check in item.checks()
        if ("check", check) in conditions
    ]
    schema["indexes"] = _indexes(cursor, dialect, table, conditions)
    return parse_table(schema)


def _own(own: dict[str, _Item], names: list[str], keyword: str) -> bool:
    """Whether a one-column constraint is its column's own clause."""
    return len(names) == 1 and names[0] in own and own[names[0]].has(keyword)


def _uniques(
    cursor: DBCursor, table: str, schema: dict[str, Any], own: dict[str, _Item]
) -> None:
    columns = {c["name"]: c for c in schema["columns"]}
    cursor.execute(
        "SELECT name FROM pragma_index_list(?) WHERE origin = 'u' ORDER BY seq DESC",
        (table,),
    )
    unique = []
    for (index,) in cursor.fetchall():
        cursor.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,))
        names = [n for (n,) in cursor.fetchall()]
        if _own(own, names, "UNIQUE") and not columns[names[0]].get("unique"):
            columns[names[0]]["unique"] = True
            continue
        unique.append(names)
    schema["unique"] = unique


def _foreign_keys(
    cursor: DBCursor, table: str, schema: dict[str, Any], own: dict[str, _Item]
) -> None:
    columns = {c["name"]: c for c in schema["columns"]}
    cursor.execute(
        'SELECT id, "table", "from", "to", on_delete, on_update '
        "FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        (table,),
    )
    groups: dict[int, dict[str, Any]] = {}
    for key, parent, source, target, on_delete, on_update in cursor.fetchall():
        group = groups.setdefault(
            key,
            {
                "columns": [],
                "references": {"table": parent, "columns": []},
                "on_delete": on_delete.lower(),
                "on_update": on_update.lower(),
            },
        )
        group["columns"].append(source)
        group["references"]["columns"].append(target)
    foreign = []
    for group in reversed(groups.values()):
        names = group["columns"]
        ref = group["references"]
        if _own(own, names, "REFERENCES") and "references" not in columns[names[0]]:
            columns[names[0]]["references"] = {
                "table": ref["table"],
                "column": ref["columns"][0],
                "on_delete": group["on_delete"],
                "on_update": group["on_update"],
            }
            continue
        foreign.append(group)
    schema["foreign_keys"] = foreign


def _indexes(
    cursor: DBCursor,
    dialect: SQLiteDialect,
    table: str,
    conditions: dict[tuple[str, str], Any],
) -> list[dict[str, Any]]:
    cursor.execute(
        'SELECT name, "unique", partial FROM pragma_index_list(?) '
        "WHERE origin = 'c' ORDER BY name",
        (table,),
    )
    indexes = []
    for name, unique, partial in cursor.fetchall():
        cursor.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,))
        names = [n for (n,) in cursor.fetchall()]
        if None in names:
            continue  # an expression index: none of the driver's
        index: dict[str, Any] = {"name": name, "columns": names, "unique": bool(unique)}
        if partial:
            if ("index", name) not in conditions:
                continue
            index["where"] = conditions["index", name]
        indexes.append(index)
    for name, _, names in fulltext_indexes(cursor, dialect, table):
        indexes.append({"name": name, "columns": names, "kind": "fulltext"})
    return indexes
