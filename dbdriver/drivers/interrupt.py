"""
One way to interrupt the statement running on a connection, from the
reactor thread, without ever reaching the request after it.

The database thread marks each request while it runs on its connection
(L{Interrupter.running}); a deadline, on the reactor thread, calls
L{Interrupter.interrupt}, which starts a thread of its own that sends the
backend's cancel (PostgreSQL's cancel request, MySQL's C{KILL QUERY} from
another connection: both are connections to the server, which the reactor
must not wait for) as long as that same request is the one marked.  A
cancel is sent under the connection's lock, and the request's end takes
that lock before it clears its mark: a cancel in flight delays the end of
its own request, never lands on the next one.  It is sent again until the
request ends, for one that lands between two of its statements is lost.

This module imports nothing else of dbdriver.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["Interrupter"]

C = TypeVar("C")

#: How often, and how far apart, a cancel is sent until the request ends.
TRIES, AGAIN = 40, 0.25


class _Mark:
    """
    One connection's running request, and the lock a cancel holds.
    """

    __slots__ = ("lock", "running")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: threading.Event | None = None


class Interrupter(Generic[C]):
    """
    Interrupts requests running on DB-API connections of type C{C}.

    @ivar cancel: thread side, the backend's cancel of the statement running
        on a connection; C{False} when it could not be sent (no more tries).
    """

    def __init__(
        self,
        cancel: Callable[[C], bool],
        *,
        tries: int = TRIES,
        again: float = AGAIN,
        name: str = "dbdriver-cancel",
    ) -> None:
        self.cancel = cancel
        self._tries, self._again, self._name = tries, again, name
        self._marks: weakref.WeakKeyDictionary[C, _Mark] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _mark(self, connection: C) -> _Mark:
        with self._lock:
            mark = self._marks.get(connection)
            if mark is None:
                mark = self._marks[connection] = _Mark()
            return mark

    @contextmanager
    def running(self, connection: C) -> Iterator[None]:
        """
        Thread side: around one request on C{connection}, the one a deadline
        may interrupt (the outermost only: a C{transaction} request runs its
        operations inside).
        """
        mark = self._mark(connection)
        if mark.running is not None:
            yield
            return
        running = mark.running = threading.Event()
        try:
            yield
        finally:
            with mark.lock:
                mark.running = None
            running.set()

    def interrupt(self, connection: C) -> None:
        """
        Reactor side: cancel the request running on C{connection}, if one
        is (a deadline that passes between two requests is noticed when the
        request's statement ends).
        """
        with self._lock:
            mark = self._marks.get(connection)
        running = None if mark is None else mark.running
        if mark is None or running is None:
            return
        threading.Thread(
            target=self._cancel,
            args=(connection, mark, running),
            name=self._name,
            daemon=True,
        ).start()

    def _cancel(self, connection: C, mark: _Mark, running: threading.Event) -> None:
        """
        Thread side: cancel as long as C{running} is the request marked.
        """
        for _ in range(self._tries):
            with mark.lock:
                if mark.running is not running or not self.cancel(connection):
                    return
            if running.wait(self._again):
                return
