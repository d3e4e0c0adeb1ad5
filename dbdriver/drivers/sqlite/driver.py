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
import math
import os
import re
import sqlite3
import time
import urllib.parse
import uuid
from typing import cast

from twisted.enterprise import adbapi
from twisted.logger import Logger

from dbdriver import exceptions as errors
from dbdriver import requests as rq
from dbdriver.drivers.backend import Backend
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.drivers.interfaces import (
    DBConnection,
    DBCursor,
    DriverReactor,
    DriverSettings,
)
from dbdriver.drivers.schema.sync import load_applied_schema
from dbdriver.drivers.sql.uri import parse_database
from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.drivers.sqlite.guard import GuardedConnection, SessionGuard
from dbdriver.drivers.sqlite.inline import InlineReader
from dbdriver.drivers.sqlite.operations import SQLiteOperations
from dbdriver.requests.sqltext import reads_only

__all__ = ["SQLiteBackend", "SQLiteDriver"]


def _register_converters() -> None:
    # Declared types of the portable columns (see Dialect.types) come back as
    # their wire types; DATE/TIMESTAMP columns of other schemas stay text.
    sqlite3.register_converter("BOOLEAN", lambda b: b not in (b"0", b"0.0"))
    sqlite3.register_converter("JSON", json.loads)
    sqlite3.register_converter("TIMESTAMP", lambda b: b.decode("utf-8", "replace"))
    sqlite3.register_converter("DATE", lambda b: b.decode("utf-8", "replace"))


_register_converters()


def sqlite_target(database: str) -> str:
    """
    The file a C{--database} value names (C{sqlite:PATH} or a plain path).
    """
    return parse_database(database).database


