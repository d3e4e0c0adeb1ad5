"""
The contracts the drivers are written against, in a module that imports
nothing else of C{dbdriver}: the settings a driver reads, and the DB-API
cursor and connection it runs statements on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["DBConnection", "DBCursor", "DriverSettings"]


class DriverSettings(Protocol):
    """
    The settings of PROTOCOL.md section 8 that a driver reads (the server's
    C{Config} provides them).
    """

    @property
    def database(self) -> str:
        """The C{--database} value: a SQLite path or a server URI."""

    @property
    def pool_size(self) -> int | None:
        """Connections of the pool; C{None} picks the backend's default."""

    @property
    def busy_timeout(self) -> float:
        """Seconds a statement waits for a lock before C{busy}."""

    @property
    def max_transactions(self) -> int:
        """Open transactions (and cursors) allowed."""

    @property
    def max_message_size(self) -> int:
        """The largest response frame."""

    @property
    def max_rows(self) -> int:
        """The most rows a C{select} or C{execute} answers (0: no limit)."""

    @property
    def read_only(self) -> bool:
        """Whether every write is refused."""

    @property
    def synchronous(self) -> str:
        """SQLite's C{synchronous}: C{"normal"} or C{"full"}."""


class DBConnection(Protocol):
    """
    A DB-API connection (or adbapi's wrapper of one).
    """

    def cursor(self) -> Any:
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
        """The DB-API connection the cursor runs on."""

    @property
    def description(self) -> Sequence[Sequence[Any]] | None:
        """The result's columns, or C{None} for a statement without rows."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement wrote (or read), -1 if unknown."""

    @property
    def lastrowid(self) -> Any:
        """The id the last insert generated, where the backend tells."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any:
        """Run one statement."""

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Any:
        """Run one statement for each parameter row."""

    def fetchone(self) -> Any:
        """The next row, or C{None}."""

    def fetchmany(self, size: int = ..., /) -> Sequence[Any]:
        """Up to C{size} more rows."""

    def fetchall(self) -> Sequence[Any]:
        """Every remaining row."""

    def close(self) -> None:
        """Release the cursor."""
