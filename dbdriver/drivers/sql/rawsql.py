"""
The bounds of raw SQL (C{execute}, SQL cursors) that hold on every backend
(PROTOCOL.md section 9): it may not change the session for later requests
(L{refuse_session_sql}, by the words of the statement, for the server
backends; SQLite's authorizer is exact), and its rows are fetched within
the memory of one answer (L{fetch_within}).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar, Protocol

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import Forbidden, ResultTooLarge
from dbdriver.requests import fields as rc
from dbdriver.requests.sqltext import Lexicon, SessionRules, session_statement

__all__ = [
    "RawCursor",
    "RawStatements",
    "fetch_within",
    "refuse_session_sql",
    "row_size",
]

#: The most rows fetched at once (fewer when rows are large).
_CHUNK = 256
#: What a value other than text or bytes takes in an answer, at most.
_SCALAR = 9
#: The statements whose C{lastrowid} is their own.
_INSERTS = frozenset({"INSERT", "REPLACE"})


class RawCursor(Protocol):
    """
    What raw SQL's result is read from: a DB-API cursor, or a backend's
    stream of rows.
    """

    @property
    def description(self) -> Sequence[Sequence[object]] | None:
        """The result's columns, or C{None} for a statement without rows."""

    @property
    def rowcount(self) -> int:
        """Rows the statement wrote (or read), -1 if unknown."""

    def fetchmany(self, size: int, /) -> Sequence[Sequence[object]]:
        """Up to C{size} more rows (fewer: the last)."""


def refuse_session_sql(sql: str, rules: SessionRules, lexicon: Lexicon) -> None:
    """
    L{Forbidden} if C{sql} changes the session for later statements.
    """
    what = session_statement(sql, rules, lexicon)
    if what is not None:
        raise Forbidden(
            f"{what[:200]}: raw SQL may not change the connection's state for "
            "later requests (the server runs without --allow-session-sql)",
            {"statement": what[:200]},
        )


def row_size(row: Sequence[object]) -> int:
    """
    About what a row takes in an answer (texts and bytes by their length).
    """
    size = 1
    for value in row:
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            size += len(value) + _SCALAR
        else:
            size += _SCALAR
    return size


