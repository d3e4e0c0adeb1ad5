"""
Connections to a MySQL or MariaDB server, for the MySQL backend.

This module is the DB-API module that L{adbapi.ConnectionPool} loads (its
C{connect} makes a L{Connection}): PyMySQL connections that set up their
session each time they (re)connect; L{MySQLLiveness}, the reconnecting
pool's policy for them; and L{kill_query}, the cancel of a running
statement (C{KILL QUERY} from a separate connection).  It also parses
C{--database} URIs.
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import Iterator
from typing import Any

import pymysql
import pymysql.connections
from twisted.logger import Logger

from dbdriver.drivers.pool import Losses
from dbdriver.drivers.sql.uri import parse_database

__all__ = [
    "LOST",
    "Connection",
    "MySQLLiveness",
    "connect",
    "errno_of",
    "kill_query",
    "parse_uri",
]

log = Logger()

# DB-API module attributes, for adbapi.
apilevel = "2.0"
threadsafety = 1
paramstyle = "format"
Error = pymysql.Error

#: Error numbers that mean the connection (and its transaction) is gone:
#: server gone away, lost during a query, lost at reading, connection
#: killed, server shutting down, idle disconnect.
LOST = frozenset({2006, 2013, 2055, 1927, 1053, 4031})

_QUERY_KEYS = {
    "unix_socket": str,
    "connect_timeout": float,
    "ssl_ca": str,
    "ssl_cert": str,
    "ssl_key": str,
    "ssl_verify_cert": bool,
    "ssl_disabled": bool,
}


def parse_uri(database: str) -> dict[str, Any]:
    """
    PyMySQL connection arguments for C{mysql://user:pass@host:port/db}
    (or C{mariadb://...}); query parameters C{unix_socket}, C{connect_timeout}
    and the C{ssl_*} options are passed on.

    @raise ValueError: the URI is malformed or names no database.
    """
    if not database.startswith(("mysql://", "mariadb://")):
        raise ValueError("a MySQL database URI starts with mysql:// or mariadb://")
    uri = parse_database(database)
    if not uri.database or "/" in uri.database:
        raise ValueError(
            "the URI must name one database: mysql://user:password@host:port/database"
        )
    params: dict[str, Any] = {
        "host": uri.host or "localhost",
        "port": uri.port or 3306,
        "database": uri.database,
        "connect_timeout": 10,
    }
    if uri.user is not None:
        params["user"] = uri.user
    if uri.password is not None:
        params["password"] = uri.password
    for key, value in dict(uri.query).items():
        kind = _QUERY_KEYS.get(key)
        if kind is None:
            raise ValueError(
                f"unknown URI parameter {key!r}; "
                f"known: {', '.join(sorted(_QUERY_KEYS))}"
            )
        if kind is bool:
            params[key] = value.lower() in ("1", "true", "yes", "on")
        elif kind is float:
            try:
                params[key] = float(value)
            except ValueError:
                raise ValueError(f"URI parameter {key} must be a number") from None
        else:
            params[key] = value
    return params


def errno_of(error: BaseException) -> int | None:
    """
    The server's (or the client library's) error number of a PyMySQL error.
    """
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


class Connection(pymysql.connections.Connection):  # type: ignore[misc]
    """
    A PyMySQL connection that runs C{setup} statements after every
    (re)connect, and closes itself (recording the loss in its L{Losses})
    when an error says the server is gone.

    @ivar pinned: it holds an open transaction for many requests.
    @ivar transaction_lost: the server ended its transaction (deadlock,
        lost connection) since it began.
    @ivar in_batch: it runs a C{transaction} request's operations.
    @ivar column_types: C{(connection, table, load)} to the portable column
        types of a table of its database (C{load}: it may ask the catalog on
        this connection), or C{None}; for the decoding cursors.
    """

    pinned = in_batch = transaction_lost = False

    def __init__(
        self,
        *args: Any,
        setup: tuple[str, ...] = (),
        column_types: Any = None,
        losses: Losses | None = None,
        **kwargs: Any,
    ) -> None:
        self._setup = setup
        self._losses = losses
        self.column_types = column_types
        super().__init__(*args, **kwargs)

    def connect(self, sock: Any = None) -> None:
        super().connect(sock)
        cursor = self.cursor()
        try:
            for statement in self._setup:
                cursor.execute(statement)
        finally:
            cursor.close()

    def query(self, sql: Any, unbuffered: bool = False) -> int:
        with self._watching():
            return int(super().query(sql, unbuffered))

    def commit(self) -> None:
        with self._watching():
            super().commit()

    def rollback(self) -> None:
        with self._watching():
            super().rollback()

    @contextlib.contextmanager
    def _watching(self) -> Iterator[None]:
        """
        Around a round trip: L{_check} the error it raises, if any.
        """
        try:
            yield
        except pymysql.Error as e:
            self._check(e)
            raise

    def _check(self, error: pymysql.Error) -> None:
        """
        After an error: if it says the connection is gone, close it (the
        server may not have yet), and tell the others to check theirs.
        """
        if isinstance(error, pymysql.InterfaceError) or errno_of(error) in LOST:
            self.close_quietly()
            self.transaction_lost = True
            if self._losses is not None:
                self._losses.lost(self)

    # -- health -----------------------------------------------------------------

    def close_quietly(self) -> None:
        """
        Drop the socket (the server ends the session and its transaction).
        """
        with contextlib.suppress(Exception):
            self._force_close()

    def hung_up(self) -> bool:
        """
        Whether an idle connection has something to read: the server closed
        it (a restart, C{KILL}) or sent an error before closing.  One poll,
        no round trip.
        """
        sock = self._sock
        if sock is None:
            return True
        try:
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    def revive(self) -> None:
        """
        Make sure the connection is alive, reconnecting if it is not; only
        between transactions.  Failures are left for the next statement to
        report (a closed connection raises on use).
        """
        try:
            if not self.open:
                raise pymysql.err.InterfaceError(0, "closed")
            self.ping(False)
        except Exception:
            self.close_quietly()
            with contextlib.suppress(Exception):
                self.connect()
        if self.open:
            self.transaction_lost = False


def connect(*args: Any, **kwargs: Any) -> Connection:
    """
    The DB-API entry point adbapi calls.
    """
    return Connection(*args, **kwargs)


class MySQLLiveness:
    """
    The L{LivenessPolicy} of L{Connection}s: a suspect one is pinged, and
    reconnected in place if it does not answer.
    """

    def usable(self, connection: Connection) -> bool:
        return not connection.hung_up()

    def lost(self, connection: Connection) -> bool:
        return not connection.open

    def revive(self, connection: Connection) -> bool:
        connection.revive()
        return True

    def discard(self, connection: Connection) -> None:
        connection.close_quietly()


def kill_query(params: dict[str, Any], connection: Connection) -> bool:
    """
    Thread side: C{KILL QUERY} for what runs on C{connection}, from a
    short-lived connection of its own (the L{Interrupter}'s cancel, with
    C{params} bound); C{False} if it could not be sent.
    """
    thread_id = connection.server_thread_id and connection.thread_id()
    if not connection.open or not thread_id:
        return False
    try:
        killer = pymysql.connect(**{**params, "connect_timeout": 5})
        try:
            killer.query(f"KILL QUERY {int(thread_id)}")
        finally:
            killer.close()
    except pymysql.Error as e:
        log.warn(
            "could not interrupt MySQL connection {thread_id}: {error}",
            thread_id=thread_id,
            error=e,
        )
        return False
    return True
