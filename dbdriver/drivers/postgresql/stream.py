"""
Raw SQL on PostgreSQL with its rows read as they are fetched: libpq's
single-row mode, so that the rows held in memory are those the caller
fetched (see L{fetch_within}), never the whole result; psycopg's own
C{Cursor.stream} refuses statements that return no rows, which C{execute}
takes too.  A stream left before its end cancels its statement and reads
what the server had sent, so that the connection is ready for the next.

It sends the statement as C{Cursor.execute} does, through psycopg's
private cursor methods: C{pyproject.toml} pins the psycopg minor version
it was written and tested against (3.3).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import psycopg
from psycopg import pq
from psycopg.abc import PQGen
from psycopg.generators import fetch, send
from psycopg.rows import TupleRow

__all__ = ["RowStream"]

_ROW = pq.ExecStatus.SINGLE_TUPLE
_END = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK, pq.ExecStatus.EMPTY_QUERY)


class RowStream:
    """
    A DB-API cursor's face (C{description}, C{rowcount}, C{fetchmany}) over
    one statement whose rows come one at a time.

    @ivar done: the statement's results were all read.
    """

    lastrowid = None

    def __init__(
        self, cursor: psycopg.Cursor[TupleRow], sql: str, params: Sequence[object]
    ) -> None:
        self._cursor = cursor
        self.connection = cursor.connection
        self.done = False
        self._rowcount = -1
        self.connection.wait(self._send(sql, params))
        self._row = self._next(first=True)
        self.description = cursor.description

    @property
    def rowcount(self) -> int:
        """
        What a statement without rows wrote (the rows are counted as they
        are fetched).
        """
        return self._rowcount

    def _send(self, sql: str, params: Sequence[object]) -> PQGen[None]:
        cursor = self._cursor
        yield from cursor._start_query(sql)
        # As Cursor.execute sends it (the simple protocol without params).
        cursor._execute_send(cursor._convert_query(sql, params or None))
        cursor._pgconn.set_single_row_mode()
        yield from send(cursor._pgconn)

    def _next(self, first: bool = False) -> pq.abc.PGresult | None:
        """
        The next row's result, or C{None} at the end (whose results are
        then all read).
        """
        cursor = self._cursor
        result = self.connection.wait(fetch(cursor._pgconn))
        if result is not None and result.status == _ROW:
            cursor.pgresult = result
            cursor._tx.set_pgresult(result, set_loaders=first)
            if first:
                cursor._make_row = cursor._make_row_maker()
            return result
        failed = None
        if result is not None:
            if result.status in _END:
                if first:
                    cursor.pgresult = result
                    count = result.command_tuples
                    self._rowcount = -1 if count is None else count
            else:
                failed = result
        self._drain()
        if failed is not None:
            cursor._raise_for_result(failed)
        return None

    def _drain(self) -> None:
        """
        Read the results left until the statement's end.
        """
        pgconn = self._cursor._pgconn
        while self.connection.wait(fetch(pgconn)) is not None:
            pass
        self.done = True

    def fetchmany(self, size: int) -> list[TupleRow]:
        rows: list[TupleRow] = []
        cursor = self._cursor
        while self._row is not None and len(rows) < size:
            rows.append(cursor._tx.load_row(0, cursor._make_row))
            self._row = self._next()
        return rows

    def close(self) -> None:
        """
        End the stream: a statement still sending its rows is cancelled,
        and what it had sent read.
        """
        if not self.done:
            self._row = None
            self.connection._try_cancel()
            with contextlib.suppress(psycopg.Error):  # the connection is gone
                self._drain()
        self._cursor.close()