def fetch_within(
    cursor: RawCursor, max_bytes: int, max_rows: int
) -> list[list[object]]:
    """
    The rows of C{cursor}, as lists, up to C{max_rows} + 1 (0: no cap);
    L{ResultTooLarge} as soon as those fetched exceed C{max_bytes}.  A row
    is fetched alone until the size of rows is known, so the memory held
    stays near C{max_bytes}.
    """
    rows: list[list[object]] = []
    total = 0
    largest = max_bytes
    while True:
        want = max(1, min(_CHUNK, (max_bytes - total) // max(largest, 1)))
        if max_rows > 0:
            want = min(want, max_rows + 1 - len(rows))
        chunk = cursor.fetchmany(want)
        for row in chunk:
            size = row_size(row)
            total += size
            if total > max_bytes:
                raise ResultTooLarge(
                    f"the result is larger than --max-message-size={max_bytes} "
                    "bytes; page with LIMIT/OFFSET or a cursor",
                    {"max_message_size": max_bytes, "rows": len(rows)},
                )
            largest = size if not rows else max(largest, size)
            rows.append(list(row))
        if len(chunk) < want or (max_rows > 0 and len(rows) > max_rows):
            return rows


def page_within(
    cursor: RawCursor, max_bytes: int, max_rows: int
) -> tuple[list[Sequence[object]], bool]:
    """
    A cursor's next rows, up to C{max_rows}, stopping once those fetched
    exceed C{max_bytes} (the row that crosses it included: the page cuts
    there and keeps it for the next), and whether the cursor is exhausted.
    Fetched like L{fetch_within}: memory stays near C{max_bytes}.
    """
    rows: list[Sequence[object]] = []
    total = 0
    largest = max_bytes
    while len(rows) < max_rows and total <= max_bytes:
        room = max(max_bytes - total, 0) // max(largest, 1)
        want = min(max(1, min(_CHUNK, room)), max_rows - len(rows))
        chunk = cursor.fetchmany(want)
        for row in chunk:
            size = row_size(row)
            total += size
            largest = size if not rows else max(largest, size)
            rows.append(row)
        if len(chunk) < want:
            return rows, True
    return rows, False


class RawStatements:
    """
    The part of the table operations that runs raw SQL (C{execute}): its
    statement checked and adapted (L{raw_statement}), run on the backend's
    L{raw_cursor}, its rows fetched within one answer (L{fetch_within}).
    """

    session_rules: ClassVar[tuple[SessionRules, Lexicon] | None]
    #: Whether L{raw_cursor} streams (the client library would otherwise
    #: hold a whole result): then C{select} reads through it too.
    streams: ClassVar[bool] = False
    dialect: Dialect
    allow_session_sql: bool
    max_message_size: int
    max_rows: int

    def forget_tables(self) -> None:
        """
        Forget what the catalog said (raw SQL may have changed it).
        """

    def convert_placeholders(self, sql: str) -> str:
        """
        Raw SQL with C{?} placeholders in the backend's paramstyle.
        """
        return sql

    def raw_statement(
        self, sql: str, params: Sequence[object] | None
    ) -> tuple[str, list[object]]:
        """
        Raw SQL and its params (C{execute}, a raw cursor) as they run;
        L{Forbidden} if it would change the session for later requests.
        """
        if self.session_rules is not None and not self.allow_session_sql:
            refuse_session_sql(sql, *self.session_rules)
        adapt = self.dialect.adapt
        return self.convert_placeholders(sql), [adapt(v) for v in params or ()]

    @contextmanager
    def raw_cursor(
        self, cursor: DBCursor, sql: str, params: Sequence[object]
    ) -> Iterator[RawCursor]:
        """
        A cursor on which raw SQL (C{execute}) has run, whose rows are
        fetched within the budget of one answer (L{fetch_within}): here
        C{cursor} itself (SQLite steps its statement as rows are fetched);
        the server backends stream the rows, and cancel a statement left
        before its end.
        """
        cursor.execute(sql, params)
        yield cursor

    def fetch_rows(self, cursor: RawCursor) -> list[list[object]]:
        """
        The rows of a L{raw_cursor} within the budget (L{fetch_within}), as
        the wire carries them.
        """
        return fetch_within(cursor, self.max_message_size, self.max_rows)

    def _fetch(self, cursor: RawCursor) -> list[list[object]]:
        """
        Every row of the cursor, or L{ResultTooLarge} past C{--max-rows} or
        C{--max-message-size} (as soon as the rows fetched cross it).
        """
        rows = self.fetch_rows(cursor)
        if self.max_rows > 0 and len(rows) > self.max_rows:
            raise ResultTooLarge(
                f"the result has more than --max-rows={self.max_rows} rows; "
                "page with limit/offset",
                {"rows": self.max_rows, "max_rows": self.max_rows},
            )
        return rows

    def _execute(
        self, cursor: DBCursor, request: rq.ExecuteRequest
    ) -> dict[str, object]:
        with self.raw_cursor(
            cursor, *self.raw_statement(request.sql, request.params)
        ) as raw:
            if raw.description is None:
                self.forget_tables()
                columns: list[str] = []
                rows: list[list[object]] = []
            else:
                columns = [str(d[0]) for d in raw.description]
                rows = self._fetch(raw)
            # A statement with rows counts them on the wire (SQLite reports
            # -1 for a query, a stream does not know until its end).
            rowcount = int(raw.rowcount) if raw.description is None else len(rows)
            # The DB-API keeps the connection's last inserted id after any
            # other statement (even one of another client on a pooled
            # connection).
            lastrowid = getattr(raw, "lastrowid", None)
        inserted = rowcount > 0 and rc.leading_keyword(request.sql) in _INSERTS
        return {
            "columns": columns,
            "rows": rows,
            "rowcount": rowcount,
            "lastrowid": lastrowid
            if inserted and isinstance(lastrowid, int) and lastrowid
            else None,
        }
