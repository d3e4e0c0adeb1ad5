"""
PostgreSQL connections for L{adbapi.ConnectionPool}, through psycopg 3.

This module is the "DB-API module" the pool is given (C{connect},
C{apilevel}, ...): its L{connect} opens a L{DriverConnection} whose values
come back as they do on the wire (timestamps as ISO 8601 text, numerics as
int or float) and whose C{rollback} is harmless on a lost connection;
L{cancel}, which the driver's L{Interrupter} sends; L{PostgreSQLLiveness},
which tells the reconnecting pool when the server has closed one.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from psycopg.adapt import AdaptersMap, Loader
from psycopg.types.datetime import TimestampLoader, TimestamptzLoader
from psycopg.types.string import TextLoader

__all__ = [
    "DriverConnection",
    "PostgreSQLLiveness",
    "apilevel",
    "cancel",
    "connect",
    "paramstyle",
    "threadsafety",
]

apilevel = "2.0"
threadsafety = 2
paramstyle = "format"


class _ISOTimestamptzLoader(TimestamptzLoader):
    """
    C{timestamptz} as ISO 8601 text with its offset (the wire's form).
    """

    def load(self, data: Any) -> Any:
        try:
            return super().load(data).isoformat()
        except psycopg.DataError:  # beyond Python's years, or infinity
            return bytes(data).decode()


class _ISOTimestampLoader(TimestampLoader):
    """
    C{timestamp} (without time zone) as ISO 8601 text.
    """

    def load(self, data: Any) -> Any:
        try:
            return super().load(data).isoformat()
        except psycopg.DataError:
            return bytes(data).decode()


class _NumberLoader(Loader):
    """
    C{numeric} as an int when it is whole, else a float: the wire has no
    decimal type, and SQLite's aggregates answer the same way.
    """

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if "." in text or not text.lstrip("-").isdigit():
            return float(text)  # also NaN and the infinities
        return int(text)


def _adapters() -> AdaptersMap:
    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_loader("timestamptz", _ISOTimestamptzLoader)
    adapters.register_loader("timestamp", _ISOTimestampLoader)
    adapters.register_loader("numeric", _NumberLoader)
    # Types a CBOR encoder does not take as they are: their text.
    for name in ("date", "time", "timetz", "interval", "uuid", "inet", "cidr"):
        adapters.register_loader(name, TextLoader)
    return adapters


_ADAPTERS = _adapters()


class DriverConnection(psycopg.Connection[Any]):
    """
    A psycopg connection as the driver uses it.

    """

    def rollback(self) -> None:
        """
        Roll back; nothing to do on a connection the server has closed (the
        server rolled back), so the batch code can always call this.
        """
        if self.closed:
            return
        super().rollback()


def connect(conninfo: str, **kwargs: Any) -> DriverConnection:
    """
    Open a L{DriverConnection} (the pool's C{dbapi.connect}).
    """
    connection = DriverConnection.connect(
        conninfo, context=_ADAPTERS, prepare_threshold=None, **kwargs
    )
    return connection


def cancel(connection: DriverConnection) -> bool:
    """
    Thread side: send a cancel request for what runs on C{connection} (the
    L{Interrupter}'s cancel); C{False} if it could not be sent.
    """
    try:
        connection.cancel()
    except psycopg.Error:
        return False
    return True


class PostgreSQLLiveness:
    """
    The L{LivenessPolicy} of PostgreSQL connections: a connection the server
    ended is replaced, never reconnected in place.
    """

    def usable(self, connection: DriverConnection) -> bool:
        """
        Whether an idle connection is still open: a server that ended the
        session (restart, C{pg_terminate_backend}) has sent its goodbye and
        closed the socket, which this reads without a round trip.
        """
        if connection.closed:
            return False
        try:
            for _ in range(8):
                readable, _w, _x = select.select([connection.fileno()], [], [], 0)
                if not readable:
                    break
                connection.pgconn.consume_input()
        except (OSError, ValueError, psycopg.Error):
            return False
        return not connection.closed

    def lost(self, connection: DriverConnection) -> bool:
        return connection.closed

    def revive(self, connection: DriverConnection) -> bool:
        return False

    def discard(self, connection: DriverConnection) -> None:
        connection.close()
