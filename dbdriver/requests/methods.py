"""
Requests as types: one class per method of PROTOCOL.md section 4.

Each class validates its params on construction (so a client building one
gets the server's L{InvalidParams} before anything is sent), converts from
the wire (L{BaseRequest.from_params}) and back (L{BaseRequest.to_params}).
The server and the drivers dispatch on these classes, never on raw maps.
"""

from __future__ import annotations

import attrs

from dbdriver.exceptions import InvalidParams, UnknownMethod
from dbdriver.requests import values as check
from dbdriver.requests.access import AuthenticateRequest
from dbdriver.requests.base import BaseRequest, TableRequest
from dbdriver.requests.binds import check_binds
from dbdriver.requests.cursors import (
    CloseCursorRequest,
    FetchRequest,
    OpenCursorRequest,
)
from dbdriver.requests.fields import FLAG, checked, deriving
from dbdriver.requests.inputs import quoted, shown
from dbdriver.requests.rows import (
    CountRequest,
    DeleteRequest,
    ExecuteRequest,
    InsertManyRequest,
    InsertRequest,
    SelectRequest,
    UpdateRequest,
)
from dbdriver.requests.schema import parse_table
from dbdriver.requests.sync import SyncSchemaRequest
from dbdriver.requests.tableschema import TableSchema
from dbdriver.requests.values import Value

__all__ = [
    "REQUEST_TYPES",
    "AuthenticateRequest",
    "BaseRequest",
    "BeginTransactionRequest",
    "CloseCursorRequest",
    "CommitTransactionRequest",
    "CountRequest",
    "CreateTableRequest",
    "DeleteRequest",
    "DescribeTableRequest",
    "DropTableRequest",
    "ExecuteRequest",
    "FetchRequest",
    "GetTableInfoRequest",
    "InsertManyRequest",
    "InsertRequest",
    "ListTablesRequest",
    "OpenCursorRequest",
    "PingRequest",
    "RollbackTransactionRequest",
    "SelectRequest",
    "ServerInfoRequest",
    "StatsRequest",
    "SyncSchemaRequest",
    "TransactionRequest",
    "UpdateRequest",
    "parse_request",
]

# --- answered by the server ------------------------------------------------


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class _ServerRequest(BaseRequest):
    """
    A request the server answers itself, without a database connection.
    """

    kind = "server"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class PingRequest(_ServerRequest):
    """
    Whether the server is up: it answers C{"pong"}.
    """

    method = "ping"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class ServerInfoRequest(_ServerRequest):
    """
    The protocol, the server's version and backend, read_only, the limits.
    """

    method = "server_info"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class StatsRequest(_ServerRequest):
    """
    The counters: queue depths, requests, latencies, connections, uptime.
    """

    method = "stats"


# --- schema ----------------------------------------------------------------


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class CreateTableRequest(BaseRequest):
    """
    Create a table from a schema map (PROTOCOL.md section 4, "Table
    schemas").

    @ivar schema: the map as sent, parsed into C{table_schema}.
    @ivar if_not_exists: an existing table of that name is no error.
    """

    method = "create_table"
    writes = True
    schema: dict[str, Value] = attrs.field(
        validator=deriving("table_schema", parse_table)
    )
    if_not_exists: bool = FLAG
    table_schema: TableSchema = attrs.field(init=False)

    @property
    def table(self) -> str:
        return self.table_schema.name

    @property
    def raw_sql(self) -> bool:
        """A C{{"sql": ...}} default is SQL the client wrote."""
        return self.table_schema.raw_sql


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class DropTableRequest(TableRequest):
    """
    Drop a table; C{if_exists}: a missing table is no error.
    """

    method = "drop_table"
    writes = True
    if_exists: bool = FLAG


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class GetTableInfoRequest(TableRequest):
    """
    A table's columns, in order: name, type, not_null, default, primary_key.
    """

    method = "get_table_info"
    reads = True


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class DescribeTableRequest(TableRequest):
    """
    A table's whole schema, read back from the catalog, in the canonical
    form of the table-schema format.
    """

    method = "describe_table"
    reads = True


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class ListTablesRequest(BaseRequest):
    """
    The names of the tables (not the driver's own bookkeeping table).
    """

    method = "list_tables"
    reads = True


