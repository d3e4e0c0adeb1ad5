"""
What a catalog cannot give back exactly: the where clauses of a table's
checks and partial indexes.  Each backend's catalog holds those conditions
as SQL text in its own normal form (PostgreSQL rewrites C{IN} as C{= ANY
(ARRAY[...])}, MariaDB emulates partial indexes with generated columns), so
the driver notes each condition, in its canonical where-map form, in a
table of its own next to the DDL that creates it, in the same transaction
where the backend has transactional DDL.

C{describe_table} reads the constraints and indexes from the catalog (what
exists) and their conditions from here (what they mean); a constraint the
driver did not create has no note, and is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.ddl import TableDDL
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import Check, TableSchema, check_of
from dbdriver.requests.where import parse_where

__all__ = ["NOTES", "Notes"]

#: The notes' table (the driver's own: C{list_tables} leaves it out).
NOTES = "_dbdriver_notes"

_SCHEMA = parse_table(
    {
        "name": NOTES,
        "columns": [
            {"name": "table_name", "type": "text", "max_length": 63},
            {"name": "name", "type": "text", "max_length": 63},
            {"name": "kind", "type": "text", "max_length": 5},
            {"name": "condition", "type": "text", "not_null": True},
        ],
        "primary_key": ["table_name", "kind", "name"],
    }
)


class Notes:
    """
    The conditions of the checks and partial indexes of each table.
    """

    def __init__(
        self,
        dialect: TableDDL,
        columns_of: Callable[[DBCursor, str], Sequence[object]],
    ) -> None:
        self.dialect = dialect
        self._columns_of = columns_of

    def write(
        self, cursor: DBCursor, schema: TableSchema, replace: bool = True
    ) -> None:
        """
        Note every condition of C{schema}: the table's notes replaced, or,
        not C{replace} (a sync, which keeps what the definition does not
        name), those of the same names only.
        """
        if replace:
            self.forget(cursor, schema.name)
        rows: list[tuple[str, str, str, str]] = [
            (schema.name, check.name, "check", check.where_json)
            for check in schema.all_checks()
        ]
        rows += [
            (schema.name, index.name, "index", index.where_json)
            for index in schema.indexes
            if index.where_json is not None
        ]
        if not rows:
            return
        self._ensure(cursor)
        q, p = self.dialect.quote, self.dialect.param
        if not replace:
            cursor.executemany(
                f"DELETE FROM {q(NOTES)} WHERE {q('table_name')} = {p} "
                f"AND {q('name')} = {p} AND {q('kind')} = {p}",
                [(table, name, kind) for table, name, kind, _ in rows],
            )
        cursor.executemany(
            f"INSERT INTO {q(NOTES)} ({self.dialect.names(_COLUMNS)}) "
            f"VALUES ({', '.join([p] * 4)})",
            rows,
        )

    def read(self, cursor: DBCursor, table: str) -> dict[tuple[str, str], str]:
        """
        The noted conditions of C{table}: C{(kind, name)} to canonical JSON.
        """
        if not self._exists(cursor):
            return {}
        q, p = self.dialect.quote, self.dialect.param
        cursor.execute(
            f"SELECT {q('kind')}, {q('name')}, {q('condition')} FROM {q(NOTES)} "
            f"WHERE {q('table_name')} = {p}",
            (table,),
        )
        return {(kind, name): text for kind, name, text in cursor.fetchall()}

    def checks(self, cursor: DBCursor, table: str) -> dict[str, Check]:
        """
        The noted checks of C{table} by name, as records.
        """
        found = self.read(cursor, table)
        return {
            name: check_of(name, parse_where(_load(text)))
            for (kind, name), text in found.items()
            if kind == "check"
        }

    def forget(self, cursor: DBCursor, table: str) -> None:
        """
        Drop the notes of C{table} (dropped, or about to be noted again).
        """
        if not self._exists(cursor):
            return
        q, p = self.dialect.quote, self.dialect.param
        cursor.execute(
            f"DELETE FROM {q(NOTES)} WHERE {q('table_name')} = {p}", (table,)
        )

    def rename(self, cursor: DBCursor, old: str, new: str) -> None:
        """
        Move the notes of C{old} to C{new} (a rebuilt table's swap).
        """
        if not self._exists(cursor):
            return
        self.forget(cursor, new)
        q, p = self.dialect.quote, self.dialect.param
        cursor.execute(
            f"UPDATE {q(NOTES)} SET {q('table_name')} = {p} "
            f"WHERE {q('table_name')} = {p}",
            (new, old),
        )

    def _exists(self, cursor: DBCursor) -> bool:
        # The catalog, not a failing query (which would abort a PostgreSQL
        # transaction).
        return bool(self._columns_of(cursor, NOTES))

    def _ensure(self, cursor: DBCursor) -> None:
        for statement in self.dialect.create_table(_SCHEMA, True):
            cursor.execute(statement)


_COLUMNS = ("table_name", "name", "kind", "condition")


def _load(text: str) -> dict[str, object]:
    where: dict[str, object] = json.loads(text)
    return where
