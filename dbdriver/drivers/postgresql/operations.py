"""
PostgreSQL's catalog queries and row operations, as they run on a database
thread: C{get_table_info}/C{list_tables} from C{pg_catalog}; C{"replace"}
as a delete of the conflicting rows and an insert (as SQLite and MySQL do
it); identity keys that behave like SQLite's rowid (left out or null: the
next id; chosen by the client: the sequence moves past it); and the checks
raw SQL needs here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import attrs

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor, DriverSettings
from dbdriver.drivers.interrupt import Interrupter
from dbdriver.drivers.postgresql.connection import DriverConnection
from dbdriver.drivers.postgresql.describe import describe, fulltext_indexes
from dbdriver.drivers.postgresql.dialect import (
    LEXICON,
    convert_placeholders,
    portable_default,
    portable_type,
)
from dbdriver.drivers.postgresql.schema import PostgreSQLSchema
from dbdriver.drivers.postgresql.stream import RowStream
from dbdriver.drivers.sql.catalog import RowWrite, UniqueKey
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.interruptible import InterruptibleOperations
from dbdriver.drivers.sql.operations import Translation
from dbdriver.drivers.sql.rawsql import RawCursor
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams
from dbdriver.requests import fields as rc
from dbdriver.requests.sqltext import POSTGRESQL_SESSION
from dbdriver.requests.tableschema import TableSchema

__all__ = ["PostgreSQLOperations"]

_PREPARE_TRANSACTION = re.compile(r"\s*PREPARE\s+TRANSACTION\b", re.I)

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '',
       COALESCE(a.attnum = ANY (i.indkey), false), col_description(c.oid, a.attnum)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE c.oid = to_regclass(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY a.attnum
"""
_TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.oid = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
#: The column lists of a table's unique keys (primary key included).
_UNIQUE_SQL = """
SELECT array_agg(a.attname ORDER BY k.n)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = to_regclass(%s) AND i.indisunique
  AND i.indpred IS NULL AND i.indexprs IS NULL
GROUP BY i.indexrelid
"""
#: Moves an identity column's sequence past a key a client chose itself,
#: so that the next generated key does not collide with it.
_ADVANCE_SQL = """
SELECT setval(s, %s) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s) q
WHERE s IS NOT NULL AND %s > COALESCE(pg_sequence_last_value(s), 0)
"""


