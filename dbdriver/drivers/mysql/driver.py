"""
The MySQL/MariaDB backend: PyMySQL through L{adbapi.ConnectionPool}.

Each connection runs in READ COMMITTED with autocommit off, strict SQL
mode with C{ANSI_QUOTES}, C{PIPES_AS_CONCAT} and C{NO_BACKSLASH_ESCAPES}
(raw SQL reads as on SQLite and PostgreSQL), UTC, a binary collation, and
C{--busy-timeout} as its lock wait timeout; C{--read-only} makes every
transaction of the session read-only.  A deadline sends C{KILL QUERY} from
a separate connection.  A lost connection fails the request it was running
(C{unavailable}, C{details.applied} C{"unknown"}; C{false} when the server
could not be reached at all), ends the transaction it held, and is
reopened, along with every other connection, before the next request.
"""

from __future__ import annotations

import functools
import re
from contextlib import AbstractContextManager
from typing import Any, cast

import pymysql
from pymysql.constants import CLIENT
from twisted.enterprise import adbapi

from dbdriver import exceptions as errors
from dbdriver.drivers.backend import Backend
from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.drivers.interfaces import (
    DBConnection,
    DBCursor,
    DriverReactor,
    DriverSettings,
)
from dbdriver.drivers.interrupt import Interrupter
from dbdriver.drivers.mysql import catalog as catalog
from dbdriver.drivers.mysql.connection import (
    LOST,
    Connection,
    MySQLLiveness,
    errno_of,
    kill_query,
    parse_uri,
)
from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.mysql.operations import DUPLICATE, MySQLOperations
from dbdriver.drivers.pool import Losses, ReconnectingPool
from dbdriver.drivers.schema.sync import load_applied_schema

__all__ = ["MySQLBackend", "MySQLDriver"]

SQL_MODE = ",".join(
    [
        "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE",
        "NO_ENGINE_SUBSTITUTION", "NO_AUTO_VALUE_ON_ZERO",
        "ANSI_QUOTES", "PIPES_AS_CONCAT", "NO_BACKSLASH_ESCAPES",
    ]
)  # fmt: skip

_CONSTRAINT = DUPLICATE | {1048, 1364, 1451, 1452, 1216, 1217, 3730, 3819, 4025}
_CONSTRAINT |= {1406}  # data too long: a max_length
#: Where the server's message names the constraint.
_NAMED = re.compile(
    r"""(?:CONSTRAINT [`"]((?:[^`"]|``)+)[`"] failed|for key '([^']*)'"""
    r"""|CONSTRAINT [`"]((?:[^`"]|``)+)[`"] FOREIGN KEY)"""
)
_LONG = re.compile(r"Data too long for column '([^']*)'")
_BUSY = frozenset({1205, 1213, 3572})
_READ_ONLY = frozenset({1792, 1290, 1836, 1036})
#: cannot connect (socket, TCP, host name): the request never reached a server
_NOT_CONNECTED = frozenset({2002, 2003, 2005})
_INTERRUPTED = frozenset({1317, 1969, 3024})
_TABLE = re.compile(r"Table '(?:[^'.]*\.)?([^']*)'")
_COLUMN = re.compile(r"Unknown column '(?:[^']*\.)?([^'.]*)'")


