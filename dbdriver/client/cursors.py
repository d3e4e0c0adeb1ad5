"""
The cursor methods (PROTOCOL.md section 4, "Cursors") and reading large
results through a cursor, as an async iterator of rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any, Unpack

from twisted.internet.defer import Deferred, fail

from dbdriver.client.params import (
    CallOptions,
    OrderItem,
    Params,
    Where,
    _Envelope,
    _list,
    _params,
    _Query,
    _query,
)
from dbdriver.client.protocol import DriverClientProtocol
from dbdriver.exceptions import DriverError
from dbdriver.requests.values import Row
from dbdriver.wire.results import Page

__all__: list[str] = []


#: The keys of an envelope: L{CallOptions}' and C{transaction_id}.
_ENVELOPE_KEYS = frozenset({"priority", "timeout", "retry", "transaction_id"})


def _check(envelope: _Envelope) -> None:
    """
    @raise TypeError: C{envelope} has a key no call takes (a misspelt option).
    """
    unknown = sorted(envelope.keys() - _ENVELOPE_KEYS)
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")


def _call_on(
    protocol: DriverClientProtocol, method: str, params: Params, envelope: _Envelope
) -> Deferred[Any]:
    """
    Send one request on C{protocol} with the wire's keys of C{envelope}.

    @raise TypeError: C{envelope} has a key no call takes (a misspelt option).
    """
    _check(envelope)
    return protocol.call(
        method,
        params,
        priority=envelope.get("priority"),
        timeout=envelope.get("timeout"),
        transaction_id=envelope.get("transaction_id"),
    )


class _CursorMethods(ABC):
    """
    C{open_cursor}, C{fetch} and C{close_cursor}, and C{async for row in
    client.iterate("files", where=...)}, which opens a cursor, fetches it a
    page at a time and closes it (also when the loop is left early; wrap in
    C{contextlib.aclosing} to close it at once then).

    The base of L{dbdriver.client.methods._Methods}: a subclass supplies
    the connection, L{_protocol}, and may add to each request's
    L{_envelope}.
    """

    @property
    @abstractmethod
    def _protocol(self) -> DriverClientProtocol:
        """The connection the requests go on."""

    def _envelope(self, options: CallOptions) -> _Envelope | DriverError:
        """
        The envelope of a request made with C{options} (a subclass may add
        to it), or the error it fails with, unsent.
        """
        return {**options, "transaction_id": None}

    def _send(
        self, method: str, options: CallOptions, /, **params: object
    ) -> Deferred[Any]:
        """
        Send one request with those of C{params} that are set (none: no
        params); fires with its result (of the type the method's caller
        declares) or fails with a L{dbdriver.exceptions.DriverError}.
        """
        envelope = self._envelope(options)
        if isinstance(envelope, DriverError):
            return fail(envelope)
        return self._call(method, _params(**params) or None, envelope)

    def _call(self, method: str, params: Params, envelope: _Envelope) -> Deferred[Any]:
        """
        Send one request with its C{envelope} on L{_protocol} (a subclass
        may send it elsewhere, or later); the client-side options
        (C{retry}) stay here.
        """
        return _call_on(self._protocol, method, params, envelope)

    # --- cursors ---------------------------------------------------------------

    def open_cursor(
        self,
        table: str | None = None,
        where: Where | None = None,
        *,
        sql: str | None = None,
        params: Sequence[object] | None = None,
        **options: Unpack[_Query],
    ) -> Deferred[str]:
        """Open a cursor on a C{table} (or on C{sql}); fires with its id."""
        envelope, query = _query(table, where, options)
        return self._send(
            "open_cursor", envelope, **query, sql=sql, params=_list(params)
        )

    def fetch(
        self, cursor_id: str, size: int | None = None, **options: Unpack[CallOptions]
    ) -> Deferred[Page]:
        """Fires with C{{"rows": [...], "done": bool}}."""
        return self._send("fetch", options, cursor_id=cursor_id, size=size)

    def close_cursor(
        self, cursor_id: str, **options: Unpack[CallOptions]
    ) -> Deferred[bool]:
        """Fires with C{True}."""
        return self._send("close_cursor", options, cursor_id=cursor_id)

    def iterate(
        self,
        table: str,
        where: Where | None = None,
        *,
        columns: Sequence[str] | None = None,
        order_by: Sequence[OrderItem] | None = None,
        size: int = 1000,
        timeout: float | None = None,
    ) -> AsyncIterator[Row]:
        """
        Every row of a table query, C{size} rows per round trip, from one
        consistent snapshot.
        """
        opening = self.open_cursor(
            table, where, columns=columns, order_by=order_by, timeout=timeout
        )
        return self._rows(opening, size, timeout)

    def iterate_sql(
        self,
        sql: str,
        params: Sequence[object] | None = None,
        *,
        size: int = 1000,
        timeout: float | None = None,
    ) -> AsyncIterator[Row]:
        """
        Every row of a raw query (C{?} placeholders) as a map.
        """
        opening = self.open_cursor(sql=sql, params=params, timeout=timeout)
        return self._rows(opening, size, timeout)

    async def _rows(
        self, opening: Deferred[str], size: int, timeout: float | None
    ) -> AsyncIterator[Row]:
        cursor_id = await opening
        done = False
        try:
            while not done:
                page = await self.fetch(cursor_id, size, timeout=timeout)
                done = page["done"]
                for row in page["rows"]:
                    yield row
        except BaseException:
            # Left early or failed: close without waiting (a finalised
            # generator cannot await); the server also closes it when idle.
            self.close_cursor(cursor_id).addErrback(lambda _: None)
            raise
        await self.close_cursor(cursor_id, timeout=timeout)
