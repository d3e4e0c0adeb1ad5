"""
L{Backend}: what most databases do for the hooks of
L{dbdriver.drivers.interfaces.DatabaseBackend}; each backend's class
subclasses it and overrides what its database does its own way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, nullcontext

from twisted.enterprise import adbapi

from dbdriver.drivers.interfaces import (
    DBConnection,
    DBCursor,
    DriverReactor,
    DriverSettings,
)

__all__ = ["Backend"]


class Backend(ABC):
    """
    The common defaults of a L{DatabaseBackend}: connections that begin
    their transactions implicitly and recover by rolling back.

    @ivar config: the driver's settings.
    @ivar reactor: the reactor the pools and timers run on.
    """

    def __init__(self, config: DriverSettings, reactor: DriverReactor) -> None:
        self.config = config
        self.reactor = reactor

    @property
    def pool_size(self) -> int:
        return self.config.pool_size or 4

    @property
    def write_concurrency(self) -> int:
        return 1

    @abstractmethod
    def check(self) -> None:
        """
        Before serving: the database can be opened (raises if not).
        """

    @abstractmethod
    def make_pools(self) -> tuple[adbapi.ConnectionPool, adbapi.ConnectionPool]:
        """
        The pools for writes and for reads.
        """

    @abstractmethod
    def prepare(self, cursor: DBCursor) -> None:
        """
        Once after connecting: check and set up the database.
        """

    @abstractmethod
    def interrupt(self, connection: DBConnection) -> None:
        """
        Interrupt the statement running on C{connection} (reactor side).
        """

    def begin_group(self, cursor: DBCursor) -> None:
        """
        A write group's transaction begins with its first statement.
        """
        return None

    def begin_pinned(self, cursor: DBCursor) -> None:
        """
        A pinned connection's transaction begins with its first statement.
        """
        return None

    def begin_snapshot(self, cursor: DBCursor) -> None:
        """
        A cursor's snapshot begins with its statement.
        """
        return None

    def stream_cursor(self, connection: DBConnection) -> DBCursor:
        return connection.cursor()

    def running(self, connection: DBConnection) -> AbstractContextManager[None]:
        """
        Nothing to mark: L{interrupt} reaches the connection's statement
        without it.
        """
        return nullcontext()

    @property
    def lock_wait(self) -> float | None:
        """
        L{interrupt} ends a statement's lock waits too.
        """
        return None

    def limit_lock_wait(self, connection: DBConnection, seconds: float) -> None:
        return None

    def restore_lock_wait(self, connection: DBConnection) -> None:
        return None

    def transaction_alive(self, connection: DBConnection) -> bool:
        return True

    def recover(self, connection: DBConnection) -> None:
        connection.rollback()

    def reusable(self, connection: DBConnection) -> bool:
        return True
