"""
The row methods (PROTOCOL.md section 4, "Rows"): insert, insert_many,
update, delete, select, count and execute, the operations a C{transaction}
batch is made of.
"""

from __future__ import annotations

from typing import Any

import attrs

from dbdriver.requests import fields as rc
from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest, TableRequest
from dbdriver.requests.fields import (
    ALL_ROWS,
    COUNT,
    NAMES,
    ON_CONFLICT,
    ORDER_BY,
    RETURNING,
    WHERE,
    ConflictClause,
    OrderBy,
    checked,
)
from dbdriver.requests.values import Row, Value
from dbdriver.requests.where import Node

__all__ = [
    "ConflictClause",
    "CountRequest",
    "DeleteRequest",
    "ExecuteRequest",
    "InsertManyRequest",
    "InsertRequest",
    "OrderBy",
    "RowRequest",
    "SelectRequest",
    "UpdateRequest",
]


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class RowRequest(TableRequest):
    """
    A row method on one table: an operation a C{transaction} batch may hold.
    """

    batchable = True


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class InsertRequest(RowRequest):
    """
    Insert one row.

    @ivar data: the row, column name to value.
    @ivar on_conflict: what a row that breaks a unique constraint does
        (L{ConflictClause}); C{None}: the insert fails.
    @ivar returning: the columns of the inserted row to answer with.
    """

    method = "insert"
    writes = True
    single_statement = True
    data: Row = attrs.field(validator=checked(check.new_row))
    on_conflict: ConflictClause = ON_CONFLICT
    returning: list[str] | None = RETURNING


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class InsertManyRequest(RowRequest):
    """
    Insert rows that all name the same columns, in one statement or in
    several (a backend's choice), as one write.

    @ivar rows: the rows (the values as the drivers read them: they check
        each one they use).
    @ivar on_conflict: as L{InsertRequest.on_conflict}, for each row.
    @ivar returning: as L{InsertRequest.returning}, for each row.
    """

    method = "insert_many"
    writes = True
    rows: list[dict[str, Any]] = attrs.field(validator=checked(check.rows))
    on_conflict: ConflictClause = ON_CONFLICT
    returning: list[str] | None = RETURNING


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class UpdateRequest(RowRequest):
    """
    Set columns of the rows a where clause matches.

    @ivar data: the new values, column name to value.
    @ivar where: the rows to update; without it C{all_rows} must be C{True}.
    @ivar where_node: C{where}, parsed (L{dbdriver.requests.where}).
    """

    method = "update"
    writes = True
    single_statement = True
    data: Row = attrs.field(validator=checked(check.row))
    where: dict[str, Value] | None = WHERE
    all_rows: bool = ALL_ROWS
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class DeleteRequest(RowRequest):
    """
    Delete the rows a where clause matches (all of them: C{all_rows}).
    """

    method = "delete"
    writes = True
    single_statement = True
    where: dict[str, Value] | None = WHERE
    all_rows: bool = ALL_ROWS
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class SelectRequest(RowRequest):
    """
    Read rows, all in one answer (a cursor reads a large result in pages).

    @ivar columns: the columns to answer with; C{None}: all of them.
    @ivar order_by: the order of the rows (L{OrderBy}), parsed into
        C{order}: (column, descending) pairs.
    @ivar limit: at most this many rows; C{offset}: skip as many first.
    """

    method = "select"
    reads = True
    where: dict[str, Value] | None = WHERE
    columns: list[str] | None = NAMES
    order_by: OrderBy | None = ORDER_BY
    limit: int | None = COUNT
    offset: int | None = COUNT
    where_node: Node = attrs.field(init=False)
    order: list[tuple[str, bool]] = attrs.field(init=False)


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class CountRequest(RowRequest):
    """
    How many rows a where clause matches.
    """

    method = "count"
    reads = True
    where: dict[str, Value] | None = WHERE
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class ExecuteRequest(BaseRequest):
    """
    One statement of raw SQL, with C{?} placeholders for C{params}.
    """

    method = "execute"
    raw_sql = True
    alone = True
    batchable = True
    sql: str = attrs.field(validator=checked(rc.statement))
    params: list[Value] | None = attrs.field(
        default=None, validator=checked(rc.statement_params)
    )
