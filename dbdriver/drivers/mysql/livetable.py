"""
The catalog queries of the MySQL/MariaDB part of C{sync_schema}: the names
the server gave keys and constraints, the column types as they are, the
checks and foreign keys of a table (C{information_schema} compares names
without case: every answer is filtered on the exact table name).
"""

from __future__ import annotations

import re
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema import plan as sp
from dbdriver.requests.tableschema import ForeignKey

__all__ = [
    "FOREIGN_KEYS_SQL",
    "catalog_type",
    "check_names",
    "column_checks",
    "foreign_keys",
    "live_types",
    "plan_fk",
    "rules",
    "server_indexes",
    "squeeze",
    "table_rows",
    "unique_index_names",
]

_SCHEMA = "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
_CONSTRAINTS = "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %s"


#: The foreign keys of a table: one row per column, in key order.
FOREIGN_KEYS_SQL = (
    "SELECT r.TABLE_NAME, r.CONSTRAINT_NAME, r.REFERENCED_TABLE_NAME, "
    "r.DELETE_RULE, r.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME "
    "FROM information_schema.REFERENTIAL_CONSTRAINTS r "
    "JOIN information_schema.KEY_COLUMN_USAGE k "
    "ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA "
    "AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME "
    "WHERE r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = %s "
    "ORDER BY r.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)


def table_rows(cursor: DBCursor, sql: str, table: str) -> list[Any]:
    """
    The rows of a catalog query about C{table} (its first column the table's
    name), without it: C{information_schema} compares names without case,
    tables do not.
    """
    cursor.execute(sql, (table,))
    return [r[1:] for r in cursor.fetchall() if r[0] == table]


def _grouped(rows: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for index, column in rows:
        found.setdefault(index, []).append(column)
    return found


def unique_index_names(cursor: DBCursor, table: str) -> dict[tuple[str, ...], str]:
    """The unique keys the server named (no driver comment): columns to name."""
    rows = table_rows(
        cursor,
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        f"{_SCHEMA} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' "
        "AND INDEX_COMMENT = '' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        table,
    )
    return {tuple(cols): index for index, cols in _grouped(rows).items()}


def server_indexes(cursor: DBCursor, table: str) -> dict[str, list[str]]:
    """The plain indexes without a driver comment (a foreign key's)."""
    rows = table_rows(
        cursor,
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        f"{_SCHEMA} AND NON_UNIQUE = 1 AND INDEX_COMMENT = '' "
        "AND INDEX_TYPE = 'BTREE' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        table,
    )
    return _grouped(rows)


def foreign_keys(cursor: DBCursor, table: str) -> dict[sp.ForeignKey, str]:
    """The foreign keys of C{table}, each with its constraint's name."""
    rows = table_rows(cursor, FOREIGN_KEYS_SQL, table)
    groups: dict[str, list[Any]] = {}
    for key, parent, on_delete, on_update, column, target in rows:
        group = groups.setdefault(key, [[], parent, [], on_delete, on_update])
        group[0].append(column)
        group[2].append(target)
    found = {}
    for key, (columns, parent, targets, delete, update) in groups.items():
        delete, update = rules(delete, update)
        fk = sp.ForeignKey(tuple(columns), parent, tuple(targets), delete, update)
        found[fk] = key
    return found


def rules(*actions: str) -> list[str]:
    """
    Foreign key actions as the planner compares them (the driver's DDL says
    NO ACTION outright: a RESTRICT is one declared).
    """
    return [a.upper() for a in actions]


def live_types(cursor: DBCursor, table: str) -> dict[str, str]:
    """Each column's type as the server shows it, lower case, and its comment."""
    rows = table_rows(
        cursor,
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_COMMENT "
        f"FROM information_schema.COLUMNS {_SCHEMA}",
        table,
    )
    return {name: f"{kind.lower()}|{comment}" for name, kind, comment in rows}


def check_names(cursor: DBCursor, table: str) -> list[str]:
    """The table-level checks of C{table} (not a column's own)."""
    rows = table_rows(
        cursor,
        "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS "
        f"{_CONSTRAINTS} AND LEVEL = 'Table'",
        table,
    )
    return [name for (name,) in rows]


def column_checks(cursor: DBCursor, table: str) -> set[str]:
    """The columns of C{table} that have a check of their own (JSON, a length)."""
    rows = table_rows(
        cursor,
        "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS "
        f"{_CONSTRAINTS} AND LEVEL = 'Column'",
        table,
    )
    return {name for (name,) in rows}


def plan_fk(key: ForeignKey) -> sp.ForeignKey:
    """A foreign key of a definition as the planner compares them."""
    ref = key.reference
    delete, update = rules(ref.on_delete or "no action", ref.on_update or "no action")
    return sp.ForeignKey(key.columns, ref.table, ref.columns, delete, update)


_CATALOG_TYPES = {"bigint": "bigint(20)", "boolean": "tinyint(1)", "json": "longtext"}


def catalog_type(kind: str) -> str:
    """A column type of the DDL as C{COLUMN_TYPE} shows it."""
    kind = kind.lower()
    return _CATALOG_TYPES.get(kind, kind)


def squeeze(value: object) -> str:
    """SQL text without blanks, parentheses and quotes, to compare."""
    return re.sub(r"[\s()`\"]", "", str(value)).lower()
