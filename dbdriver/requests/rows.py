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
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.values import Row, Value
from dbdriver.requests.where import Node, parse_where

__all__ = [
    "ConflictClause",
    "CountRequest",
    "DeleteRequest",
    "ExecuteRequest",
    "InsertManyRequest",
    "InsertRequest",
    "OrderBy",
    "SelectRequest",
    "UpdateRequest",
]

#: C{on_conflict}: C{"ignore"}, C{"replace"} or
#: C{{"target": [column], "update": [column]}}.
ConflictClause = str | dict[str, list[str]] | None
#: C{order_by}: column names, or C{{"column": name, "desc": bool}} maps.
OrderBy = list[str | dict[str, Value]]


@attrs.define(slots=True)
class InsertRequest(BaseRequest):
    method = "insert"
    writes = True
    single_statement = True
    table: str
    data: Row
    on_conflict: ConflictClause = None
    returning: list[str] | None = None

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        check.row(self.data)
        rc.on_conflict(self.on_conflict)
        rc.returning(self.returning)


@attrs.define(slots=True)
class InsertManyRequest(BaseRequest):
    method = "insert_many"
    writes = True
    table: str
    #: (the values as the drivers read them: they check each one they use)
    rows: list[dict[str, Any]]
    on_conflict: ConflictClause = None
    returning: list[str] | None = None

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        check.rows(self.rows)
        rc.on_conflict(self.on_conflict)
        rc.returning(self.returning)


@attrs.define(slots=True)
class UpdateRequest(BaseRequest):
    method = "update"
    writes = True
    single_statement = True
    table: str
    data: Row
    where: dict[str, Value] | None = None
    all_rows: bool = False
    where_node: Node = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        check.row(self.data)
        self.where_node = rc.write_where(self.where, self.all_rows, self.method)


@attrs.define(slots=True)
class DeleteRequest(BaseRequest):
    method = "delete"
    writes = True
    single_statement = True
    table: str
    where: dict[str, Value] | None = None
    all_rows: bool = False
    where_node: Node = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        self.where_node = rc.write_where(self.where, self.all_rows, self.method)


@attrs.define(slots=True)
class SelectRequest(BaseRequest):
    method = "select"
    reads = True
    table: str
    where: dict[str, Value] | None = None
    columns: list[str] | None = None
    order_by: OrderBy | None = None
    limit: int | None = None
    offset: int | None = None
    where_node: Node = attrs.field(init=False)
    order: list[tuple[str, bool]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        self.where_node = parse_where(self.where)
        if self.columns is not None:
            check.identifiers(self.columns, "columns")
        self.order = rc.order_by(self.order_by)
        if self.limit is not None:
            check.count(self.limit, "limit")
        if self.offset is not None:
            check.count(self.offset, "offset")


@attrs.define(slots=True)
class CountRequest(BaseRequest):
    method = "count"
    reads = True
    table: str
    where: dict[str, Value] | None = None
    where_node: Node = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        check.identifier(self.table, "table")
        self.where_node = parse_where(self.where)


@attrs.define(slots=True)
class ExecuteRequest(BaseRequest):
    method = "execute"
    raw_sql = True
    alone = True
    sql: str
    params: list[Value] | None = None

    def __attrs_post_init__(self) -> None:
        rc.raw_statement(self.sql, self.params)
