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
from dbdriver.requests.fields import checked
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
    "SelectRequest",
    "UpdateRequest",
]

#: C{on_conflict}: C{"ignore"}, C{"replace"} or
#: C{{"target": [column], "update": [column]}}.
ConflictClause = str | dict[str, list[str]] | None
#: C{order_by}: column names, or C{{"column": name, "desc": bool}} maps.
OrderBy = list[str | dict[str, Value]]


@attrs.define(slots=True)
class InsertRequest(TableRequest):
    method = "insert"
    writes = True
    single_statement = True
    data: Row = attrs.field(validator=checked(check.row))
    on_conflict: ConflictClause = attrs.field(
        default=None, validator=checked(rc.on_conflict)
    )
    returning: list[str] | None = attrs.field(
        default=None, validator=checked(rc.returning)
    )


@attrs.define(slots=True)
class InsertManyRequest(TableRequest):
    method = "insert_many"
    writes = True
    #: (the values as the drivers read them: they check each one they use)
    rows: list[dict[str, Any]] = attrs.field(validator=checked(check.rows))
    on_conflict: ConflictClause = attrs.field(
        default=None, validator=checked(rc.on_conflict)
    )
    returning: list[str] | None = attrs.field(
        default=None, validator=checked(rc.returning)
    )


@attrs.define(slots=True)
class UpdateRequest(TableRequest):
    method = "update"
    writes = True
    single_statement = True
    data: Row = attrs.field(validator=checked(check.row))
    where: dict[str, Value] | None = attrs.field(default=None, validator=rc.where)
    all_rows: bool = attrs.field(default=False, validator=rc.all_rows)
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True)
class DeleteRequest(TableRequest):
    method = "delete"
    writes = True
    single_statement = True
    where: dict[str, Value] | None = attrs.field(default=None, validator=rc.where)
    all_rows: bool = attrs.field(default=False, validator=rc.all_rows)
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True)
class SelectRequest(TableRequest):
    method = "select"
    reads = True
    where: dict[str, Value] | None = attrs.field(default=None, validator=rc.where)
    columns: list[str] | None = attrs.field(
        default=None, validator=attrs.validators.optional(checked(check.identifiers))
    )
    order_by: OrderBy | None = attrs.field(default=None, validator=rc.order)
    limit: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(checked(check.count))
    )
    offset: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(checked(check.count))
    )
    where_node: Node = attrs.field(init=False)
    order: list[tuple[str, bool]] = attrs.field(init=False)


@attrs.define(slots=True)
class CountRequest(TableRequest):
    method = "count"
    reads = True
    where: dict[str, Value] | None = attrs.field(default=None, validator=rc.where)
    where_node: Node = attrs.field(init=False)


@attrs.define(slots=True)
class ExecuteRequest(BaseRequest):
    method = "execute"
    raw_sql = True
    alone = True
    sql: str = attrs.field(validator=checked(rc.statement))
    params: list[Value] | None = attrs.field(
        default=None, validator=checked(rc.statement_params)
    )
