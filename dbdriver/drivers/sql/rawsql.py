"""
The bounds of raw SQL (C{execute}, SQL cursors) that hold on every backend
(PROTOCOL.md section 9): it may not change the session for later requests
(L{refuse_session_sql}, by the words of the statement, for the server
backends; SQLite's authorizer is exact), and its rows are fetched within
the memory of one answer (L{fetch_within}).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dbdriver.exceptions import Forbidden, ResultTooLarge
from dbdriver.requests.sqltext import Lexicon, SessionRules, session_statement

__all__ = ["RawCursor", "fetch_within", "refuse_session_sql", "row_size"]

#: The most rows fetched at once (fewer when rows are large).
_CHUNK = 256
#: What a value other than text or bytes takes in an answer, at most.
_SCALAR = 9


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
                    {"max_message_size": max_bytes},
                )
            largest = size if not rows else max(largest, size)
            rows.append(list(row))
        if len(chunk) < want or (max_rows > 0 and len(rows) > max_rows):
            return rows
