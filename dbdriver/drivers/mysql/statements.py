"""
How requests run on MySQL/MariaDB, below the row writes of
L{dbdriver.drivers.mysql.operations}: the catalog, whether a failed
statement leaves its transaction usable, the statements that cannot run
inside a transaction (MySQL commits DDL implicitly), and the checks raw SQL
needs here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import pymysql
import pymysql.cursors

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql import catalog as catalog
from dbdriver.drivers.mysql.connection import Connection, errno_of
from dbdriver.drivers.mysql.describe import describe, fulltext_targets
from dbdriver.drivers.mysql.dialect import (
    LEXICON,
    MySQLDialect,
    convert_placeholders,
    leading_words,
    strip_literals,
)
from dbdriver.drivers.mysql.schema import MySQLSchema
from dbdriver.drivers.schema.sync import BOOKKEEPING
from dbdriver.drivers.sql.interruptible import InterruptibleOperations
from dbdriver.drivers.sql.rawsql import RawCursor
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import DriverError, InvalidParams, NoSuchTable, SQLError
from dbdriver.requests.sqltext import MYSQL_SESSION
from dbdriver.requests.tableschema import TableSchema
from dbdriver.requests.where import Node

__all__ = ["MySQLStatements"]

_CONTROL = frozenset(
    {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "XA"}
    | {"LOCK", "UNLOCK"}
)
_IMPLICIT_COMMIT = frozenset(
    {"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE", "ANALYZE", "OPTIMIZE"}
    | {"REPAIR", "GRANT", "REVOKE", "FLUSH", "INSTALL", "UNINSTALL", "RESET"}
    | {"CACHE"}
)
_SESSION_SETTINGS = re.compile(
    r"\b(?:autocommit|transaction|tx_\w+|transaction_\w+|read_only|completion_type)\b",
    re.IGNORECASE,
)


class MySQLStatements(InterruptibleOperations[Connection]):
    """
    The table operations on MySQL/MariaDB, but for the row writes.

    @ivar mariadb: whether the server is MariaDB (its catalog differs).
    @ivar rollback_on_timeout: whether a lock wait timeout rolls back the
        whole transaction (C{innodb_rollback_on_timeout}).
    """

    backend = "mysql"
    schema_backend = MySQLSchema
    statement_atomic = True  # InnoDB undoes a failed statement alone
    session_rules = (MYSQL_SESSION, LEXICON)
    streams = True
    mariadb = True
    rollback_on_timeout = False

    @property
    def sql(self) -> MySQLDialect:
        """
        The dialect, as the MySQL one it is (the server's version decides
        its features: L{use_dialect}).
        """
        assert isinstance(self.dialect, MySQLDialect)
        return self.dialect

    def use_dialect(self, dialect: MySQLDialect) -> None:
        """
        Write the SQL of the server found (before the pools open).
        """
        self.dialect = dialect

    # -- how requests run ---------------------------------------------------------

    def needs_savepoint(self, request: rq.BaseRequest) -> bool:
        # An insert that reads its row back (no RETURNING) is two statements.
        return not self.sql.returning or super().needs_savepoint(request)

    def runs_alone(self, request: rq.BaseRequest) -> bool:
        # DDL commits implicitly: it cannot share a group's transaction.
        return request.alone or isinstance(
            request, (rq.CreateTableRequest, rq.DropTableRequest)
        )

    def perform(self, cursor: DBCursor, request: rq.BaseRequest) -> object:
        try:
            return super().perform(cursor, request)
        except pymysql.Error as e:
            self._note(cursor.connection, e)
            raise

    def _note(self, connection: Connection, error: pymysql.Error) -> None:
        """
        After a failed statement: remember whether the server ended the
        transaction (a lost connection marks itself).
        """
        code = errno_of(error)
        if (
            not connection.open
            or code == 1213
            or (code == 1205 and self.rollback_on_timeout)
        ):
            connection.transaction_lost = True

    # -- catalog ------------------------------------------------------------------

    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        return catalog.table_columns(cursor, table, self.mariadb)

    def table_names(self, cursor: DBCursor) -> list[str]:
        # (the bookkeeping and the notes: the driver's own tables)
        return [
            n
            for n in catalog.table_names(cursor)
            if n != BOOKKEEPING and not n.startswith("_dbdriver_")
        ]

    def describe(self, cursor: DBCursor, table: str) -> TableSchema:
        if not self.table_columns(cursor, table):
            raise NoSuchTable(f"no such table: {table}", {"table": table})
        return describe(cursor, table, self.notes.read(cursor, table))

    def fulltext_targets(self, cursor: DBCursor, table: str) -> dict[str, str]:
        return fulltext_targets(cursor, table)

    def convert_placeholders(self, sql: str) -> str:
        return convert_placeholders(sql)[0]

    @contextmanager
    def raw_cursor(
        self, cursor: DBCursor, sql: str, params: Sequence[object]
    ) -> Iterator[RawCursor]:
        # Unbuffered: rows are read as they are fetched.  They are decoded
        # once all are read (L{_fetch}): the catalog may be asked then.
        connection: Connection = cursor.connection
        raw = connection.cursor(pymysql.cursors.SSCursor)
        try:
            raw.execute(sql, params)
            yield raw
        finally:
            result = getattr(raw, "_result", None)
            if getattr(result, "unbuffered_active", False):
                # Left before its end: stop the statement, read what it sent.
                self._interrupter.cancel(connection)
            with contextlib.suppress(pymysql.Error):  # the KILL QUERY's error
                raw.close()

    def fetch_rows(self, cursor: RawCursor) -> list[list[object]]:
        rows = super().fetch_rows(cursor)
        decoders = catalog.result_decoders(cast(DBCursor, cursor), True)
        if any(decoders):
            return [list(row) for row in catalog.decode_rows(rows, decoders)]
        return rows

    def bind_where(self, node: Node, types: dict[str, str]) -> Node:
        return self.sql.bind_where(node, types)

    def column_types(
        self, connection: Connection, table: str, load: bool
    ) -> dict[str, str] | None:
        """
        Thread side, for the decoding cursors: the portable column types of
        a table, from the cache, or (C{load}) the catalog.
        """
        info = self._tables.get(table)
        if info is None and load:
            aside = connection.cursor(pymysql.cursors.Cursor)
            try:
                info = self.table_info(aside, table)
            except DriverError:
                return None
            finally:
                aside.close()
        return None if info is None else info.types

    # -- statements that cannot run inside a transaction ----------------------------

    def _in_transaction(self, cursor: DBCursor) -> bool:
        connection: Connection = cursor.connection
        return bool(connection.pinned or getattr(connection, "in_batch", False))

    def _no_implicit_commit(self, cursor: DBCursor, what: str) -> None:
        if self._in_transaction(cursor):
            raise SQLError(
                f"{what} commits implicitly on MySQL/MariaDB: run it outside a "
                "transaction",
                {"implicit_commit": True},
            )

    def _create_table(self, cursor: DBCursor, request: rq.CreateTableRequest) -> bool:
        self._no_implicit_commit(cursor, "create_table")
        return super()._create_table(cursor, request)

    def _drop_table(self, cursor: DBCursor, request: rq.DropTableRequest) -> bool:
        self._no_implicit_commit(cursor, "drop_table")
        return super()._drop_table(cursor, request)

    def _transaction(
        self, cursor: DBCursor, request: rq.TransactionRequest
    ) -> list[object]:
        connection: Connection = cursor.connection
        connection.in_batch = True
        try:
            return super()._transaction(cursor, request)
        finally:
            connection.in_batch = False

    def _execute(
        self, cursor: DBCursor, request: rq.ExecuteRequest
    ) -> dict[str, object]:
        words = leading_words(request.sql)
        first = words[0] if words else ""
        if first in _CONTROL or (
            first == "SET" and _SESSION_SETTINGS.search(strip_literals(request.sql))
        ):
            raise InvalidParams(
                "transaction control statements are not allowed in execute: "
                "use begin_transaction/commit_transaction/rollback_transaction"
            )
        if first == "USE":
            raise InvalidParams("execute cannot switch the connection's database")
        if first in _IMPLICIT_COMMIT and words[1:2] != ["TEMPORARY"]:
            self._no_implicit_commit(cursor, first)
        count = convert_placeholders(request.sql)[1]
        given = len(request.params or ())
        if count != given:
            raise InvalidParams(
                f"the statement has {count} ? placeholders "
                f"but {given} params were given"
            )
        return super()._execute(cursor, request)
