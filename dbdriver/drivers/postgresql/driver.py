"""
The PostgreSQL backend: psycopg 3 through L{adbapi.ConnectionPool}.

C{--database=postgresql://user:password@host:port/dbname?options} (any libpq
URI; C{postgres://} too).  Tables live in the connection's current schema
(its C{search_path}).  Every session runs with C{TimeZone=UTC} and
C{lock_timeout} from C{--busy-timeout}; C{--read-only} sets
C{default_transaction_read_only}, so the server itself refuses writes.

A deadline cancels the statement on the server (a cancel request, sent from
a thread of its own) and the request is rolled back.  A connection the
server closed (a restart, C{pg_terminate_backend}) fails the request that
was using it with C{unavailable} (C{details.applied} C{"unknown"}; C{false}
when no server could be reached, so the request never ran); the pool
replaces it before its next use, and a transaction pinned to it ends.
"""

from __future__ import annotations

import re
import uuid
from contextlib import AbstractContextManager
from typing import Any, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from twisted.enterprise import adbapi
from twisted.logger import Logger

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
from dbdriver.drivers.pool import Losses, ReconnectingPool
from dbdriver.drivers.postgresql.connection import (
    DriverConnection,
    PostgreSQLLiveness,
    cancel,
)
from dbdriver.drivers.postgresql.dialect import PostgreSQLDialect
from dbdriver.drivers.postgresql.operations import PostgreSQLOperations
from dbdriver.drivers.schema.sync import load_applied_schema
from dbdriver.drivers.sql.uri import hide_password, mask_password

__all__ = ["PostgreSQLBackend", "PostgreSQLDriver"]

_MINIMUM_VERSION = 100000  # identity columns, pg_sequence_last_value
_CONNECT_TIMEOUT = 10
_ALIVE = frozenset(
    {TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE}
)
_BUSY = frozenset({"55P03", "40P01", "40001"})  # lock timeout, deadlock, serialization
_SERVER_GONE = frozenset({"57P01", "57P02", "57P03"})  # shutdown, crash, starting
#: could not connect, rejected, no such connection, the server is starting
_NOT_CONNECTED = frozenset({"08001", "08004", "08003", "57P03"})
#: libpq's and psycopg's messages of a request that was never sent
_UNSENT = (
    "connection failed",
    "connection is bad",
    "connection to server",
    "the connection is closed",
)
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def _quoted_name(message: str) -> str | None:
    match = _QUOTED.search(message)
    return match.group(1).replace('""', '"') if match else None


def _lost(error: psycopg.Error) -> bool:
    """
    Whether an error means the session is gone (no SQLSTATE: libpq's own
    "server closed the connection", "the connection is lost", ...).
    """
    state = error.sqlstate or ""
    if state.startswith("08") or state in _SERVER_GONE:
        return True
    return isinstance(error, psycopg.OperationalError) and not state


def _unsent(error: psycopg.Error, primary: str) -> bool:
    """
    Whether a lost-connection error was raised before the request reached
    the server: it could not connect (libpq's "connection failed", a
    refused or starting server) or found its connection already closed.
    """
    if (error.sqlstate or "") in _NOT_CONNECTED:
        return True
    return primary.startswith(_UNSENT)