class MySQLBackend(Backend):
    """
    A MySQL or MariaDB server: a pool that writes and one that reads, each
    connection reopened (with every other) after one is lost.

    @ivar operations: the table operations on this database.
    """

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        super().__init__(config, reactor)
        self._uri_error: str | None = None
        try:
            self._params = parse_uri(config.database)
        except ValueError as e:  # reported by check(), as cannot-open
            self._params, self._uri_error = {"database": ""}, str(e)
        self._liveness = MySQLLiveness()
        self._losses = Losses()
        self._interrupter: Interrupter[Connection] = Interrupter(
            functools.partial(kill_query, self._params)
        )
        self._writes: ReconnectingPool[Connection] | None = None
        self._server: tuple[str, tuple[int, ...]] | None = None
        self.operations = MySQLOperations(
            MySQLDialect(), config, self.translate_error, self._interrupter
        )

    # -- setup ------------------------------------------------------------------

    def check(self) -> None:
        """
        Before serving: the server answers, with these credentials, and is
        recent enough (MariaDB 10.5+, MySQL 8.0+).
        """
        if self._uri_error is not None:
            raise ValueError(self._uri_error)
        where = self._params.get("unix_socket") or (
            f"{self._params['host']}:{self._params['port']}"
        )
        try:
            connection = pymysql.connect(**self._params)
        except pymysql.Error as e:
            message = e.args[1] if len(e.args) > 1 else str(e)
            raise RuntimeError(
                f"cannot connect to the MySQL/MariaDB server at {where}: {message}"
            ) from None
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT VERSION()")
            (version,) = cursor.fetchone()
        finally:
            connection.close()
        self._detect(str(version))

    def _detect(self, version: str) -> None:
        match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
        numbers = tuple(int(n) for n in match.groups()) if match else (0,)
        flavour = "mariadb" if "mariadb" in version.lower() else "mysql"
        if numbers < ((10, 5) if flavour == "mariadb" else (8, 0)):
            raise RuntimeError(
                f"server version {version} is too old: dbdriver needs "
                "MariaDB 10.5+ or MySQL 8.0+"
            )
        self._server = (flavour, numbers)
        mariadb = flavour == "mariadb"
        self.operations.mariadb = mariadb
        self.operations.use_dialect(
            MySQLDialect(
                returning=mariadb,
                long_unique=mariadb,
                collation="utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin",
            )
        )

    def _setup(self) -> tuple[str, ...]:
        wait = max(1, int(-(-self.config.busy_timeout // 1)))
        statements = [
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            f"SET SESSION time_zone = '+00:00', SESSION innodb_lock_wait_timeout = "
            f"{wait}, SESSION lock_wait_timeout = {wait}",
            # full-text indexes hold every word (as on the other backends)
            "SET SESSION innodb_ft_enable_stopword = OFF",
        ]
        if self.config.read_only:
            statements.append("SET SESSION TRANSACTION READ ONLY")
        return tuple(statements)

    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        if self._server is None:
            self.check()
        arguments = {
            **self._params,
            "charset": "utf8mb4",
            "collation": self.operations.sql.collation,
            "autocommit": False,
            "sql_mode": SQL_MODE,
            "client_flag": CLIENT.FOUND_ROWS,  # UPDATE counts matched rows
            "binary_prefix": True,  # bytes as binary (PyMySQL 1.1; 1.2 always)
            "setup": self._setup(),
            "cursorclass": catalog.DecodingCursor,
            "column_types": self.operations.column_types,
            "losses": self._losses,
            "cp_noisy": False,
            "cp_reactor": self.reactor,
        }
        writes, reads = (
            ReconnectingPool[Connection](
                self._liveness,
                self._losses,
                "dbdriver.drivers.mysql.connection",
                cp_min=1,
                cp_max=size,
                **arguments,
            )
            for size in (self.write_concurrency, self.pool_size)
        )
        self._writes = writes
        return writes, reads

    def prepare(self, cursor: DBCursor) -> None:
        cursor.execute("SELECT @@innodb_rollback_on_timeout")
        self.operations.rollback_on_timeout = bool(cursor.fetchall()[0][0])
        load_applied_schema(self.operations, cursor)

    # -- transactions and connections -------------------------------------------

    def begin_group(self, cursor: DBCursor) -> None:
        self._begin(cursor)

    def begin_pinned(self, cursor: DBCursor) -> None:
        connection: Connection = cursor.connection
        connection.pinned = True
        self._begin(cursor)

    def begin_snapshot(self, cursor: DBCursor) -> None:
        # One statement reads one snapshot, however long it streams.
        connection: Connection = cursor.connection
        connection.pinned = False
        self._begin(cursor, "START TRANSACTION READ ONLY")

    def _begin(self, cursor: DBCursor, statement: str = "START TRANSACTION") -> None:
        if self._writes is not None:  # (pinned connections wait idle)
            self._writes.ensure(cast(adbapi.Transaction, cursor))
        connection: Connection = cursor.connection
        connection.transaction_lost = False
        try:
            cursor.execute(statement)
        except pymysql.Error:
            if connection.open:
                raise
            # Found dead before anything ran on it: safe to begin again.
            self._revive(connection)
            cursor.execute(statement)

    def transaction_alive(self, connection: DBConnection) -> bool:
        raw = cast(Connection, connection)
        return bool(raw.open) and not raw.transaction_lost

    def recover(self, connection: DBConnection) -> None:
        raw = cast(Connection, connection)
        if raw.open:
            try:
                raw.rollback()
                return
            except pymysql.Error:
                raw.close_quietly()
        self._revive(raw)

    def _revive(self, connection: Connection) -> None:
        self._liveness.revive(connection)
        if connection.open:
            self._losses.checked(connection)

    def running(self, connection: DBConnection) -> AbstractContextManager[None]:
        return self._interrupter.running(cast(Connection, connection))

    def interrupt(self, connection: DBConnection) -> None:
        self._interrupter.interrupt(cast(Connection, connection))

    def stream_cursor(self, connection: DBConnection) -> DBCursor:
        # Inside a transaction other statements share the connection: the
        # cursor reads all its rows at once there.
        raw = cast(Connection, connection)
        if raw.pinned:
            return raw.cursor(catalog.DecodingCursor)
        return raw.cursor(catalog.DecodingStreamCursor)

    # -- errors -----------------------------------------------------------------

    def translate_error(self, error: BaseException) -> errors.DriverError | None:
        """
        The protocol error for a PyMySQL exception, or C{None}.
        """
        code = errno_of(error)
        # PyMySQL interpolates params with %: a count that does not match
        if isinstance(error, (TypeError, pymysql.ProgrammingError)) and (
            code is None and "format" in str(error)
        ):
            return errors.InvalidParams(
                "the params do not match the statement's ? placeholders"
            )
        if not isinstance(error, pymysql.Error):
            return None
        args = error.args
        message = str(args[1]) if len(args) > 1 else str(error)
        details = {"mysql_error": code}
        if code in _NOT_CONNECTED or isinstance(error, pymysql.InterfaceError):
            # could not connect, or the connection was closed before sending
            return errors.Unavailable(
                "cannot reach the database server"
                + (f" ({message})" if message else ""),
                {**details, "applied": False, "connection_lost": True},
            )
        if code in LOST:
            return errors.Unavailable(
                "the connection to the database server was lost"
                + (f" ({message})" if message else "")
                + "; the driver reconnects for the next request",
                {**details, "applied": "unknown", "connection_lost": True},
            )
        if code == 1264:
            return errors.InvalidParams(f"value out of range: {message}", details)
        if code in _CONSTRAINT:
            return errors.ConstraintViolation(message, _constraint(message, details))
        if code == 1146:
            match = _TABLE.search(message)
            return errors.NoSuchTable(
                message, {"table": match.group(1)} if match else details
            )
        if code == 1054:
            match = _COLUMN.search(message)
            return errors.NoSuchColumn(
                message, {"column": match.group(1)} if match else details
            )
        if code in _BUSY:
            return errors.Busy(
                f"{message} (lock wait timeout {self.config.busy_timeout} s)"
            )
        if code in _READ_ONLY:
            return errors.ReadOnly(f"{message}: the server is read-only")
        if code in _INTERRUPTED:
            return errors.SQLError(f"the statement was interrupted: {message}", details)
        return errors.SQLError(message, details)


class MySQLDriver(BaseDatabaseDriver):
    """
    The driver of C{--database=mysql://...} (or C{mariadb://...}): the
    engine composed with a L{MySQLBackend}.
    """

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        backend = MySQLBackend(config, reactor)
        super().__init__(config, reactor, backend, backend.operations)


def _constraint(message: str, details: dict[str, Any]) -> dict[str, Any]:
    """
    A constraint violation's details: the constraint's name where the
    server's message says it (a column check reads C{table.column}), or the
    column a C{max_length} limits.
    """
    found = _NAMED.search(message)
    if found:
        name = next(g for g in found.groups() if g is not None)
        return {**details, "constraint": name.rsplit(".", 1)[-1]}
    long = _LONG.search(message)
    if long:
        return {**details, "column": long.group(1)}
    return details
