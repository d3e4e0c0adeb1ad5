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
from typing import Any

import cbor2
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from dbdriver import requests as rq
from dbdriver.drivers.engine.jobs import Batch, Job
from dbdriver.drivers.engine.pinned import PinnedConnection
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


class _Cursor:
    __slots__ = ("buffer", "done", "names", "own", "pinned", "stream", "transaction_id")

    def __init__(self, pinned: PinnedConnection, transaction_id: str | None) -> None:
        self.pinned = pinned
        self.transaction_id = transaction_id
        self.own = transaction_id is None
        self.stream: Any = None
        self.names: list[str] = []
        self.buffer: list[Any] = []
        self.done = False


class Cursors:
    """
    Mixed into the driver, which supplies C{pool}, C{config}, C{reactor},
    C{select_sql}, C{row_maps}, C{convert_placeholders}, C{dialect},
    C{translate}, C{interrupt} and the transaction and batch machinery.
    """

    pool: Any
    config: Any
    reactor: Any

    def _init_cursors(self) -> None:
        self._cursors: dict[str, _Cursor | None] = {}

    @property
    def open_cursors(self) -> int:
        return len(self._cursors)

    # -- backend hooks -----------------------------------------------------------

    def stream_cursor(self, connection: Any) -> Any:
        """
        A DB-API cursor that reads rows as they are fetched (not all at
        execute time).
        """
        return connection.cursor()

    def begin_snapshot(self, cursor: Any) -> None:
        """
        Start the read transaction of a cursor that has its own connection.
        """

    # -- reactor side -------------------------------------------------------------

    def open_cursor(
        self, request: rq.OpenCursorRequest, transaction_id: str | None = None
    ) -> Deferred[str]:
        """
        Run the cursor's query; its id.
        """
        if self.pool is None:
            return fail(ShuttingDown("the database is closed"))
        cap = self.config.max_transactions
        if len(self._cursors) >= cap:
            return fail(
                Busy(
                    f"too many open cursors (--max-transactions={cap}); "
                    "close one first",
                    {"max_cursors": cap},
                )
            )
        if transaction_id is None:
            cursor_id = uuid.uuid4().hex
            pinned = self.take_pinned()  # type: ignore[attr-defined]
        else:
            try:
                pinned = self._pinned(transaction_id)  # type: ignore[attr-defined]
            except DriverError as e:
                return fail(e)
            cursor_id = uuid.uuid4().hex
        state = _Cursor(pinned, transaction_id)
        self._cursors[cursor_id] = None  # reserved while it opens

        def opened(_: Any) -> str:
            if cursor_id not in self._cursors:  # closed meanwhile
                self._close_state(state)
                raise ShuttingDown("the database closed while the cursor opened")
            self._cursors[cursor_id] = state
            return cursor_id

        def failed(failure: Failure) -> Any:
            self._cursors.pop(cursor_id, None)
            error = self.translate(failure.value)  # type: ignore[attr-defined]
            return self._close_state(state).addCallback(lambda _: Failure(error))

        d = pinned.call(self._open_in_thread, state, request)
        return d.addCallbacks(opened, failed)

    def _state(self, cursor_id: str) -> _Cursor:
        state = self._cursors.get(cursor_id)
        if state is None:
            raise UnknownTransaction(f"unknown cursor {cursor_id!r}")
        return state

    def fetch(self, cursor_id: str, size: int, finish: Any = None) -> Deferred[Any]:
        """
        The next page: C{{"rows": [...], "done": bool}} (C{finish} applied on
        the database thread).  A fetch interrupted by its deadline closes the
        cursor.
        """
        try:
            state = self._state(cursor_id)
        except DriverError as e:
            return fail(e)
        job = Job(rq.FetchRequest(cursor_id=cursor_id, size=size), None, finish)
        return self.fetch_job(job, state)

    def fetch_job(self, job: Job, state: Any) -> Deferred[Any]:
        batch = Batch([job])
        self._batches.add(batch)  # type: ignore[attr-defined]
        self._arm(batch)  # type: ignore[attr-defined]
        d = state.pinned.call(self._fetch_in_thread, batch, state)
        d.addBoth(self._settle_batch, batch)  # type: ignore[attr-defined]

        def outcome(jobs: list[Job]) -> Any:
            if job.error is None:
                return job.result
            if job.timed_out or job.aborted:
                cursor_id = job.request.cursor_id  # type: ignore[attr-defined]
                return self.close_cursor(cursor_id).addBoth(
                    lambda _: Failure(job.error)
                )
            return Failure(job.error)

        return d.addCallback(outcome)

    def close_cursor(self, cursor_id: str) -> Deferred[bool]:
        try:
            state = self._state(cursor_id)
        except DriverError as e:
            return fail(e)
        del self._cursors[cursor_id]
        return self._close_state(state).addCallback(lambda _: True)

    def close_cursors_of(self, transaction_id: str) -> None:
        """
        Close the cursors opened inside a transaction that ends (their
        streams close on its thread before the transaction ends there).
        """
        for cursor_id, state in list(self._cursors.items()):
            if state is not None and state.transaction_id == transaction_id:
                del self._cursors[cursor_id]
                state.pinned.call(self._close_stream, state)

    def close_all_cursors(self) -> list[Deferred[Any]]:
        states = [s for s in self._cursors.values() if s is not None]
        self._cursors.clear()
        return [self._close_state(s) for s in states if s.own]

    def _close_state(self, state: _Cursor) -> Deferred[Any]:
        if not state.own:
            return state.pinned.call(self._close_stream, state)
        if state.pinned.closed:
            return succeed(None)
        pinned = state.pinned
        d = pinned.call(self._close_stream, state).addCallback(
            lambda _: pinned.call(lambda connection: connection.rollback())
        )
        return d.addCallbacks(
            lambda _: self.release_pinned(pinned, True),  # type: ignore[attr-defined]
            lambda _: self.release_pinned(pinned, False),  # type: ignore[attr-defined]
        )

    # -- thread side -------------------------------------------------------------

    def _open_in_thread(
        self, connection: Any, state: _Cursor, request: rq.OpenCursorRequest
    ) -> None:
        if state.own:
            self.begin_snapshot(connection.cursor())
        if request.sql is not None:
            adapt = self.dialect.adapt  # type: ignore[attr-defined]
            sql = self.convert_placeholders(request.sql)  # type: ignore[attr-defined]
            params = [adapt(v) for v in request.params or ()]
        else:
            catalog = connection.cursor()
            try:
                sql, params = self.select_sql(catalog, request)  # type: ignore[attr-defined]
            finally:
                catalog.close()
        stream = state.stream = self.stream_cursor(connection)
        stream.execute(sql, params)
        if stream.description is None:
            raise InvalidParams("the cursor's statement returns no rows")
        state.names = [d[0] for d in stream.description]

    def _fetch_in_thread(self, connection: Any, batch: Batch, state: _Cursor) -> None:
        job = batch.jobs[0]
        try:
            batch.start(job, connection)
            job.succeed(self._page(state, job.request.size))  # type: ignore[attr-defined]
        except Exception as e:
            job.fail(e)
        finally:
            batch.stop(job)

    def _page(self, state: _Cursor, size: int) -> dict[str, Any]:
        if state.done and not state.buffer:
            return {"rows": [], "done": True}
        rows = state.buffer
        if not state.done and len(rows) <= size:
            more = state.stream.fetchmany(size + 1 - len(rows))
            rows = rows + list(more)
            state.done = len(rows) <= size
        page, state.buffer = rows[:size], rows[size:]
        encoded = self._fit(state, page)
        return {"rows": encoded, "done": state.done and not state.buffer}

    def _fit(self, state: _Cursor, page: list[Any]) -> Encoded:
        """
        The page encoded, cut where it would exceed the message limit (the
        rest stays buffered for the next fetch).
        """
        budget = self.config.max_message_size - ENVELOPE_ROOM
        maps = self.row_maps(state.names, page)  # type: ignore[attr-defined]
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

    def _close_stream(self, connection: Any, state: _Cursor) -> None:
        if state.stream is not None:
            stream, state.stream = state.stream, None
            with contextlib.suppress(Exception):  # the database may be gone
                stream.close()
