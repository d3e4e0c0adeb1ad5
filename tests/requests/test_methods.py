"""
L{dbdriver.requests.methods}: one request type per method of PROTOCOL.md
section 4, found by name (an unknown name is L{UnknownMethod}), and the
C{transaction} batch, whose operations are checked one by one with their
index.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams, UnknownMethod
from dbdriver.requests import methods
from dbdriver.requests.methods import (
    REQUEST_TYPES,
    BeginTransactionRequest,
    CommitTransactionRequest,
    CountRequest,
    CreateTableRequest,
    InsertRequest,
    PingRequest,
    RollbackTransactionRequest,
    TransactionRequest,
    parse_request,
)

#: The methods of PROTOCOL.md section 4, by kind.
_KINDS = {
    "server": ["ping", "server_info", "stats", "authenticate"],
    "control": ["begin_transaction", "commit_transaction", "rollback_transaction"],
    "cursor": ["open_cursor", "fetch", "close_cursor"],
    "data": [
        "create_table", "drop_table", "get_table_info", "describe_table",
        "list_tables",
        "sync_schema", "insert", "insert_many", "update", "delete", "select",
        "count", "execute", "transaction",
    ],
}  # fmt: skip


def test_one_type_per_method() -> None:
    assert sorted(REQUEST_TYPES) == sorted(m for ms in _KINDS.values() for m in ms)
    for kind, names in _KINDS.items():
        for name in names:
            cls = REQUEST_TYPES[name]
            assert (cls.method, cls.kind) == (name, kind)
            assert cls.__name__ in methods.__all__


def test_parse_request() -> None:
    assert parse_request("ping", None) == PingRequest()
    assert parse_request("count", {"table": "t"}) == CountRequest("t")


def test_an_unknown_method() -> None:
    with pytest.raises(UnknownMethod) as info:
        parse_request("frobnicate", {})
    assert info.value.details == {"method": "frobnicate"}


def test_create_table_names_its_table() -> None:
    schema = {"name": "t", "columns": [{"name": "id", "type": "integer"}]}
    request = CreateTableRequest(schema, if_not_exists=True)
    assert (request.table, request.table_schema.name, request.writes) == (
        "t",
        "t",
        True,
    )
    with pytest.raises(InvalidParams, match="if_not_exists"):
        CreateTableRequest(schema, if_not_exists=1)  # type: ignore[arg-type]


def test_transaction_control() -> None:
    assert BeginTransactionRequest().to_params() == {}
    for cls in (CommitTransactionRequest, RollbackTransactionRequest):
        assert cls("tx1").to_params() == {"transaction_id": "tx1"}
        with pytest.raises(InvalidParams, match="transaction_id"):
            cls.from_params({"transaction_id": ""})


def _insert(table: str = "p", **extra: Any) -> dict[str, Any]:
    return {"method": "insert", "params": {"table": table, "data": {"n": 1}}, **extra}


def test_a_batch() -> None:
    batch = TransactionRequest(
        [
            _insert(),
            InsertRequest("c", {"n": 2}),
            {**_insert("c"), "bind": {"p_id": 0}},
            {"method": "count", "params": {"table": "c"}},
        ]
    )
    assert [r.method for r in batch.requests] == ["insert", "insert", "insert", "count"]
    assert batch.binds == [None, None, {"p_id": 0}, None]
    assert (batch.writes, batch.raw_sql) == (True, False)


def test_what_a_batch_does_is_what_its_operations_do() -> None:
    reads = TransactionRequest([{"method": "count", "params": {"table": "t"}}])
    assert (reads.writes, reads.raw_sql) == (False, False)
    raw = TransactionRequest([{"method": "execute", "params": {"sql": "SELECT 1"}}])
    assert (raw.writes, raw.raw_sql) == (False, True)
    assert TransactionRequest([]).requests == []


@pytest.mark.parametrize(
    ("operations", "index", "text"),
    [
        ([_insert(), {"method": "ping"}], 1, "operation method must be one of"),
        ([{"method": ["insert"]}], 0, "operation method must be one of"),
        ([_insert(), PingRequest()], 1, "ping cannot run in a transaction batch"),
        ([_insert(), "insert"], 1, 'each operation is {"method": m'),
        ([{**_insert(), "x": 1}], 0, 'each operation is {"method": m'),
        ([_insert(), _insert("bad name")], 1, "invalid table"),
        ([{**_insert(), "bind": {"p_id": 0}}], 0, "bind.p_id must be the index"),
        (
            [
                _insert(),
                {"method": "count", "params": {"table": "t"}, "bind": {"a": 0}},
            ],
            1,
            "bind works on insert and insert_many, not count",
        ),
    ],
)
def test_a_bad_operation_is_refused_with_its_index(
    operations: list[Any], index: int, text: str
) -> None:
    with pytest.raises(InvalidParams, match=text) as info:
        TransactionRequest(operations)
    assert info.value.message.startswith(f"operations[{index}]: ")
    assert isinstance(info.value.details, dict)
    assert info.value.details["index"] == index


def test_operations_must_be_an_array() -> None:
    with pytest.raises(InvalidParams, match="operations must be an array"):
        TransactionRequest.from_params({"operations": {}})
