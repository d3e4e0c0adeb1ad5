"""
Reading large results through a cursor, as an async iterator of rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from twisted.internet.defer import Deferred

from dbdriver.client.params import OrderItem, Where
from dbdriver.requests.values import Row
from dbdriver.wire.results import Page

__all__: list[str] = []


class _Iteration:
    """
    C{async for row in client.iterate("files", where=...)}: opens a cursor,
    fetches it a page at a time and closes it (also when the loop is left
    early; wrap in C{contextlib.aclosing} to close it at once then).
    """

    open_cursor: Callable[..., Deferred[str]]
    fetch: Callable[..., Deferred[Page]]
    close_cursor: Callable[..., Deferred[bool]]

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