class PostgreSQLOperations(InterruptibleOperations[DriverConnection]):
    """
    The table operations on PostgreSQL.
    """

    backend = "postgresql"
    schema_backend = PostgreSQLSchema
    session_rules = (POSTGRESQL_SESSION, LEXICON)
    streams = True

    def __init__(
        self,
        dialect: Dialect,
        settings: DriverSettings,
        translation: Translation,
        interrupter: Interrupter[DriverConnection],
    ) -> None:
        super().__init__(dialect, settings, translation, interrupter)
        #: The full-text targets of each table (L{fulltext_targets}).
        self._fulltext: dict[str, dict[str, str]] = {}

    # -- catalog ----------------------------------------------------------------

    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        cursor.execute(_COLUMNS_SQL, [self.dialect.quote(table)])
        return [
            CatalogColumn(
                name,
                portable_type(declared, comment),
                # A generated key takes the next id when left out or null, as
                # SQLite's rowid does (which reports it so).
                bool(not_null) and not (generated and key),
                portable_default(default),
                bool(key),
                generated=bool(generated),
            )
            for name, declared, not_null, default, generated, key, comment in (
                cursor.fetchall()
            )
        ]

    def table_names(self, cursor: DBCursor) -> list[str]:
        cursor.execute(_TABLES_SQL)
        # The driver's own tables (bookkeeping, notes) are left out.
        return [n for (n,) in cursor.fetchall() if not n.startswith("_dbdriver_")]

    def describe(self, cursor: DBCursor, table: str) -> TableSchema:
        return describe(cursor, self.notes, self.dialect.quote(table), table)

    def fulltext_targets(self, cursor: DBCursor, table: str) -> dict[str, str]:
        """
        The columns of C{table}'s full-text indexes, each with its index's
        name (cached with the table's catalog entry).
        """
        targets = self._fulltext.get(table)
        if targets is None:
            targets = {}
            indexes = fulltext_indexes(cursor, self.dialect.quote(table))
            for name, columns in sorted(indexes.items()):
                for column in columns:
                    targets.setdefault(column, name)
            self._fulltext[table] = targets
        return targets

    def forget_tables(self) -> None:
        super().forget_tables()
        self._fulltext.clear()

    def convert_placeholders(self, sql: str) -> str:
        return convert_placeholders(sql)

    @contextmanager
    def raw_cursor(
        self, cursor: DBCursor, sql: str, params: Sequence[object]
    ) -> Iterator[RawCursor]:
        connection = cast(DriverConnection, cursor.connection)
        stream = RowStream(connection.cursor(), sql, params)
        try:
            yield stream
        finally:
            stream.close()

    # -- rows -------------------------------------------------------------------

    def read_unique_keys(self, cursor: DBCursor, table: str) -> list[UniqueKey]:
        cursor.execute(_UNIQUE_SQL, [self.dialect.quote(table)])
        return [[(c, None) for c in k] for (k,) in cursor.fetchall()]

    def _advance_identity(
        self, cursor: DBCursor, table: str, column: str, key: object
    ) -> None:
        if isinstance(key, int) and not isinstance(key, bool):
            cursor.execute(_ADVANCE_SQL, [key, self.dialect.quote(table), column, key])

    def _write_row(self, cursor: DBCursor, write: RowWrite) -> tuple[object, int]:
        """
        Insert one row: its result (see L{insert_row}) and how many rows the
        insert wrote.
        """
        identity = write.info.generated_key
        row = write.row
        if identity is not None and identity in row and row[identity] is None:
            write = write.with_row({c: v for c, v in row.items() if c != identity})
        if write.on_conflict == "replace":
            self.delete_conflicting(cursor, write)
            write = attrs.evolve(write, on_conflict=None)
        result = super().insert_row(cursor, write)
        written = max(0, int(cursor.rowcount))
        if identity is not None and identity in write.row:
            self._advance_identity(cursor, write.table, identity, write.row[identity])
        return result, written

    def insert_row(self, cursor: DBCursor, write: RowWrite) -> object:
        return self._write_row(cursor, write)[0]

    def _insert_many(self, cursor: DBCursor, request: rq.InsertManyRequest) -> object:
        if not request.rows or request.returning:
            return super()._insert_many(cursor, request)  # row by row
        rows = request.rows
        if any(r.keys() != rows[0].keys() for r in rows):
            # Rows that name other columns (defaults for the rest): each
            # its own insert.
            return sum(
                self._write_row(cursor, self.row_write(cursor, request, r))[1]
                for r in rows
            )
        first = self.row_write(cursor, request, request.rows[0])
        identity = first.info.generated_key
        columns = first.columns
        rows = request.rows
        if request.on_conflict == "replace" or (
            identity is not None
            and identity in columns
            and any(r[identity] is None for r in rows)
        ):
            # Row by row: a delete before each, or each with its own columns.
            return sum(self._write_row(cursor, first.with_row(r))[1] for r in rows)
        cursor.executemany(
            self.dialect.insert(request.table, columns, request.on_conflict, None),
            self._rows_params(first.types, columns, rows),
        )
        written = int(cursor.rowcount)
        if identity is not None and identity in columns:
            keys = [r[identity] for r in rows if type(r[identity]) is int]
            if keys:
                self._advance_identity(cursor, first.table, identity, max(keys))
        return written

    def _execute(
        self, cursor: DBCursor, request: rq.ExecuteRequest
    ) -> dict[str, object]:
        keyword = rc.leading_keyword(request.sql)
        if keyword == "ABORT" or (
            keyword == "PREPARE" and _PREPARE_TRANSACTION.match(request.sql)
        ):
            raise InvalidParams(
                "transaction control statements are not allowed in execute: "
                "use begin_transaction/commit_transaction/rollback_transaction"
            )
        if self.read_only:
            # Whatever the statement did to the session's defaults, it runs
            # in a read-only transaction.
            cursor.execute("SET TRANSACTION READ ONLY")
        return super()._execute(cursor, request)
