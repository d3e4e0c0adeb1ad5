"""
The contracts the drivers are written against, in a module that imports
nothing else of C{dbdriver}: the settings a driver reads, the reactor it
schedules on, the DB-API cursor and connection it runs statements on, and
L{DatabaseBackend}, what one database supplies to the backend-neutral
engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import attrs
from twisted.enterprise import adbapi
from twisted.internet.interfaces import IDelayedCall

__all__ = [
    "DBConnection",
    "DBCursor",
    "DatabaseBackend",
    "DriverReactor",
    "DriverSettings",
    "ThreadCalls",
]


@attrs.frozen
class DriverSettings:
    """
    The settings of PROTOCOL.md section 8 that a driver reads, with their
    documented defaults (the server's C{Config} is one, with the server's
    settings added).

    @ivar database: the C{--database} value: a SQLite path or a server URI.
    @ivar pool_size: connections of the pool; C{None} picks the backend's
        default.
    @ivar busy_timeout: seconds a statement waits for a lock before C{busy}.
    @ivar max_transactions: open transactions (and cursors) allowed.
    @ivar max_rows: the most rows a C{select} or C{execute} answers (0: no
        limit).
    @ivar read_only: whether every write is refused.
    @ivar synchronous: SQLite's C{synchronous}: C{"normal"} or C{"full"}.
    @ivar max_message_size: the largest response frame (no default here:
        the wire's limit is the server's to pick).
    @ivar allow_session_sql: whether raw SQL may change session state for
        later requests (C{PRAGMA} writes, C{SET}, C{ATTACH}, ...).
    @ivar write_lock_idle_timeout: seconds a SQLite transaction may hold the
        write lock while idle before it is rolled back.
    @ivar no_create: whether a missing SQLite file is an error at start
        (instead of a new, empty database).
    @ivar backup_root: the directory every C{sync_schema} C{backup_dir}
        must resolve inside (C{None}: C{backups} beside the SQLite file, or
        C{./backups} for server databases).
    """

    database: str = "dbdriver.sqlite3"
    pool_size: int | None = None
    busy_timeout: float = 5.0
    max_transactions: int = 64
    max_rows: int = 1000000
    read_only: bool = False
    synchronous: str = "normal"
    max_message_size: int = attrs.field(kw_only=True)
    allow_session_sql: bool = attrs.field(kw_only=True, default=False)
    write_lock_idle_timeout: float = attrs.field(kw_only=True, default=5.0)
    no_create: bool = attrs.field(kw_only=True, default=False)
    backup_root: str | None = attrs.field(kw_only=True, default=None)


class ThreadCalls(Protocol):
    """
    What a database thread needs of the reactor: handing a call back to it
    (L{twisted.internet.interfaces.IReactorFromThreads}).
    """

    def callFromThread(
        self, callable: Callable[..., object], *args: object, **kwargs: object
    ) -> None:
        """Run C{callable} on the reactor thread."""


class DriverReactor(ThreadCalls, Protocol):
    """
    The reactor as a driver uses it: L{IReactorTime}'s clock and timers,
    L{IReactorThreads}' thread pool and the calls back from threads.
    """

    def seconds(self) -> float:
        """The current time, in seconds."""

    def callLater(
        self,
        delay: float,
        callable: Callable[..., object],
        *args: object,
        **kwargs: object,
    ) -> IDelayedCall:
        """Run C{callable} on the reactor thread in C{delay} seconds."""

    def callInThread(
        self, callable: Callable[..., object], *args: object, **kwargs: object
    ) -> None:
        """Run C{callable} on a thread of the reactor's thread pool."""


class DBConnection(Protocol):
    """
    A DB-API connection (or adbapi's wrapper of one).
    """

    def cursor(self) -> DBCursor:
        """A new cursor."""

    def commit(self) -> None:
        """Commit the open transaction."""

    def rollback(self) -> None:
        """Roll back the open transaction."""