class SQLiteBackend(Backend):
    """
    One SQLite file: a single writer connection, readers beside it, and an
    inline reader on the reactor thread.

    @ivar operations: the table operations on this database.
    @ivar inline: the reads that run on the reactor thread.
    """

    log = Logger()

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        super().__init__(config, reactor)
        self.path = sqlite_target(config.database)
        self.memory = self.path == ":memory:"
        if self.memory:
            self.uri = f"file:dbdriver-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            # The file is created (owner-only) by check(): a connection never
            # creates it, so one deleted under the driver stays gone.
            path = urllib.parse.quote(os.path.abspath(self.path))
            self.uri = f"file:{path}?mode={'ro' if config.read_only else 'rw'}"
        self._gone_logged = 0.0
        self._opened: tuple[int, int] | None = None
        self.operations = SQLiteOperations(
            SQLiteDialect(), config, self.translate_error, self.path, self.uri
        )
        self.inline = InlineReader(self._inline_connection, self.operations.perform)

    @property
    def pool_size(self) -> int:
        return self.config.pool_size or 2

    def check(self) -> None:
        """
        Before serving: the file opens and is a database (raises if not).
        """
        if self.memory:
            return
        if not os.path.exists(self.path):
            if self.config.read_only:
                raise OSError(f"--read-only, and {self.path} does not exist")
            if self.config.no_create:
                raise OSError(
                    f"{self.path} does not exist (--no-create: "
                    "the driver does not create a new database)"
                )
            self._create()
        connection = sqlite3.connect(self.uri, uri=True)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()

    def _create(self) -> None:
        """
        Create the database file, owner-only whatever the umask (SQLite
        gives the WAL and SHM files the mode of the database file).
        """
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        os.fchmod(fd, 0o600)
        os.close(fd)

    def _pool(self, size: int) -> adbapi.ConnectionPool:
        return adbapi.ConnectionPool(
            "sqlite3",
            self.uri,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES,
            timeout=self.config.busy_timeout,
            factory=GuardedConnection,
            cp_min=size,
            cp_max=size,
            cp_openfun=self._open_connection,
            cp_noisy=False,
            cp_reactor=self.reactor,
        )

    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        # One writer: SQLite has one write lock, and a single writer
        # connection never meets "database is locked" from its own pool.
        if not (self.memory or self.config.read_only or self.config.no_create):
            self._create()
        self._opened = None if self.memory else self._identity()
        return self._pool(1), self._pool(self.pool_size)

    def _inline_connection(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.uri,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES,
            factory=GuardedConnection,
        )
        self._set_up(connection)
        # The reactor thread never waits for a lock, and only reads.
        connection.execute("PRAGMA busy_timeout = 0")
        connection.execute("PRAGMA query_only = ON")
        self._guard(connection)
        return connection

    def _open_connection(self, connection: GuardedConnection) -> None:
        self._set_up(connection)
        self._guard(connection)

    def _guard(self, connection: GuardedConnection) -> None:
        """
        From now on no request changes the connection for later ones, and
        no value outgrows an answer (C{--max-message-size}).
        """
        connection.setlimit(
            sqlite3.SQLITE_LIMIT_LENGTH,
            max(self.config.max_message_size, _MIN_LENGTH),
        )
        config = self.config
        connection.install(SessionGuard(config.read_only, config.allow_session_sql))

    def _set_up(self, connection: sqlite3.Connection) -> None:
        connection.execute(
            f"PRAGMA busy_timeout = {int(self.config.busy_timeout * 1000)}"
        )
        connection.execute("PRAGMA foreign_keys = ON")
        # A REPLACE that deletes a conflicting row fires its delete triggers
        # (which keep the full-text tables current) only with this on.
        connection.execute("PRAGMA recursive_triggers = ON")
        synchronous = "FULL" if self.config.synchronous == "full" else "NORMAL"
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        if self.config.read_only:
            connection.execute("PRAGMA query_only = ON")

    def prepare(self, cursor: DBCursor) -> None:
        if sqlite3.sqlite_version_info < (3, 35, 0):
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} is too old: dbdriver needs 3.35+"
            )
        if not (self.memory or self.config.read_only):
            with cast(GuardedConnection, cursor.connection).trusted():
                cursor.execute("PRAGMA journal_mode = WAL")
        load_applied_schema(self.operations, cursor)

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def _still_there(self) -> None:
        """
        Before a write: the file the driver opened is still at its path (in
        WAL mode SQLite would go on writing to a deleted file).
        """
        if self.memory or self._opened is None:
            return
        if self._identity() != self._opened:
            raise self._gone("the file at its path is not the one opened")

    def begin_group(self, cursor: DBCursor) -> None:
        self._still_there()
        cursor.execute("BEGIN" if self.config.read_only else "BEGIN IMMEDIATE")

    def begin_snapshot(self, cursor: DBCursor) -> None:
        # A deferred transaction: the cursor's first read fixes its snapshot.
        cursor.execute("BEGIN")

    def begin_pinned(self, cursor: DBCursor) -> None:
        self._still_there()
        # Deferred: the write lock is taken at the transaction's first write
        # (a transaction that read first and whose snapshot is stale by then
        # gets SQLITE_BUSY_SNAPSHOT, answered busy).
        cursor.execute("BEGIN")

    @property
    def write_lock_idle_timeout(self) -> float:
        return self.config.write_lock_idle_timeout

    def takes_write_lock(self, request: rq.BaseRequest) -> bool:
        """
        Whether running C{request} in a transaction may take the write lock.
        """
        if isinstance(request, rq.ExecuteRequest):
            return not reads_only(request.sql)
        return not request.reads

    def interrupt(self, connection: DBConnection) -> None:
        cast(sqlite3.Connection, connection).interrupt()

    @property
    def lock_wait(self) -> float | None:
        """
        The busy timeout: C{sqlite3_interrupt} does not end the busy
        handler's wait for the write lock, so a nearer deadline cuts it.
        """
        return self.config.busy_timeout

    def limit_lock_wait(self, connection: DBConnection, seconds: float) -> None:
        # Rounded up: the wait ends at the deadline, not just before it.
        self._busy_timeout(connection, math.ceil(seconds * 1000))

    def restore_lock_wait(self, connection: DBConnection) -> None:
        self._busy_timeout(connection, int(self.config.busy_timeout * 1000))

    def _busy_timeout(self, connection: DBConnection, milliseconds: int) -> None:
        guarded = cast(GuardedConnection, connection)
        with guarded.trusted():
            guarded.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    def transaction_alive(self, connection: DBConnection) -> bool:
        return cast(sqlite3.Connection, connection).in_transaction

    def translate_error(self, error: BaseException) -> errors.DriverError | None:
        """
        The protocol error for a C{sqlite3} exception, or C{None}.
        """
        if not isinstance(error, sqlite3.Error):
            return None
        message = str(error)
        name = getattr(error, "sqlite_errorname", "") or ""
        if isinstance(error, sqlite3.IntegrityError):
            return errors.ConstraintViolation(message, _constraint(message))
        if isinstance(error, sqlite3.InterfaceError) or "bindings" in message:
            return errors.InvalidParams(message)
        if message.startswith("no such table"):
            return errors.NoSuchTable(message, {"table": message.rpartition(" ")[2]})
        if message.startswith("no such column") or " has no column named " in message:
            return errors.NoSuchColumn(message, {"column": message.rpartition(" ")[2]})
        if name == "SQLITE_READONLY_DBMOVED" or (
            name.startswith("SQLITE_CANTOPEN") and not self.memory
        ):
            return self._gone(message)
        if name == "SQLITE_TOOBIG":
            return errors.ResultTooLarge(
                f"{message}: a value over --max-message-size="
                f"{self.config.max_message_size} bytes"
            )
        if message == "not authorized":
            return errors.Forbidden(
                "the statement is not allowed: it would change the connection's "
                "state for later requests, or write under --read-only"
            )
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return errors.Busy(f"{message} (busy timeout {self.config.busy_timeout} s)")
        if name.startswith("SQLITE_READONLY") or "readonly database" in message:
            return errors.ReadOnly(f"{message}: the server is read-only")
        return errors.SQLError(message, {"sqlite_error": name} if name else None)

    def _gone(self, message: str) -> errors.Unavailable:
        """
        The database file was deleted or moved under the driver: every
        write fails until an operator puts it back and restarts the driver.
        """
        path = os.path.abspath(self.path)
        now = time.monotonic()
        if now - self._gone_logged > _LOG_GONE_EVERY:
            self._gone_logged = now
            self.log.error(
                "the database file {path} is gone (deleted or moved) or cannot "
                "be opened: writes fail until it is restored ({message})",
                path=path,
                message=message,
            )
        return errors.Unavailable(
            f"the database file {path} is gone (deleted or moved) or cannot be "
            f"opened: {message}",
            {"applied": False},
        )


def _constraint(message: str) -> dict[str, object] | None:
    """
    The details of an integrity error: C{constraint}, the name of the check
    that failed where SQLite says it (a named check; an unnamed one, such
    as a C{max_length}, shows its expression instead).
    """
    head, _, rest = message.partition(" constraint failed: ")
    if head == "CHECK" and _IDENTIFIER.match(rest):
        return {"constraint": rest}
    return None


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Seconds between two error lines about a database file that is gone.
_LOG_GONE_EVERY = 10.0
#: The least SQLITE_LIMIT_LENGTH (the driver's own statements need room).
_MIN_LENGTH = 1 << 20


class SQLiteDriver(BaseDatabaseDriver):
    """
    The driver of a SQLite database: the engine composed with a
    L{SQLiteBackend}, reads inline where they fit the budget.
    """

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        backend = SQLiteBackend(config, reactor)
        super().__init__(config, reactor, backend, backend.operations, backend.inline)
