"""
A pinned connection: one thread that owns one database connection for the
life of one transaction, so that requests arriving over many round trips
all run on it, in order.

adbapi's pool cannot do this (any of its threads may run the next
interaction); this is the one-thread worker that twext's adbapi2 uses for
the same purpose, built on adbapi's own L{Connection} and L{Transaction}.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from dbdriver.drivers.interfaces import ThreadCalls

__all__ = ["PinnedConnection"]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
#: A call waiting for the thread: its Deferred, the function, its arguments.
_Call = tuple["Deferred[Any]", Callable[..., object], tuple[object, ...]]


def _STOP(connection: adbapi.Connection) -> None:
    """
    The call that ends the thread (never called).
    """


class PinnedConnection:
    """
    Runs functions on one dedicated thread with one connection of C{pool}.

    @ivar connection: the thread's connection, opened on first use.
    @ivar closed: whether L{close} was called.
    @ivar thread: the dedicated thread, named C{name}; it ends once L{close}
        has closed the connection.
    """

    def __init__(
        self, pool: adbapi.ConnectionPool, reactor: ThreadCalls, name: str
    ) -> None:
        self._pool = pool
        self._reactor = reactor
        self._jobs: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self.connection: adbapi.Connection | None = None
        self.closed = False
        self._ended = False
        self._waiting: list[Deferred[None]] = []
        self.thread = threading.Thread(target=self._work, name=name, daemon=True)
        self.thread.start()

    def call(
        self,
        fn: Callable[[adbapi.Connection, *_Ts], _T],
        *args: *_Ts,
    ) -> Deferred[_T]:
        """
        Run C{fn(connection, *args)} on the pinned thread; the connection is
        opened on first use.
        """
        d: Deferred[_T] = Deferred()
        self._jobs.put((d, fn, args))
        return d

    def close(self) -> Deferred[None]:
        """
        Close the connection (without committing) and end the thread.
        """
        d: Deferred[None] = Deferred()
        if self.closed:
            # Closing already: fire once the thread has ended, as the first
            # caller's does (pool.close must not race the disconnect).
            if self._ended:
                d.callback(None)
            else:
                self._waiting.append(d)
            return d
        self.closed = True
        stop: Deferred[None] = Deferred()
        self._jobs.put((stop, _STOP, ()))
        # The thread has nothing left to do but return: wait for it.
        stop.addCallback(lambda _: self.thread.join()).addCallback(self._end)
        stop.chainDeferred(d)
        return d

    def _end(self, _: object) -> None:
        self._ended = True
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(None)

    def _work(self) -> None:
        while True:
            d, fn, args = self._jobs.get()
            if fn is _STOP:
                self._disconnect()
                self._reactor.callFromThread(d.callback, None)
                return
            try:
                if self.connection is None:
                    self.connection = adbapi.Connection(self._pool)
                result = fn(self.connection, *args)
            except BaseException:
                self._reactor.callFromThread(d.errback, Failure())
            else:
                self._reactor.callFromThread(d.callback, result)

    def _disconnect(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            connection.rollback()
        # connect() hands this thread its own connection again; disconnect()
        # must run on the thread that opened it.
        self._pool.disconnect(self._pool.connect())