class DBCursor(Protocol):
    """
    A DB-API cursor, as adbapi's L{Transaction} hands it to interactions.
    """

    @property
    def connection(self) -> Any:
        """
        The DB-API connection the cursor runs on (a backend names its own
        connection class where it reads it).
        """

    @property
    def description(self) -> Sequence[Sequence[Any]] | None:
        """The result's columns, or C{None} for a statement without rows."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement wrote (or read), -1 if unknown."""

    def execute(self, sql: str, params: Sequence[object] = ..., /) -> object:
        """Run one statement."""

    def executemany(self, sql: str, params: Sequence[Sequence[object]], /) -> object:
        """Run one statement for each parameter row."""

    def fetchone(self) -> Any:
        """The next row, or C{None}."""

    def fetchmany(self, size: int = ..., /) -> list[Any]:
        """Up to C{size} more rows."""

    def fetchall(self) -> list[Any]:
        """Every remaining row."""

    def close(self) -> None:
        """Release the cursor."""


class DatabaseBackend(Protocol):
    """
    What one database supplies to the engine (C{dbdriver.drivers.engine}):
    its pools and how to set them up, the transaction hooks of write
    groups, pinned connections and cursors, how to interrupt a statement
    and how to recover a connection after a failure.  (Its SQL, catalog
    queries, error translation and schema backend come with its table
    operations, handed to the driver alongside it.)

    Thread-side hooks take adbapi's cursor (a L{DBCursor}) or the DB-API
    connection under it; a backend may rely on its own connection class.
    """

    @property
    def pool_size(self) -> int:
        """Threads (and connections) that run reads."""

    @property
    def write_concurrency(self) -> int:
        """Write groups that may run at once."""

    def check(self) -> None:
        """
        Before serving, on the reactor thread: the database can be opened
        (raises, with a message for the operator, if not).
        """

    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        """The pools for writes and for reads (may be the same pool)."""

    def prepare(self, cursor: DBCursor) -> None:
        """Once on the pool after connecting: check and set up the database."""

    def begin_group(self, cursor: DBCursor) -> None:
        """
        Start the transaction of a write group (backends whose connections
        autocommit start one explicitly).
        """

    def begin_pinned(self, cursor: DBCursor) -> None:
        """Start the transaction of a pinned connection."""

    def begin_snapshot(self, cursor: DBCursor) -> None:
        """Start the read transaction of a cursor with its own connection."""

    def stream_cursor(self, connection: DBConnection) -> DBCursor:
        """
        A DB-API cursor that reads rows as they are fetched (not all at
        execute time).
        """

    def interrupt(self, connection: DBConnection) -> None:
        """
        Interrupt the statement running on a DB-API connection (called from
        the reactor thread, which it must not block).
        """

    def running(self, connection: DBConnection) -> AbstractContextManager[None]:
        """
        Thread side: around a read that runs on a DB-API connection outside
        the table operations' C{perform} (a cursor's page), the mark that
        lets L{interrupt} reach it.
        """

    @property
    def lock_wait(self) -> float | None:
        """
        Seconds a statement may wait for a lock that L{interrupt} cannot
        end (SQLite's busy handler), or C{None}: it ends every wait.
        """

    def limit_lock_wait(self, connection: DBConnection, seconds: float) -> None:
        """
        Thread side: a request's deadline is nearer than L{lock_wait}: its
        statements on C{connection} wait C{seconds} at most.
        """

    def restore_lock_wait(self, connection: DBConnection) -> None:
        """Thread side: undo L{limit_lock_wait}."""

    def transaction_alive(self, connection: DBConnection) -> bool:
        """Whether the transaction open on a connection is still open."""

    def recover(self, connection: DBConnection) -> None:
        """
        After a failure: roll back, and make the connection usable for the
        next request (a backend may reopen a lost connection here).
        """

    def reusable(self, connection: DBConnection) -> bool:
        """
        Whether a pinned connection whose transaction ended cleanly may be
        kept for the next one.
        """
