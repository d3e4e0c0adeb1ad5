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

from dbdriver.drivers.sql.ddl import TableDDL
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.literals import canonical_uuid
from dbdriver.requests.where import Node, Terms, render_where

__all__ = ["REQUEST_SAVEPOINT", "Dialect", "like_to_glob", "to_json"]

#: The savepoint each request of a write group or of a transaction runs
#: under, so that it can fail alone.
REQUEST_SAVEPOINT = "dbdriver_request"


#: One encoder for every value: C{json.dumps} with options builds a new one
#: per call, which is most of the cost of a short value.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_json(value: object) -> str:
    """
    A value as JSON text; NaN and infinities, and bytes or datetimes sent
    for a json column, which JSON lacks, are L{InvalidParams}.
    """
    try:
        return _JSON.encode(value)
    except (TypeError, ValueError) as e:
        raise InvalidParams(f"cannot be stored as JSON: {e}") from None


_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}


def like_to_glob(pattern: str) -> str:
    """
    A C{LIKE} pattern (C{%}, C{_}, no escape) as the C{GLOB} pattern that
    matches the same text, case-sensitively.
    """
    return "".join(_GLOB_SPECIAL.get(c, c) for c in pattern)


def iso_timestamp(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.isoformat()


class Dialect(TableDDL):
    """
    SQL text for one backend: its DDL (L{TableDDL}) and the statements of
    the row methods.  The defaults are SQLite's, which are close to the
    standard.
    """

    #: Column types whose values always go through L{adapt}, whatever
    #: their Python type.
    adapted_types: frozenset[str] = frozenset({"json", "timestamp", "boolean", "uuid"})

    def adapt(self, value: Any, column_type: str | None = None) -> Any:
        """
        A wire value as a bound parameter for a column of C{column_type}.
        """
        if column_type == "json":
            return None if value is None else to_json(value)
        if column_type == "uuid" and value is not None:
            return canonical_uuid(value, "a uuid column")
        if isinstance(value, datetime.datetime):
            return iso_timestamp(value)
        if isinstance(value, (dict, list)):
            return to_json(value)
        if isinstance(value, float) and math.isnan(value):
            # SQLite would store NULL in its place.
            raise InvalidParams("NaN cannot be stored; send null instead")
        return value

    def where(self, node: Node) -> tuple[str, list[object]]:
        return render_where(node, self)

    def render_like(
        self, column: str, pattern: str, negated: bool, insensitive: bool
    ) -> tuple[str, list[object]]:
        """
        SQLite's: its C{LIKE} ignores the case of ASCII letters and has no
        escape character; C{GLOB} compares case-sensitively, so a
        case-sensitive pattern is translated to one.
        """
        not_ = "NOT " if negated else ""
        if insensitive:
            return f"{column} {not_}LIKE {self.param}", [pattern]
        return f"{column} {not_}GLOB {self.param}", [like_to_glob(pattern)]

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        """
        A full-text match on C{column} through the index C{target} (each
        backend's own).
        """
        raise InvalidParams(f"{self.name} has no full-text search yet")

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
