"""
Open transactions and cursors on the server side (PROTOCOL.md sections 4
and 6): who owns each, its lane of waiting requests, its idle timer, and
why it ended (so a late request learns why its id is unknown).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from dbdriver.exceptions import DriverError, UnknownTransaction
from dbdriver.requests.inputs import clipped, quoted
from dbdriver.server.interfaces import IConnection, Work
from dbdriver.server.request_queue import QueueEntry, RequestQueue

if TYPE_CHECKING:
    from twisted.internet.interfaces import IDelayedCall, IReactorTime

    from dbdriver.drivers.base import BaseDatabaseDriver

__all__ = ["CURSOR", "TRANSACTION", "Session", "Sessions"]

TRANSACTION, CURSOR = "transaction", "cursor"
_REMEMBERED = 10000


@attrs.define(eq=False)
class Session:
    """
    An open transaction or cursor.

    @ivar parent: the transaction a cursor was opened in.
    @ivar active: its requests queued or running (it is idle at zero).
    @ivar idle_since: when C{active} last fell to zero (reactor seconds).
    @ivar idle: the idle timer: it checks C{idle_since} when it fires and
        is only re-armed then (no timer is moved per request).
    """

    id: str
    kind: str
    owner: IConnection
    parent: str | None = None
    active: int = 0
    idle_since: float = 0.0
    idle: IDelayedCall | None = None


@attrs.define(eq=False)
class Sessions:
    """
    The open sessions of one server.

    @ivar answer: answers a queued entry (the server's C{answer}).
    """

    log = Logger()

    reactor: IReactorTime
    queue: RequestQueue[Work]
    driver: BaseDatabaseDriver
    idle_timeout: float
    answer: Callable[[QueueEntry[Work], object], None]
    _open: dict[str, Session] = attrs.field(init=False, factory=dict)
    _ended: OrderedDict[str, str] = attrs.field(init=False, factory=OrderedDict)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._open

    def count(self, kind: str) -> int:
        return sum(1 for s in self._open.values() if s.kind == kind)

    def owned_by(self, owner: IConnection) -> list[str]:
        return [i for i, s in self._open.items() if s.owner is owner]

    def lookup(self, session_id: str, owner: IConnection, kind: str) -> Session:
        """
        The open session C{session_id} of C{kind} owned by C{owner}; anything
        else is L{UnknownTransaction} (saying why, if it ended).
        """
        session = self._open.get(session_id)
        if session is None or session.owner is not owner or session.kind != kind:
            reason = self._ended.get(session_id) if session is None else None
            raise UnknownTransaction(
                f"unknown {kind} {quoted(session_id)}"
                + (f": it ended because {reason}" if reason else ""),
                {f"{kind}_id": clipped(session_id)},
            )
        return session

    def begun(
        self,
        session_id: str,
        owner: IConnection,
        kind: str,
        parent: str | None = None,
    ) -> None:
        self._open[session_id] = Session(session_id, kind, owner, parent)
        self.queue.open_lane(session_id)
        self._arm(self._open[session_id])

    def enter(self, session_id: str) -> None:
        """
        A request for the session was queued: it is not idle.
        """
        self._open[session_id].active += 1

    def leave(self, session_id: str) -> None:
        """
        A request of the session was answered.
        """
        session = self._open.get(session_id)
        if session is not None:
            session.active -= 1
            self._arm(session)

    def _arm(self, session: Session) -> None:
        if session.active:
            return
        reactor = self.reactor
        session.idle_since = reactor.seconds()
        timeout = self._timeout(session)
        if session.idle is None or not session.idle.active():
            session.idle = reactor.callLater(timeout, self._idle_check, session)
        elif session.idle.getTime() > session.idle_since + timeout:
            session.idle.reset(timeout)  # it took the write lock meanwhile

    def _timeout(self, session: Session) -> float:
        """
        How long the session may stay idle: shorter for a transaction that
        holds SQLite's write lock (C{--write-lock-idle-timeout}).
        """
        lock_timeout = self.driver.write_lock_idle_timeout
        if (
            lock_timeout is None
            or session.kind != TRANSACTION
            or lock_timeout >= self.idle_timeout
            or not self.driver.holds_write_lock(session.id)
        ):
            return self.idle_timeout
        return lock_timeout

    def _idle_check(self, session: Session) -> None:
        """
        The idle timer fired: end the session if it has been idle for the
        whole timeout, else wait for the rest of it.
        """
        if self._open.get(session.id) is not session:
            return
        timeout = self._timeout(session)
        if session.active:
            session.idle = None  # re-armed when its last request is answered
            return
        reactor = self.reactor
        rest = session.idle_since + timeout - reactor.seconds()
        if rest > 0:
            session.idle = reactor.callLater(rest, self._idle_check, session)
            return
        if timeout < self.idle_timeout:
            reason = (
                f"it held the write lock idle longer than {timeout} s "
                "(--write-lock-idle-timeout)"
            )
        else:
            reason = f"it was idle longer than {timeout} s"
        self.end(session.id, reason)

    def end(self, session_id: str, reason: str | None) -> Deferred[Any]:
        """
        Forget a session and the cursors opened in it; with a C{reason}, it
        is rolled back (or closed) and its waiting requests are answered
        C{unknown_transaction}.
        """
        session = self._open.get(session_id)
        if session is None:
            return succeed(None)
        for child in [s.id for s in self._open.values() if s.parent == session_id]:
            self._forget(child, reason or f"its {session.kind} ended")
        self._forget(session_id, reason)
        if reason is None:
            return succeed(None)
        self.log.info(
            "{kind} {id} ended: {reason}",
            kind=session.kind,
            id=session_id,
            reason=reason,
        )
        driver = self.driver
        if session.kind == TRANSACTION:
            d = driver.rollback_transaction(session_id)
        else:
            d = driver.close_cursor(session_id)
        return d.addErrback(lambda f: f.trap(DriverError))

    def _forget(self, session_id: str, reason: str | None) -> None:
        session = self._open.pop(session_id, None)
        if session is not None and session.idle is not None and session.idle.active():
            session.idle.cancel()
        for entry in self.queue.close_lane(session_id):
            self.answer(
                entry, Failure(UnknownTransaction(f"it ended: {reason or 'closed'}"))
            )
        if reason is not None:
            self._ended[session_id] = reason
            while len(self._ended) > _REMEMBERED:
                self._ended.popitem(last=False)

    def end_all(self, reason: str) -> list[Deferred[Any]]:
        return [self.end(i, reason) for i in list(self._open)]
