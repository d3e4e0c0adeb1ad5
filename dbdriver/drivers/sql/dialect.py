"""
A small dialect-aware SQL builder: every statement the table-level methods
need, with identifiers quoted and values left as parameters.

L{Dialect} renders the common SQL; a backend subclasses it for its quoting,
placeholders, column types and conflict clauses.  Nothing here touches a
connection.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from typing import Any

from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import Column, TableSchema
from dbdriver.requests.where import Node, render_where

__all__ = ["REQUEST_SAVEPOINT", "Dialect", "to_json"]

#: The savepoint each request of a write group or of a transaction runs
#: under, so that it can fail alone.
REQUEST_SAVEPOINT = "dbdriver_request"


#: One encoder for every value: C{json.dumps} with options builds a new one
#: per call, which is most of the cost of a short value.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_json(value: object) -> str:
    """
    A value as JSON text; NaN and infinities, which JSON lacks, are
    L{InvalidParams}.
    """
    try:
        return _JSON.encode(value)
    except ValueError as e:
        raise InvalidParams(f"cannot be stored as JSON: {e}") from None


def iso_timestamp(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.isoformat()


class Dialect:
    """
    SQL text for one backend.  The defaults are SQLite's, which are close to
    the standard.
    """

    name = "sqlite"
    quote_char = '"'
    param = "?"
    types = {
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "real": "REAL",
        "text": "TEXT",
        "blob": "BLOB",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP TEXT",
        "json": "JSON TEXT",
    }

    # -- pieces --------------------------------------------------------------

    def quote(self, name: str) -> str:
        # Names are validated identifiers; quoting makes keywords safe.
        return f"{self.quote_char}{name}{self.quote_char}"

    #: Column types whose values always go through L{adapt}, whatever
    #: their Python type.
    adapted_types: frozenset[str] = frozenset({"json", "timestamp", "boolean"})

    def adapt(self, value: Any, column_type: str | None = None) -> Any:
        """
        A wire value as a bound parameter for a column of C{column_type}.
        """
        if column_type == "json":
            return None if value is None else to_json(value)
        if isinstance(value, datetime.datetime):
            return iso_timestamp(value)
        if isinstance(value, (dict, list)):
            return to_json(value)
        if isinstance(value, float) and math.isnan(value):
            # SQLite would store NULL in its place.
            raise InvalidParams("NaN cannot be stored; send null instead")
        return value

    def literal(self, value: object) -> str:
        """
        An escaped literal, for column defaults only (DDL takes no params).
        """
        if value is None:
            return "NULL"
        if value is True or value is False:
            return "1" if value else "0"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    def column_type(self, column: Column) -> str:
        return self.types[column.type]

    def where(self, node: Node) -> tuple[str, list[object]]:
        return render_where(node, self.quote, self.param, self.adapt)

    # -- DDL -----------------------------------------------------------------

    def column_sql(self, column: Column, single_pk: bool) -> str:
        parts = [self.quote(column.name), self.column_type(column)]
        if column.primary_key and single_pk:
            parts.append("PRIMARY KEY")
            if column.autoincrement:
                parts.append(self.autoincrement_sql())
        # SQLite lets a primary key other than its rowid (INTEGER PRIMARY
        # KEY, where NULL picks the next id) hold NULLs; no other backend does.
        rowid = single_pk and column.type == "integer"
        if column.not_null or (column.primary_key and not rowid):
            parts.append("NOT NULL")
        return " ".join(parts + self.constraints_sql(column))

    def live_column_sql(self, column: CatalogColumn) -> str:
        """
        The definition of a live column as the catalog describes it (one a
        rebuild keeps, absent from the definition): its type, C{NOT NULL}
        and default as they are.
        """
        declared = self.types.get(column.type, column.type)
        sql = f"{self.quote(column.name)} {declared}".rstrip()
        if column.not_null:
            sql += " NOT NULL"
        if column.default is not None:
            sql += f" DEFAULT {column.default}"
        return sql

    def constraints_sql(self, column: Column) -> list[str]:
        """
        The UNIQUE, DEFAULT and REFERENCES clauses of a column definition.
        """
        parts = []
        if column.unique:
            parts.append("UNIQUE")
        if column.has_default:
            parts.append("DEFAULT " + self.literal(column.default))
        if column.references is not None:
            ref = column.references
            parts.append(
                f"REFERENCES {self.quote(ref.table)} ({self.quote(ref.column)})"
            )
            if ref.on_delete:
                parts.append("ON DELETE " + ref.on_delete.upper())
            if ref.on_update:
                parts.append("ON UPDATE " + ref.on_update.upper())
        return parts

    def autoincrement_sql(self) -> str:
        return "AUTOINCREMENT"

    def create_table(self, schema: TableSchema, if_not_exists: bool) -> list[str]:
        pk = schema.primary_key
        lines = [self.column_sql(c, len(pk) == 1) for c in schema.columns]
        if len(pk) > 1:
            lines.append(f"PRIMARY KEY ({self.names(pk)})")
        lines.extend(f"UNIQUE ({self.names(u)})" for u in schema.unique)
        exists = "IF NOT EXISTS " if if_not_exists else ""
        statements = [
            f"CREATE TABLE {exists}{self.quote(schema.name)} ({', '.join(lines)})"
        ]
        for index in schema.indexes:
            statements.append(
                f"CREATE {'UNIQUE ' if index.unique else ''}INDEX "
                f"{self.quote(index.name)} ON {self.quote(schema.name)} "
                f"({self.names(index.columns)})"
            )
        return statements

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE {self.quote(table)}"

    def names(self, names: Sequence[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    # -- DML -----------------------------------------------------------------

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        on_conflict: object,
        returning: Sequence[str] | None,
        *,
        keep_id: str | None = None,
    ) -> str:
        """
        An insert of one row.  C{keep_id}: the key column whose value an
        upsert reports as the inserted id (MySQL's C{LAST_INSERT_ID}).
        """
        return self.insert_rows(table, columns, on_conflict, returning, 1, keep_id)

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        on_conflict: object,
        returning: Sequence[str] | None,
        rows: int,
        keep_id: str | None = None,
    ) -> str:
        """
        An insert of C{rows} rows in one statement (multi-row C{VALUES}),
        from the dialect's L{insert_verb}, L{values_sql}, L{conflict_sql}
        and L{returning_sql}.
        """
        sql = (
            f"{self.insert_verb(on_conflict)} INTO {self.quote(table)} "
            f"{self.values_sql(columns, rows)}{self.conflict_sql(on_conflict, keep_id)}"
        )
        return sql + self.returning_sql(returning) if returning else sql

    def insert_verb(self, on_conflict: object) -> str:
        """
        SQLite's: C{INSERT OR IGNORE} and C{INSERT OR REPLACE}.
        """
        if on_conflict == "ignore":
            return "INSERT OR IGNORE"
        return "INSERT OR REPLACE" if on_conflict == "replace" else "INSERT"

    def values_sql(self, columns: Sequence[str], rows: int) -> str:
        one = f"({', '.join([self.param] * len(columns))})"
        return f"({self.names(columns)}) VALUES {', '.join([one] * rows)}"

    def conflict_sql(self, on_conflict: object, keep_id: str | None) -> str:
        """
        What follows the values for C{on_conflict} (an upsert's clause).
        """
        if not isinstance(on_conflict, dict):
            return ""
        return " " + self.upsert(on_conflict["target"], on_conflict.get("update", []))

    def returning_sql(self, returning: Sequence[str]) -> str:
        return f" RETURNING {self.names(returning)}"

    def upsert(self, target: Sequence[str], update: Sequence[str]) -> str:
        if not update:
            return f"ON CONFLICT ({self.names(target)}) DO NOTHING"
        sets = ", ".join(f"{self.quote(c)} = excluded.{self.quote(c)}" for c in update)
        return f"ON CONFLICT ({self.names(target)}) DO UPDATE SET {sets}"

    def update(
        self, table: str, columns: Sequence[str], where: Node
    ) -> tuple[str, list[object]]:
        sets = ", ".join(f"{self.quote(c)} = {self.param}" for c in columns)
        condition, params = self.where(where)
        return f"UPDATE {self.quote(table)} SET {sets} WHERE {condition}", params

    def delete(self, table: str, where: Node) -> tuple[str, list[object]]:
        condition, params = self.where(where)
        return f"DELETE FROM {self.quote(table)} WHERE {condition}", params

    def select(
        self,
        table: str,
        columns: Sequence[str] | None,
        where: Node,
        order: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int | None,
    ) -> tuple[str, list[object]]:
        condition, params = self.where(where)
        sql = (
            f"SELECT {self.names(columns) if columns else '*'} "
            f"FROM {self.quote(table)} WHERE {condition}"
        )
        if order:
            sql += " ORDER BY " + ", ".join(
                self.quote(c) + (" DESC" if desc else "") for c, desc in order
            )
        return sql + self.limit(limit, offset), params

    def limit(self, limit: int | None, offset: int | None) -> str:
        if limit is None and not offset:
            return ""
        sql = f" LIMIT {-1 if limit is None else int(limit)}"
        return sql + (f" OFFSET {int(offset)}" if offset else "")

    def count(self, table: str, where: Node) -> tuple[str, list[object]]:
        condition, params = self.where(where)
        return f"SELECT COUNT(*) FROM {self.quote(table)} WHERE {condition}", params

    # -- transactions ---------------------------------------------------------

    def savepoint(self, name: str) -> str:
        return f"SAVEPOINT {name}"

    def release(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {name}"

    def rollback_to(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {name}"
