"""
The cursor methods (PROTOCOL.md section 4, "Cursors"): results too large
for one message, read in pages from one consistent snapshot.
"""

from __future__ import annotations

import functools

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import fields as rc
from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.fields import checked
from dbdriver.requests.rows import OrderBy
from dbdriver.requests.values import Value
from dbdriver.requests.where import Node, parse_where

__all__ = ["CloseCursorRequest", "FetchRequest", "OpenCursorRequest"]

#: Rows a fetch returns when it names no size.
DEFAULT_FETCH_SIZE = 1000


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class _CursorRequest(BaseRequest):
    """
    A cursor method: a cursor belongs to the connection that opened it.
    """

    kind = "cursor"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class OpenCursorRequest(_CursorRequest):
    """
    Either C{table} (with C{where}, C{columns}, C{order_by}) or C{sql} (with
    C{params}).
    """

    method = "open_cursor"
    table: str | None = None
    where: dict[str, Value] | None = None
    columns: list[str] | None = None
    order_by: OrderBy | None = None
    sql: str | None = None
    params: list[Value] | None = None
    where_node: Node = attrs.field(init=False)
    order: list[tuple[str, bool]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if (self.table is None) == (self.sql is None):
            raise InvalidParams("open_cursor takes either table or sql")
        if self.sql is None:
            check.identifier(self.table, "table")
            if self.params is not None:
                raise InvalidParams("params go with sql, not table")
        else:
            if self.where is not None or self.columns is not None or self.order_by:
                raise InvalidParams("where, columns and order_by go with table")
            rc.raw_statement(self.sql, self.params)
        self.where_node = parse_where(self.where)
        if self.columns is not None:
            check.identifiers(self.columns, "columns")
        self.order = rc.order_by(self.order_by)

    @property
    def raw_sql(self) -> bool:
        return self.sql is not None


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class _CursorIdRequest(_CursorRequest):
    """
    A request about the open cursor C{cursor_id}: the id the answer to
    L{OpenCursorRequest} gave.
    """

    cursor_id: str = attrs.field(validator=checked(check.text))


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class FetchRequest(_CursorIdRequest):
    """
    The cursor's next rows, C{size} at the most, and whether they are the
    last.
    """

    method = "fetch"
    size: int = attrs.field(
        default=DEFAULT_FETCH_SIZE,
        validator=checked(functools.partial(check.count, minimum=1)),
    )


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class CloseCursorRequest(_CursorIdRequest):
    """
    Close the cursor (else it stays open until its connection closes or its
    transaction ends).
    """

    method = "close_cursor"
