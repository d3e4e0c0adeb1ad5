"""
The SQLite backend, the embedded default.

One file, WAL journal (readers never wait for the writer), a busy timeout
(writers wait for each other, then C{busy}), foreign keys on,
C{synchronous=NORMAL} (an acknowledged write survives a crash of the driver
process; see docs/durability in the README).  C{--read-only} opens the file
with C{mode=ro}, so the connection itself refuses every write.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
import uuid
from typing import Any

from twisted.enterprise import adbapi

from dbdriver import requests as rq
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.drivers.engine.jobs import Job
from dbdriver.drivers.schema.sync import BOOKKEEPING, load_applied_schema
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.uri import parse_database
from dbdriver.drivers.sqlite.inline import InlineReader
from dbdriver.drivers.sqlite.schema import SQLiteSchema
from dbdriver.exceptions import (
    Busy,
    ConstraintViolation,
    DriverError,
    InvalidParams,
    NoSuchColumn,
    NoSuchTable,
    ReadOnly,
    SQLError,
)

__all__ = ["SQLiteDriver"]

_PORTABLE = {
    "integer": "integer",
    "bigint": "bigint",
    "real": "real",
    "text": "text",
    "blob": "blob",
    "boolean": "boolean",
    "timestamp text": "timestamp",
    "json text": "json",
}


def _register_converters() -> None:
    # Declared types of the portable columns (see Dialect.types) come back as
    # their wire types; DATE/TIMESTAMP columns of other schemas stay text.
    sqlite3.register_converter("BOOLEAN", lambda b: b not in (b"0", b"0.0"))
    sqlite3.register_converter("JSON", json.loads)
    sqlite3.register_converter("TIMESTAMP", lambda b: b.decode("utf-8", "replace"))
    sqlite3.register_converter("DATE", lambda b: b.decode("utf-8", "replace"))


_register_converters()

#: What raw SQL may not do: transactions and savepoints belong to the driver.
_TRANSACTION_ACTIONS = frozenset({sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT})


class _TransactionGuard:
    """
    An authorizer that refuses transaction control in raw SQL, however the
    statement hides it from a check of its first keyword (C{";COMMIT"}).
    """

    def __init__(self) -> None:
        self.refused = False

    def __call__(self, action: int, *args: Any) -> int:
        if action in _TRANSACTION_ACTIONS:
            self.refused = True
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK


def sqlite_target(database: str) -> str:
    """
    The file a C{--database} value names (C{sqlite:PATH} or a plain path).
    """
    return parse_database(database).database


class SQLiteDriver(BaseDatabaseDriver):
    backend = "sqlite"
    schema_backend = SQLiteSchema
    inline_reads = True
    statement_atomic = True
    dialect = Dialect()

    def __init__(self, config: Any, reactor: Any) -> None:
        super().__init__(config, reactor)
        self.path = sqlite_target(config.database)
        self.memory = self.path == ":memory:"
        if self.memory:
            self._uri = f"file:dbdriver-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            path = urllib.parse.quote(os.path.abspath(self.path))
            self._uri = f"file:{path}?mode={'ro' if config.read_only else 'rwc'}"
        self.inline = InlineReader(self._inline_connection, self.perform)

    @property
    def pool_size(self) -> int:
        return self.config.pool_size or 2

    def uri(self) -> str:
        return self._uri

    def check(self) -> None:
        """
        Before serving: the file opens and is a database (raises if not).
        """
        if self.memory:
            return
        if self.config.read_only and not os.path.exists(self.path):
            raise OSError(f"--read-only, and {self.path} does not exist")
        connection = sqlite3.connect(self.uri(), uri=True)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()

    def _pool(self, size: int) -> adbapi.ConnectionPool:
        return adbapi.ConnectionPool(
            "sqlite3",
            self.uri(),
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES,
            timeout=self.config.busy_timeout,
            cp_min=size,
            cp_max=size,
            cp_openfun=self._open_connection,
            cp_noisy=False,
            cp_reactor=self.reactor,
        )

    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        # One writer: SQLite has one write lock, and a single writer
        # connection never meets "database is locked" from its own pool.
        return self._pool(1), self._pool(self.pool_size)

    def _inline_connection(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.uri(),
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES,
        )
        self._open_connection(connection)
        return connection

    def run_inline(self, job: Job) -> bool:
        return self.inline.run(job)

    def close_inline(self) -> None:
        self.inline.close()

    def _open_connection(self, connection: sqlite3.Connection) -> None:
        connection.execute(
            f"PRAGMA busy_timeout = {int(self.config.busy_timeout * 1000)}"
        )
        connection.execute("PRAGMA foreign_keys = ON")
        synchronous = "FULL" if self.config.synchronous == "full" else "NORMAL"
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        if self.config.read_only:
            connection.execute("PRAGMA query_only = ON")

    def prepare(self, cursor: Any) -> None:
        if sqlite3.sqlite_version_info < (3, 35, 0):
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old: dbdriver needs 3.35+"
            )
        if not (self.memory or self.config.read_only):
            cursor.execute("PRAGMA journal_mode = WAL")
        load_applied_schema(self, cursor)

    def begin_group(self, cursor: Any) -> None:
        cursor.execute("BEGIN" if self.config.read_only else "BEGIN IMMEDIATE")

    def begin_snapshot(self, cursor: Any) -> None:
        # A deferred transaction: the cursor's first read fixes its snapshot.
        cursor.execute("BEGIN")

    def begin_pinned(self, cursor: Any) -> None:
        cursor.execute("BEGIN" if self.config.read_only else "BEGIN IMMEDIATE")

    def _execute(self, cursor: Any, request: rq.ExecuteRequest) -> dict[str, Any]:
        guard = _TransactionGuard()
        connection = cursor.connection
        connection.set_authorizer(guard)
        try:
            return super()._execute(cursor, request)
        except sqlite3.Error:
            if guard.refused:
                raise InvalidParams(
                    "transaction control statements are not allowed in execute: "
                    "use begin_transaction/commit_transaction/rollback_transaction"
                ) from None
            raise
        finally:
            connection.set_authorizer(None)

    def interrupt(self, connection: Any) -> None:
        connection.interrupt()

    def transaction_alive(self, connection: Any) -> bool:
        return bool(connection.in_transaction)

    def table_columns(self, cursor: Any, table: str) -> list[dict[str, Any]]:
        cursor.execute(
            'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)',
            (table,),
        )
        return [
            {
                "name": name,
                "type": _PORTABLE.get(declared.lower(), declared.lower()),
                "not_null": bool(not_null),
                "default": default,
                "primary_key": pk > 0,
            }
            for name, declared, not_null, default, pk in cursor.fetchall()
        ]

    def table_names(self, cursor: Any) -> list[str]:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? ORDER BY name",
            (BOOKKEEPING,),
        )
        return [name for (name,) in cursor.fetchall()]

    def translate_backend(self, error: BaseException) -> DriverError | None:
        if not isinstance(error, sqlite3.Error):
            return None
        message = str(error)
        name = getattr(error, "sqlite_errorname", "") or ""
        if isinstance(error, sqlite3.IntegrityError):
            return ConstraintViolation(message)
        if isinstance(error, sqlite3.InterfaceError) or "bindings" in message:
            return InvalidParams(message)
        if message.startswith("no such table"):
            return NoSuchTable(message, {"table": message.rpartition(" ")[2]})
        if message.startswith("no such column") or " has no column named " in message:
            return NoSuchColumn(message, {"column": message.rpartition(" ")[2]})
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return Busy(f"{message} (busy timeout {self.config.busy_timeout} s)")
        if name.startswith("SQLITE_READONLY") or "readonly database" in message:
            return ReadOnly(f"{message}: the server is read-only")
        return SQLError(message, {"sqlite_error": name} if name else None)
