"""
What a request may do to a SQLite connection, enforced by SQLite itself: an
authorizer installed on every connection of the driver (PROTOCOL.md section
9).

Whatever the SQL, no request may change the connection's state for later
requests (C{PRAGMA} writes, C{ATTACH}/C{DETACH} — and so C{VACUUM INTO} —,
temporary tables, views and triggers) unless the server runs
C{--allow-session-sql}: those answer C{forbidden}.  Under C{--read-only},
nothing writes a file or a temporary table, whatever
C{--allow-session-sql} says: C{read_only}.  Raw SQL may not control
transactions (they belong to the driver): C{invalid_params}.

The driver's own statements (its set-up, C{sync_schema}'s pragmas) run
L{GuardedConnection.trusted}; a change of policy expires the connection's
prepared statements, so that none cached under a looser one escapes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar, cast, overload

from dbdriver.exceptions import DriverError, Forbidden, InvalidParams, ReadOnly

__all__ = ["GuardedConnection", "GuardedCursor", "SessionGuard"]

_C = TypeVar("_C", bound=sqlite3.Cursor)

#: The authorizer's actions that create a schema object (in C{temp}: one
#: that lives as long as the connection).
_CREATES = frozenset(
    {
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_TEMP_INDEX,
        sqlite3.SQLITE_CREATE_TEMP_TABLE,
        sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
        sqlite3.SQLITE_CREATE_TEMP_VIEW,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_CREATE_VIEW,
    }
)
#: The authorizer's actions that write (a table or the schema).
_WRITES = _CREATES | {
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_DROP_TEMP_INDEX,
    sqlite3.SQLITE_DROP_TEMP_TABLE,
    sqlite3.SQLITE_DROP_TEMP_TRIGGER,
    sqlite3.SQLITE_DROP_TEMP_VIEW,
    sqlite3.SQLITE_DROP_TRIGGER,
    sqlite3.SQLITE_DROP_VIEW,
}
_TRANSACTIONS = frozenset({sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT})
_ATTACHES = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})

#: Pragmas that take an argument and still only read.
QUERY_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_info",
        "index_xinfo",
        "index_list",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)

_SESSION = (
    "it would change the connection's state for later requests "
    "(the server runs without --allow-session-sql)"
)


class SessionGuard:
    """
    The authorizer of one connection.

    @ivar read_only: the server runs C{--read-only}.
    @ivar allow_session: the server runs C{--allow-session-sql}.
    @ivar raw: raw SQL of C{execute} is being prepared (transaction control
        is refused).
    @ivar trusted: the driver's own statements are being prepared (nothing
        is refused).
    @ivar refused: why the last statement was denied, as the protocol error
        it answers (C{None}: not denied).
    """

    def __init__(self, read_only: bool, allow_session: bool) -> None:
        self.read_only = read_only
        self.allow_session = allow_session
        self.raw = False
        self.trusted = 0
        self.refused: DriverError | None = None

    def __call__(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        database: str | None,
        trigger: str | None,
    ) -> int:
        if self.trusted:
            return sqlite3.SQLITE_OK
        refusal = self._refusal(action, arg1, arg2, database)
        if refusal is None:
            return sqlite3.SQLITE_OK
        self.refused = refusal
        return sqlite3.SQLITE_DENY

    def _refusal(
        self, action: int, arg1: str | None, arg2: str | None, database: str | None
    ) -> DriverError | None:
        if action in _TRANSACTIONS:
            if not self.raw:
                return None
            return InvalidParams(
                "transaction control statements are not allowed in execute: "
                "use begin_transaction/commit_transaction/rollback_transaction"
            )
        if action in _ATTACHES:
            return self._session("ATTACH/DETACH (and VACUUM INTO)", writes=True)
        if action == sqlite3.SQLITE_PRAGMA:
            if arg2 is None or (arg1 or "").lower() in QUERY_PRAGMAS:
                return None
            return self._session(f"PRAGMA {arg1} = ...", writes=False)
        if database == "temp" and action in _WRITES:
            if self.read_only:
                return ReadOnly("a temporary table is written: the server is read-only")
            if action in _CREATES:
                return self._session("a temporary table, view or trigger", writes=False)
        return None

    def _session(self, what: str, *, writes: bool) -> DriverError | None:
        if self.allow_session and not self.read_only:
            return None
        if self.allow_session:
            return ReadOnly(
                f"{what}: not on a server started --read-only"
                + (" (it can write a file)" if writes else "")
            )
        return Forbidden(f"{what} is not allowed: {_SESSION}")


class GuardedCursor(sqlite3.Cursor):
    """
    A cursor whose statements denied by its connection's L{SessionGuard}
    raise the protocol error the guard chose.
    """

    def execute(self, sql: str, parameters: object = (), /) -> GuardedCursor:
        connection = self.connection
        assert isinstance(connection, GuardedConnection)
        guard = connection.guard
        guard.refused = None
        try:
            super().execute(sql, cast("Sequence[str]", parameters))
        except sqlite3.DatabaseError:
            if guard.refused is not None:
                raise guard.refused from None
            raise
        return self


class GuardedConnection(sqlite3.Connection):
    """
    A connection with a L{SessionGuard} (installed by L{install}, once its
    set-up is done), whose cursors are L{GuardedCursor}s.
    """

    guard = SessionGuard(read_only=False, allow_session=True)

    def install(self, guard: SessionGuard) -> None:
        """
        From now on C{guard} decides what statements may do; under it,
        nothing can attach a database.
        """
        self.guard = guard
        self.set_authorizer(guard)
        if not guard.allow_session or guard.read_only:
            self.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)

    @contextmanager
    def trusted(self) -> Iterator[None]:
        """
        Around the driver's own statements: nothing is refused.
        """
        guard = self.guard
        guard.trusted += 1
        try:
            yield
        finally:
            guard.trusted -= 1
            self._expire()

    @contextmanager
    def raw(self) -> Iterator[None]:
        """
        Around the raw SQL of C{execute}: transaction control is refused.
        """
        self.guard.raw = True
        self._expire()
        try:
            yield
        finally:
            self.guard.raw = False

    def _expire(self) -> None:
        # Setting the authorizer expires every prepared statement: none
        # prepared under a looser policy (the cache) runs unchecked.
        self.set_authorizer(self.guard)

    @overload
    def cursor(self, factory: None = None) -> GuardedCursor: ...

    @overload
    def cursor(self, factory: Callable[[sqlite3.Connection], _C]) -> _C: ...

    def cursor(
        self, factory: Callable[[sqlite3.Connection], _C] | None = None
    ) -> GuardedCursor | _C:
        if factory is None:
            return super().cursor(GuardedCursor)
        return super().cursor(factory)