# --- transactions ----------------------------------------------------------


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class _ControlRequest(BaseRequest):
    """
    Transaction control: the server keeps the transaction's connection.
    """

    kind = "control"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class BeginTransactionRequest(_ControlRequest):
    """
    Start a transaction; the answer is its id, which the requests that run
    in it carry as their envelope's C{transaction_id}.
    """

    method = "begin_transaction"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class _EndTransactionRequest(_ControlRequest):
    """
    A request that ends the transaction C{transaction_id} (the id that
    L{BeginTransactionRequest} answered): after it the id is unknown.
    """

    transaction_id: str = attrs.field(validator=checked(check.text))


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class CommitTransactionRequest(_EndTransactionRequest):
    """
    Commit the transaction: its writes become visible to others.
    """

    method = "commit_transaction"


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class RollbackTransactionRequest(_EndTransactionRequest):
    """
    Roll the transaction back: none of its writes remain.
    """

    method = "rollback_transaction"


def _operation(
    value: object, earlier: list[BaseRequest]
) -> tuple[BaseRequest, dict[str, int] | None]:
    if isinstance(value, BaseRequest):
        if not value.batchable:
            raise InvalidParams(f"{value.method} cannot run in a transaction batch")
        return value, None
    if not isinstance(value, dict) or not set(value) <= {"method", "params", "bind"}:
        raise InvalidParams('each operation is {"method": m, "params": p, "bind"?: b}')
    method = value.get("method")
    cls = REQUEST_TYPES.get(method) if type(method) is str else None
    if cls is None or not cls.batchable:
        raise InvalidParams(
            f"operation method must be one of {_BATCH_METHODS}, "
            f"not {quoted(value.get('method'))}"
        )
    request = cls.from_params(value.get("params"))
    return request, check_binds(value.get("bind"), request, earlier)


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class TransactionRequest(BaseRequest):
    method = "transaction"
    operations: list[BaseRequest | dict[str, Value]]
    requests: list[BaseRequest] = attrs.field(init=False)
    #: each operation's C{bind} map (L{dbdriver.requests.binds}), or C{None}
    binds: list[dict[str, int] | None] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.requests, self.binds = [], []
        for i, op in enumerate(check.array(self.operations, "operations")):
            try:
                request, binds = _operation(op, self.requests)
                self.requests.append(request)
                self.binds.append(binds)
            except InvalidParams as e:
                details = e.details if isinstance(e.details, dict) else {}
                raise InvalidParams(
                    f"operations[{i}]: {e.message}", {**details, "index": i}
                ) from None

    @property
    def raw_sql(self) -> bool:
        return any(r.raw_sql for r in self.requests)

    @property
    def writes(self) -> bool:
        return any(r.writes for r in self.requests)


REQUEST_TYPES: dict[str, type[BaseRequest]] = {
    cls.method: cls
    for cls in (
        PingRequest,
        ServerInfoRequest,
        StatsRequest,
        AuthenticateRequest,
        CreateTableRequest,
        DropTableRequest,
        InsertRequest,
        InsertManyRequest,
        UpdateRequest,
        DeleteRequest,
        SelectRequest,
        CountRequest,
        ExecuteRequest,
        BeginTransactionRequest,
        CommitTransactionRequest,
        RollbackTransactionRequest,
        TransactionRequest,
        GetTableInfoRequest,
        DescribeTableRequest,
        ListTablesRequest,
        SyncSchemaRequest,
        OpenCursorRequest,
        FetchRequest,
        CloseCursorRequest,
    )
}


_BATCH_METHODS = sorted(m for m, cls in REQUEST_TYPES.items() if cls.batchable)


def parse_request(method: str, params: object) -> BaseRequest:
    """
    The request for a wire C{method} and C{params}.
    """
    cls = REQUEST_TYPES.get(method)
    if cls is None:
        raise UnknownMethod(
            f"unknown method {quoted(method)}", {"method": shown(method)}
        )
    return cls.from_params(params)