class PostgreSQLBackend(Backend):
    """
    A PostgreSQL server, through one pool of psycopg connections that
    reads and writes.

    @ivar operations: the table operations on this database.
    """

    log = Logger()

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        super().__init__(config, reactor)
        self.conninfo = config.database
        #: Why the URI cannot be used (told by L{check}), or C{None}.
        self.bad_uri: str | None = None
        try:
            given = conninfo_to_dict(self.conninfo)
        except psycopg.Error as e:
            given = {}
            self.bad_uri = hide_password(str(e), self.conninfo)
        self._connect_options: dict[str, Any] = {}  # psycopg.connect()'s
        if "connect_timeout" not in given:
            self._connect_options["connect_timeout"] = _CONNECT_TIMEOUT
        if "application_name" not in given:
            self._connect_options["application_name"] = "dbdriver"
        self._pool: ReconnectingPool[DriverConnection] | None = None
        self._interrupter: Interrupter[DriverConnection] = Interrupter(cancel)
        self.operations = PostgreSQLOperations(
            PostgreSQLDialect(), config, self.translate_error, self._interrupter
        )

    # -- connections ------------------------------------------------------------

    @property
    def write_concurrency(self) -> int:
        # One write group at a time: two groups in flight could deadlock on
        # rows that their requests, sent one by one, never would (each group
        # holds its row locks until its commit).
        return 1

    def check(self) -> None:
        """
        Before serving: the server answers and is recent enough.
        """
        if self.bad_uri is not None:
            raise ValueError(f"not a PostgreSQL URI: {self.bad_uri}")
        try:
            with psycopg.connect(self.conninfo, **self._connect_options) as connection:
                version = connection.info.server_version
        except psycopg.Error as e:
            raise RuntimeError(f"cannot connect to PostgreSQL: {e}") from None
        if version < _MINIMUM_VERSION:
            raise RuntimeError(
                f"PostgreSQL {version // 10000} is too old: dbdriver needs 10+"
            )

    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        # One pool for both: read hops and the write group share its
        # connections.
        pool: ReconnectingPool[DriverConnection] = ReconnectingPool(
            PostgreSQLLiveness(),
            Losses(),
            "dbdriver.drivers.postgresql.connection",
            self.conninfo,
            cp_min=self.pool_size,
            cp_max=self.pool_size,
            cp_openfun=self._open_connection,
            cp_noisy=False,
            cp_reconnect=False,
            cp_reactor=self.reactor,
            **self._connect_options,
        )
        self._pool = pool
        return pool, pool

    def _open_connection(self, connection: DriverConnection) -> None:
        lock_ms = max(1, int(self.config.busy_timeout * 1000))
        read_only = "on" if self.config.read_only else "off"
        connection.execute(
            "SELECT set_config('TimeZone', 'UTC', false), "
            "set_config('lock_timeout', %s, false), "
            "set_config('default_transaction_read_only', %s, false)",
            [f"{lock_ms}ms", read_only],
        )
        connection.commit()

    def prepare(self, cursor: DBCursor) -> None:
        info = cast(DriverConnection, cursor.connection).info
        version = info.server_version
        if version < _MINIMUM_VERSION:
            raise RuntimeError(
                f"PostgreSQL {version // 10000} is too old: dbdriver needs 10+"
            )
        self.log.info(
            "PostgreSQL {version} at {database}",
            version=info.parameter_status("server_version"),
            database=mask_password(self.conninfo),
        )
        load_applied_schema(self.operations, cursor)

    def begin_pinned(self, cursor: DBCursor) -> None:
        """
        A pinned connection may have waited idle since its last transaction:
        one the server has closed meanwhile, or opened before the pool last
        lost a connection, is replaced before the transaction starts.
        """
        if self._pool is not None:
            self._pool.ensure(cast(adbapi.Transaction, cursor))

    def reusable(self, connection: DBConnection) -> bool:
        # A lost connection "rolls back" without complaint: never keep it.
        return not cast(DriverConnection, connection).closed

    def stream_cursor(self, connection: DBConnection) -> DBCursor:
        # A server-side cursor: rows come a page at a time.
        name = f"dbdriver_{uuid.uuid4().hex}"
        stream: DBCursor = cast(DriverConnection, connection).cursor(name=name)
        return stream

    def transaction_alive(self, connection: DBConnection) -> bool:
        raw = cast(DriverConnection, connection)
        return not raw.closed and raw.info.transaction_status in _ALIVE

    # -- deadlines ----------------------------------------------------------------

    def running(self, connection: DBConnection) -> AbstractContextManager[None]:
        return self._interrupter.running(cast(DriverConnection, connection))

    def interrupt(self, connection: DBConnection) -> None:
        """
        Reactor side: cancel the request running on C{connection} (a cancel
        request, from a thread of its own).
        """
        self._interrupter.interrupt(cast(DriverConnection, connection))

    # -- errors -----------------------------------------------------------------

    def translate_error(self, error: BaseException) -> errors.DriverError | None:
        """
        The protocol error for a psycopg exception, or C{None}.
        """
        if isinstance(error, adbapi.ConnectionLost):
            return errors.Unavailable(
                "the connection to the PostgreSQL server was lost",
                {"applied": "unknown", "connection_lost": True},
            )
        if not isinstance(error, psycopg.Error):
            return None
        state = error.sqlstate or ""
        primary = error.diag.message_primary or str(error).strip()
        detail = error.diag.message_detail
        message = f"{primary}: {detail}" if detail else primary
        if _lost(error):
            unsent = _unsent(error, primary)
            what = (
                "cannot connect to the PostgreSQL server"
                if unsent
                else "the connection to the PostgreSQL server was lost"
            )
            return errors.Unavailable(
                f"{what}: {primary}",
                {
                    "applied": False if unsent else "unknown",
                    "connection_lost": True,
                    "sqlstate": state or None,
                },
            )
        if state.startswith("23") or state == "22001":
            # 22001: longer than a VARCHAR(n), a max_length.
            constraint = error.diag.constraint_name
            return errors.ConstraintViolation(
                message, {"constraint": constraint} if constraint else None
            )
        if state == "42P01":
            return errors.NoSuchTable(message, {"table": _quoted_name(primary)})
        if state == "42703":
            return errors.NoSuchColumn(message, {"column": _quoted_name(primary)})
        if state in _BUSY:
            return errors.Busy(f"{message} (lock timeout {self.config.busy_timeout} s)")
        if state == "25006":
            return errors.ReadOnly(f"{message}: the server is read-only")
        if state == "57014":
            return errors.RequestTimeout(message)
        if not state and isinstance(
            error, (psycopg.ProgrammingError, psycopg.DataError)
        ):
            return errors.InvalidParams(message)  # refused by psycopg before sending
        return errors.SQLError(message, {"sqlstate": state} if state else None)


class PostgreSQLDriver(BaseDatabaseDriver):
    """
    The driver of a PostgreSQL database: the engine composed with a
    L{PostgreSQLBackend}.
    """

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        backend = PostgreSQLBackend(config, reactor)
        super().__init__(config, reactor, backend, backend.operations)
