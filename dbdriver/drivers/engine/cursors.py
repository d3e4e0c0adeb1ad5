"""
Cursors (PROTOCOL.md section 4, "Cursors"), on the driver side: a query
whose rows are read a page at a time from one consistent snapshot.

A cursor opened on its own pins a connection (its own thread) and reads
inside a read transaction; one opened inside a transaction uses that
transaction's pinned connection and closes when the transaction ends.
Only one page of rows is in memory at a time.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence

import attrs
import cbor2
from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver.drivers.engine.engine import Engine
from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.engine.pinned import PinnedConnection
from dbdriver.drivers.engine.transactions import IdlePinned, Transactions
from dbdriver.drivers.interfaces import DBConnection, DBCursor
from dbdriver.drivers.sql.rawsql import page_within, row_size
from dbdriver.exceptions import (
    Busy,
    DriverError,
    InvalidParams,
    ResultTooLarge,
    ShuttingDown,
    UnknownTransaction,
)
from dbdriver.wire.cbor import ENVELOPE_ROOM, Encoded, array_header

__all__ = ["Cursors"]

_Row = Sequence[object]


@attrs.define(eq=False)
class _Cursor:
    """
    One open cursor: its connection, its statement's stream and the rows
    read ahead of the next page.

    @ivar own: whether it pinned a connection of its own (no transaction).
    """

    pinned: PinnedConnection
    transaction_id: str | None
    own: bool = attrs.field(init=False)
    stream: DBCursor | None = attrs.field(init=False, default=None)
    names: list[str] = attrs.field(init=False, factory=list)
    buffer: list[_Row] = attrs.field(init=False, factory=list)
    done: bool = attrs.field(init=False, default=False)

    @own.default
    def _own(self) -> bool:
        return self.transaction_id is None


@attrs.define(eq=False)
class Cursors:
    """
    The open cursors: their own pinned connections (from C{idle}) or their
    transaction's (from C{transactions}, which closes them as it ends).

    @ivar cap: the most cursors open at once (C{--max-transactions}).
    """

    engine: Engine
    idle: IdlePinned
    transactions: Transactions
    cap: int
    max_message_size: int
    _open: dict[str, _Cursor | None] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.transactions.ending = self.close_cursors_of

    def __len__(self) -> int:
        return len(self._open)

    # -- reactor side -------------------------------------------------------------

    def open_cursor(
        self, request: rq.OpenCursorRequest, transaction_id: str | None = None
    ) -> Deferred[str]:
        """
        Run the cursor's query; its id.
        """
        if self.engine.pool is None:
            return fail(ShuttingDown("the database is closed"))
        cap = self.cap
        if len(self._open) >= cap:
            return fail(
                Busy(
                    f"too many open cursors (--max-transactions={cap}); "
                    "close one first",
                    {"max_cursors": cap},
                )
            )
        if transaction_id is None:
            pinned = self.idle.take()
        else:
            try:
                pinned = self.transactions.pinned(transaction_id)
            except DriverError as e:
                return fail(e)
        cursor_id = uuid.uuid4().hex
        state = _Cursor(pinned, transaction_id)
        self._open[cursor_id] = None  # reserved while it opens

        def opened(_: object) -> str:
            if cursor_id not in self._open:  # closed meanwhile
                self._close_state(state)
                raise ShuttingDown("the database closed while the cursor opened")
            self._open[cursor_id] = state
            return cursor_id

        def failed(failure: Failure) -> Deferred[str]:
            self._open.pop(cursor_id, None)
            assert failure.value is not None
            error = self.engine.operations.translate(failure.value)
            return self._close_state(state).addCallback(lambda _: Failure(error))

        d = pinned.call(self._open_in_thread, state, request)
        return d.addCallbacks(opened, failed)

    def _state(self, cursor_id: str) -> _Cursor:
        state = self._open.get(cursor_id)
        if state is None:
            raise UnknownTransaction(f"unknown cursor {cursor_id!r}")
        return state

    def fetch(self, job: Job) -> Deferred[object]:
        """
        The next page: C{{"rows": [...], "done": bool}}, for C{job}, whose
        request is a L{rq.FetchRequest} (its deadline armed, its C{finish}
        applied on the database thread).  A fetch interrupted by its
        deadline closes the cursor.
        """
        request = job.request
        assert isinstance(request, rq.FetchRequest)
        cursor_id, size = request.cursor_id, request.size
        try:
            state = self._state(cursor_id)
        except DriverError as e:
            return fail(e)
        settled = self.engine.run_pinned(
            state.pinned, job, self._fetch_in_thread, state, size
        )

        def outcome(jobs: list[Job]) -> object:
            error = job.error
            if error is None:
                return job.result
            if job.timed_out or job.aborted:
                return self.close_cursor(cursor_id).addBoth(lambda _: Failure(error))
            return Failure(error)

        return settled.addCallback(outcome)

    def close_cursor(self, cursor_id: str) -> Deferred[bool]:
        try:
            state = self._state(cursor_id)
        except DriverError as e:
            return fail(e)
        del self._open[cursor_id]
        return self._close_state(state).addCallback(lambda _: True)

    def close_cursors_of(self, transaction_id: str) -> None:
        """
        Close the cursors opened inside a transaction that ends (their
        streams close on its thread before the transaction ends there).
        """
        for cursor_id, state in list(self._open.items()):
            if state is not None and state.transaction_id == transaction_id:
                del self._open[cursor_id]
                state.pinned.call(self._close_stream, state)

    def close_all(self) -> list[Deferred[None]]:
        states = [s for s in self._open.values() if s is not None]
        self._open.clear()
        return [self._close_state(s) for s in states if s.own]

    def _close_state(self, state: _Cursor) -> Deferred[None]:
        if not state.own:
            return state.pinned.call(self._close_stream, state)
        if state.pinned.closed:
            return succeed(None)
        pinned, idle = state.pinned, self.idle
        d = pinned.call(self._close_stream, state).addCallback(
            lambda _: pinned.call(lambda connection: connection.rollback())
        )
        return d.addCallbacks(
            lambda _: idle.release(pinned, True),
            lambda _: idle.release(pinned, False),
        )

    # -- thread side -------------------------------------------------------------

    def _open_in_thread(
        self,
        connection: adbapi.Connection,
        state: _Cursor,
        request: rq.OpenCursorRequest,
    ) -> None:
        backend, operations = self.engine.backend, self.engine.operations
        if state.own:
            backend.begin_snapshot(connection.cursor())
        if request.sql is not None:
            sql, params = operations.raw_statement(request.sql, request.params)
        else:
            catalog = connection.cursor()
            try:
                sql, params = operations.select_sql(catalog, request)
            finally:
                catalog.close()
        stream = state.stream = backend.stream_cursor(connection)
        stream.execute(sql, params)
        if stream.description is None:
            raise InvalidParams("the cursor's statement returns no rows")
        state.names = [d[0] for d in stream.description]

    def _fetch_in_thread(
        self, connection: adbapi.Connection, batch: Batch, state: _Cursor, size: int
    ) -> None:
        job = batch.jobs[0]
        stream = state.stream
        # The DB-API connection under adbapi's, the one a deadline interrupts.
        raw: DBConnection = connection if stream is None else stream.connection
        try:
            batch.start(job, raw)
            with self.engine.backend.running(raw):
                job.succeed(self._page(state, size))
        except Exception as e:
            job.fail(e)
        finally:
            batch.stop(job)

    def _page(self, state: _Cursor, size: int) -> dict[str, object]:
        if state.done and not state.buffer:
            return {"rows": [], "done": True}
        rows = state.buffer
        if not state.done and len(rows) <= size:
            assert state.stream is not None
            # Rows of a page are fetched within the message limit: a page of
            # large rows stops early (the next fetch goes on).
            budget = self.max_message_size - ENVELOPE_ROOM
            budget -= sum(map(row_size, rows))
            more, state.done = page_within(state.stream, budget, size + 1 - len(rows))
            rows = rows + list(more)
        page, state.buffer = rows[:size], rows[size:]
        encoded = self._fit(state, page)
        return {"rows": encoded, "done": state.done and not state.buffer}

    def _fit(self, state: _Cursor, page: list[_Row]) -> Encoded:
        """
        The page encoded, cut where it would exceed the message limit (the
        rest stays buffered for the next fetch).
        """
        budget = self.max_message_size - ENVELOPE_ROOM
        maps = self.engine.operations.row_maps(state.names, page)
        items = [cbor2.dumps(m) for m in maps]
        size = 0
        for count, item in enumerate(items):
            size += len(item)
            if size > budget:
                if count == 0:
                    raise ResultTooLarge(
                        "one row exceeds --max-message-size", {"rows": 0}
                    )
                state.buffer = page[count:] + state.buffer
                items = items[:count]
                break
        return Encoded(array_header(len(items)) + b"".join(items), len(items))

    def _close_stream(self, connection: adbapi.Connection, state: _Cursor) -> None:
        if state.stream is not None:
            stream, state.stream = state.stream, None
            with contextlib.suppress(Exception):  # the database may be gone
                stream.close()
