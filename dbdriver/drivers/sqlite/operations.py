"""
SQLite's catalog queries: C{pragma}s for C{get_table_info}/C{list_tables};
raw SQL runs under its connection's guard (L{dbdriver.drivers.sqlite.guard}).
"""

from __future__ import annotations

from typing import cast

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor, DriverSettings
from dbdriver.drivers.sql.operations import TableOperations, Translation
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.drivers.sqlite.describe import describe, fulltext_indexes
from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.drivers.sqlite.guard import GuardedConnection
from dbdriver.drivers.sqlite.schema import SQLiteFile, SQLiteSchema
from dbdriver.requests.tableschema import TableSchema

__all__ = ["SQLiteOperations"]

#: Each declared type of the portable columns (lower case), to its portable
#: name: the dialect's own table, read backwards.
_PORTABLE = {d.lower(): name for name, d in SQLiteDialect.types.items()}


class SQLiteOperations(TableOperations):
    """
    The table operations on SQLite (an L{SQLiteHost}).

    @ivar file: the database at C{path}, opened as C{uri}, with C{config}'s
        busy timeout (what L{SQLiteSchema}'s backup copies).
    """

    file: SQLiteFile
    dialect: SQLiteDialect

    backend = "sqlite"
    schema_backend = SQLiteSchema
    statement_atomic = True

    def __init__(
        self,
        dialect: SQLiteDialect,
        config: DriverSettings,
        translation: Translation,
        path: str,
        uri: str,
    ) -> None:
        super().__init__(dialect, config, translation)
        self.file = SQLiteFile(path, uri, config.busy_timeout)

    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        cursor.execute(
            'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)',
            (table,),
        )
        return [
            CatalogColumn(
                name,
                _PORTABLE.get(declared.lower(), declared.lower()),
                bool(not_null),
                default,
                pk > 0,
            )
            for name, declared, not_null, default, pk in cursor.fetchall()
        ]

    def table_names(self, cursor: DBCursor) -> list[str]:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "AND name NOT LIKE '\\_dbdriver\\_%' ESCAPE '\\' ORDER BY name"
        )
        return [name for (name,) in cursor.fetchall()]

    def describe(self, cursor: DBCursor, table: str) -> TableSchema:
        return describe(cursor, self.dialect, self.notes, table)

    def fulltext_targets(self, cursor: DBCursor, table: str) -> dict[str, str]:
        targets: dict[str, str] = {}
        for _, fts, columns in fulltext_indexes(cursor, self.dialect, table):
            for column in columns:
                targets.setdefault(column, fts)
        return targets

    def drop_fulltext(self, cursor: DBCursor, table: str) -> None:
        """
        Drop the full-text indexes of C{table}: FTS5 tables, views, triggers.
        """
        for index, _, _ in fulltext_indexes(cursor, self.dialect, table):
            for statement in self.dialect.drop_fulltext_sql(table, index):
                cursor.execute(statement)

    def _insert_many(self, cursor: DBCursor, request: rq.InsertManyRequest) -> object:
        if not request.rows or request.rows[0] or request.returning:
            return super()._insert_many(cursor, request)
        # Rows of no columns: SQLite has DEFAULT VALUES for one row only.
        self.row_write(cursor, request, request.rows[0])  # the table exists
        sql = self.dialect.insert_rows(request.table, [], request.on_conflict, None, 1)
        written = 0
        for _ in request.rows:
            cursor.execute(sql)
            written += cursor.rowcount
        return written

    def _drop_table(self, cursor: DBCursor, request: rq.DropTableRequest) -> bool:
        if self.table_columns(cursor, request.table):
            self.drop_fulltext(cursor, request.table)
        return super()._drop_table(cursor, request)

    def _execute(
        self, cursor: DBCursor, request: rq.ExecuteRequest
    ) -> dict[str, object]:
        # The connection's guard refuses transaction control in raw SQL too,
        # however the statement hides it from a check of its first keyword.
        with cast(GuardedConnection, cursor.connection).raw():
            return super()._execute(cursor, request)

    def _sync_schema(
        self, cursor: DBCursor, request: rq.SyncSchemaRequest
    ) -> dict[str, object]:
        # The sync sets pragmas of its own (foreign keys off for a rebuild).
        with cast(GuardedConnection, cursor.connection).trusted():
            return super()._sync_schema(cursor, request)
