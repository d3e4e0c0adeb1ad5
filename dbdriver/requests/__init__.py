"""
Requests: one typed class per method of PROTOCOL.md section 4, validated on
construction and shared by both ends, with the formats they carry (the table
schema, where clauses, binds).  Imports nothing from the client, the server
or the drivers.
"""

from dbdriver.requests.methods import (
    REQUEST_TYPES,
    BaseRequest,
    BeginTransactionRequest,
    CloseCursorRequest,
    CommitTransactionRequest,
    CountRequest,
    CreateTableRequest,
    DeleteRequest,
    DropTableRequest,
    ExecuteRequest,
    FetchRequest,
    GetTableInfoRequest,
    InsertManyRequest,
    InsertRequest,
    ListTablesRequest,
    OpenCursorRequest,
    PingRequest,
    RollbackTransactionRequest,
    SelectRequest,
    ServerInfoRequest,
    StatsRequest,
    SyncSchemaRequest,
    TransactionRequest,
    UpdateRequest,
    parse_request,
)

__all__ = [
    "REQUEST_TYPES",
    "BaseRequest",
    "BeginTransactionRequest",
    "CloseCursorRequest",
    "CommitTransactionRequest",
    "CountRequest",
    "CreateTableRequest",
    "DeleteRequest",
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
