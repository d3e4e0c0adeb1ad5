"""
One reconnecting L{adbapi.ConnectionPool}, for the server backends.

A server can hang up on a connection at any time (a restart, a C{KILL}, an
idle timeout).  L{ReconnectingPool} makes sure no interaction starts on
such a connection: before each one, the thread's connection is reopened
when the server hung up on it while it was idle, or when it is older than
the last loss seen anywhere (a restart ends every connection, and one that
looks open may not have heard yet); at the end of one, a connection lost
during it commits and rolls back nothing (every request of the interaction
has its outcome already), and its loss is recorded.

What "hung up", "lost" and "reopen" mean is the backend's: it injects a
L{LivenessPolicy}, as txpostgres injects its dead-connection detector into
its reconnecting connection.  This module imports nothing else of dbdriver.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Generic, Protocol, TypeVar

from twisted.enterprise import adbapi

__all__ = ["LivenessPolicy", "Losses", "ReconnectingConnection", "ReconnectingPool"]


class _Transactional(Protocol):
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


#: A backend's DB-API connection class.
C = TypeVar("C", bound=_Transactional)
C_contra = TypeVar("C_contra", contravariant=True)


class LivenessPolicy(Protocol[C_contra]):
    """
    How a backend tells a live DB-API connection from a dead one.

    Every method runs on the connection's own thread, between statements.
    """

    def usable(self, connection: C_contra) -> bool:
        """
        Whether an idle connection may still be used: the server has not
        hung up on it (read without a round trip).
        """

    def lost(self, connection: C_contra) -> bool:
        """
        Whether the connection is known to be gone (closed after an error
        that said so).
        """

    def revive(self, connection: C_contra) -> bool:
        """
        Make a suspect connection usable in place (reconnect it), or return
        C{False} for the pool to replace it with a new one.  Failures are
        left for the next statement to report.
        """

    def discard(self, connection: C_contra) -> None:
        """
        Drop a connection whose rollback failed, without raising: the next
        interaction finds it unusable and reopens it.
        """


class Losses:
    """
    The generation of connection losses, shared by the pools of a driver
    (and, where a backend notices losses itself, by its connections): a
    connection opened before the last loss is suspect.

    @ivar generation: goes up when a connection is found lost; by one per
        outage, not per connection (a restart loses them all).
    """

    def __init__(self) -> None:
        self.generation = 0
        self._born: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def stale(self, connection: object) -> bool:
        """
        Whether C{connection} was last checked before the last loss (one
        never seen counts as checked now).
        """
        with self._lock:
            born = self._born.setdefault(connection, self.generation)
            return born < self.generation

    def checked(self, connection: object) -> None:
        """
        C{connection} is known good as of now.
        """
        with self._lock:
            self._born[connection] = self.generation

    def lost(self, connection: C_contra) -> None:
        """
        C{connection} was found lost: every connection checked before it
        was is suspect.
        """
        with self._lock:
            born = self._born.get(connection, self.generation)
            self.generation = max(self.generation, born + 1)


class ReconnectingPool(adbapi.ConnectionPool, Generic[C]):
    """
    An L{adbapi.ConnectionPool} whose interactions never start on a
    connection the server hung up on.

    @ivar policy: the backend's L{LivenessPolicy}.
    @ivar losses: the L{Losses} it shares with the driver's other pools.
    """

    def __init__(
        self, policy: LivenessPolicy[C], losses: Losses, /, *args: Any, **kwargs: Any
    ) -> None:
        self.policy = policy
        self.losses = losses
        super().__init__(*args, **kwargs)

    def suspect(self, connection: C) -> bool:
        """
        Whether C{connection} must be revived or replaced before use.
        """
        stale = self.losses.stale(connection)
        return stale or not self.policy.usable(connection)

    def ensure(self, transaction: adbapi.Transaction) -> C:
        """
        Thread side, before a transaction on a connection that may have
        waited idle (a pinned one): revive or replace it if it is suspect.

        @return: the DB-API connection the transaction now runs on.
        """
        connection: C = transaction.connection
        if self.suspect(connection):
            if not self.policy.revive(connection):
                transaction.reconnect()
                transaction.reopen()
                connection = transaction.connection
            self.losses.checked(connection)
        return connection

    def note(self, connection: C) -> bool:
        """
        Whether C{connection} is lost (recording the loss if so).
        """
        if not self.policy.lost(connection):
            return False
        self.losses.lost(connection)
        return True


class ReconnectingConnection(adbapi.Connection, Generic[C]):
    """
    The connection of one interaction of a L{ReconnectingPool}: revived or
    replaced at checkout when suspect; its final commit or rollback skipped
    when it was lost during the interaction.
    """

    _pool: ReconnectingPool[C]

    @property
    def raw(self) -> C:
        """
        The DB-API connection.
        """
        connection: C | None = self._connection
        assert connection is not None
        return connection

    def reconnect(self) -> None:
        super().reconnect()
        pool = self._pool
        if pool.suspect(self.raw):
            if not pool.policy.revive(self.raw):
                super().reconnect()
            pool.losses.checked(self.raw)

    def commit(self) -> None:
        if not self._pool.note(self.raw):
            self.raw.commit()

    def rollback(self) -> None:
        if self._pool.note(self.raw):
            return
        try:
            self.raw.rollback()
        except Exception:
            self._pool.policy.discard(self.raw)


ReconnectingPool.connectionFactory = ReconnectingConnection
