"""
SQLite's dialect: the base L{Dialect} (whose defaults are SQLite's) with
full-text search.

A C{fulltext} index is an FTS5 external-content table named
C{_dbdriver_fts_<table>$<index>} over the table's rows (by rowid, with the
C{unicode61} tokenizer), kept current by three triggers of the same prefix
(after insert, update and delete), which run inside the writing statement:
the index is consistent inside a transaction and rolls back with it.  Its
columns are the indexed ones prefixed with C{c_} (FTS5 reserves C{rank}
and C{rowid}), read through a view C{_dbdriver_ftsv_<table>$<index>} that
renames them.  A C{match} is a C{_rowid_ IN} subquery on that table.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.requests.tableschema import Index, TableSchema
from dbdriver.requests.where import Terms

__all__ = ["FTS_COLUMN", "FTS_PREFIX", "SQLiteDialect", "fts_name", "fts_view"]

#: The prefix of the driver's full-text tables and their triggers.
FTS_PREFIX = "_dbdriver_fts_"
#: Between the table's name and the index's in those names: no identifier
#: has it, so that no two tables' names meet (C{a} and C{b_c}, C{a_b} and
#: C{c}).
FTS_SEPARATOR = "$"
#: The prefix of each column of an FTS5 table (C{rank}, C{rowid} are FTS5's).
FTS_COLUMN = "c_"
#: The rowid column of the views the FTS5 tables read.
FTS_ROWID = "_dbdriver_rowid"


def fts_name(table: str, index: str) -> str:
    """
    The FTS5 table of the full-text index C{index} of C{table}.
    """
    return f"{FTS_PREFIX}{table}{FTS_SEPARATOR}{index}"


def fts_view(table: str, index: str) -> str:
    """
    The view of C{table} that the FTS5 table of C{index} reads its text
    from (its rowid, and each column under its FTS5 name).
    """
    return f"_dbdriver_ftsv_{table}{FTS_SEPARATOR}{index}"


class SQLiteDialect(Dialect):
    """
    SQLite's SQL: the base dialect and FTS5 full-text indexes.
    """

    def live_default(self, text: str) -> str:
        """
        The catalog's default text (an expression without its outer
        parentheses, C{1 + 1}) in parentheses, which SQLite takes for any
        default and strips again.
        """
        return f"({text})"

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

    def drop_fulltext_sql(self, table: str, index: str) -> list[str]:
        """
        The statements that drop a full-text index: its triggers, its FTS5
        table and its view (each if it exists).
        """
        q = self.quote
        return [
            *(
                f"DROP TRIGGER IF EXISTS {q(t)}"
                for t in self.fulltext_triggers(table, index)
            ),
            f"DROP TABLE IF EXISTS {q(fts_name(table, index))}",
            f"DROP VIEW IF EXISTS {q(fts_view(table, index))}",
        ]

    def fulltext_sql(self, schema: TableSchema, index: Index) -> list[str]:
        """
        The view, FTS5 table and three triggers of C{index}, and the filling
        of it from the rows already there (after dropping any leftover of an
        index of that name, a table dropped by raw SQL).
        """
        fts, view = fts_name(schema.name, index.name), fts_view(schema.name, index.name)
        q = self.quote
        table = q(schema.name)
        own = self.names([FTS_COLUMN + c for c in index.columns])
        new = ", ".join(f"new.{q(c)}" for c in index.columns)
        old = ", ".join(f"old.{q(c)}" for c in index.columns)
        add = f"INSERT INTO {q(fts)} (rowid, {own}) VALUES (new._rowid_, {new});"
        remove = (
            f"INSERT INTO {q(fts)} ({q(fts)}, rowid, {own}) "
            f"VALUES ('delete', old._rowid_, {old});"
        )
        source = ", ".join(f"{q(c)} AS {q(FTS_COLUMN + c)}" for c in index.columns)
        inserted, deleted, updated = map(
            q, self.fulltext_triggers(schema.name, index.name)
        )
        return [
            *self.drop_fulltext_sql(schema.name, index.name),
            f"CREATE VIEW {q(view)} AS SELECT _rowid_ AS {q(FTS_ROWID)}, {source} "
            f"FROM {table}",
            f"CREATE VIRTUAL TABLE {q(fts)} USING fts5({own}, "
            f"content={self.literal(view)}, content_rowid={self.literal(FTS_ROWID)}, "
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
        ANDed under a filter on the column's own column there.
        """
        words = " AND ".join(
            '"' + word.replace('"', '""') + '"' + (" *" if prefix else "")
            for word, prefix in terms
        )
        query = "{" + self.quote(FTS_COLUMN + column) + "} : (" + words + ")"
        fts = self.quote(target)
        return f"_rowid_ IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)", [query]
