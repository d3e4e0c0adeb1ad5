"""
SQLite's dialect: the base L{Dialect} (whose defaults are SQLite's) with
full-text search.

A C{fulltext} index is an FTS5 external-content table named
C{_dbdriver_fts_<table>_<index>} over the table's rows (by rowid, with the
C{unicode61} tokenizer), kept current by three triggers of the same prefix
(after insert, update and delete), which run inside the writing statement:
the index is consistent inside a transaction and rolls back with it.  A
C{match} is a C{rowid IN} subquery on that table.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.requests.schema import Index, TableSchema
from dbdriver.requests.where import Terms

__all__ = ["FTS_PREFIX", "SQLiteDialect", "fts_name"]

#: The prefix of the driver's full-text tables and their triggers.
FTS_PREFIX = "_dbdriver_fts_"


def fts_name(table: str, index: str) -> str:
    """
    The FTS5 table of the full-text index C{index} of C{table}.
    """
    return f"{FTS_PREFIX}{table}_{index}"


class SQLiteDialect(Dialect):
    """
    SQLite's SQL: the base dialect and FTS5 full-text indexes.
    """

    def live_column_sql(self, column: CatalogColumn) -> str:
        """
        As the base, with the catalog's default text (an expression without
        its outer parentheses, C{1 + 1}) in parentheses, which SQLite takes
        for any default and strips again.
        """
        declared = self.types.get(column.type, column.type)
        sql = f"{self.quote(column.name)} {declared}".rstrip()
        if column.not_null:
            sql += " NOT NULL"
        if column.default is not None:
            sql += f" DEFAULT ({column.default})"
        return sql

    def values_sql(self, columns: Sequence[str], rows: int) -> str:
        """
        As the base; a row of no columns (every column its default) is
        C{DEFAULT VALUES}.
        """
        if not columns and rows == 1:
            return "DEFAULT VALUES"
        return super().values_sql(columns, rows)

    def fulltext_triggers(self, table: str, index: str) -> list[str]:
        """
        The names of the triggers that keep a full-text index current.
        """
        fts = fts_name(table, index)
        return [fts + "_ai", fts + "_ad", fts + "_au"]

    def fulltext_sql(self, schema: TableSchema, index: Index) -> list[str]:
        """
        The FTS5 table of C{index}, its three triggers, and the filling of
        it from the rows already there.
        """
        fts = fts_name(schema.name, index.name)
        q = self.quote
        table, columns = q(schema.name), self.names(index.columns)
        new = ", ".join(f"new.{q(c)}" for c in index.columns)
        old = ", ".join(f"old.{q(c)}" for c in index.columns)
        add = f"INSERT INTO {q(fts)} (rowid, {columns}) VALUES (new.rowid, {new});"
        remove = (
            f"INSERT INTO {q(fts)} ({q(fts)}, rowid, {columns}) "
            f"VALUES ('delete', old.rowid, {old});"
        )
        inserted, deleted, updated = map(
            q, self.fulltext_triggers(schema.name, index.name)
        )
        return [
            f"CREATE VIRTUAL TABLE {q(fts)} USING fts5({columns}, "
            f"content={self.literal(schema.name)}, content_rowid='rowid', "
            "tokenize='unicode61')",
            f"CREATE TRIGGER {inserted} AFTER INSERT ON {table} BEGIN {add} END",
            f"CREATE TRIGGER {deleted} AFTER DELETE ON {table} BEGIN {remove} END",
            f"CREATE TRIGGER {updated} AFTER UPDATE ON {table} "
            f"BEGIN {remove} {add} END",
            f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('rebuild')",
        ]

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        """
        The rows whose C{column} holds every term, through the FTS5 table
        C{target}: an FTS5 query of quoted words (C{"w" *} for a prefix)
        ANDed under a filter on the column.
        """
        words = " AND ".join(
            '"' + word.replace('"', '""') + '"' + (" *" if prefix else "")
            for word, prefix in terms
        )
        query = "{" + self.quote(column) + "} : (" + words + ")"
        fts = self.quote(target)
        return f"rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)", [query]
