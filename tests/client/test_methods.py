"""
L{dbdriver.client.methods}: each method sends its protocol name and only
the params that are set, with C{priority} and C{timeout} in the envelope.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.requests.methods import InsertRequest
from tests.support.client import FakeServer, result_of

_T = {"table": "t"}
_W = {"id": 1}
_ROW = {"table": "t", "data": {"a": 1}}
_SCHEMA = {"name": "t", "columns": [{"name": "id", "type": "integer"}]}
_TX = {"transaction_id": "x"}
_SEL = {"columns": ["a"], "order_by": ["a"], "offset": 0}
_RET = {"returning": ("id",)}
_ALL = {"all_rows": True}


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "params"),
    [
        ("server_info", (), {}, None),
        ("stats", (), {}, None),
        ("create_table", (_SCHEMA,), {}, {"schema": _SCHEMA}),
        ("drop_table", ("t", True), {}, {**_T, "if_exists": True}),
        ("get_table_info", ("t",), {}, _T),
        ("insert", ("t", {"a": 1}), _RET, {**_ROW, "returning": ["id"]}),
        ("insert_many", ("t", [{"a": 1}]), {}, {**_T, "rows": [{"a": 1}]}),
        ("update", ("t", None, {"a": 1}), _ALL, {**_ROW, **_ALL}),
        ("update", ("t", _W, {"a": 1}), {}, {**_T, "where": _W, "data": {"a": 1}}),
        ("delete", ("t", _W), {}, {**_T, "where": _W}),
        ("select", ("t",), _SEL, {**_T, **_SEL}),
        ("execute", ("SELECT ?", (1,)), {}, {"sql": "SELECT ?", "params": [1]}),
        ("commit_transaction", ("x",), {}, _TX),
        ("rollback_transaction", ("x",), {}, _TX),
        ("sync_schema", ({"tables": []},), {}, {"schema_definition": {"tables": []}}),
        ("open_cursor", ("t", _W), {}, {**_T, "where": _W}),
        ("fetch", ("c1", 10), {}, {"cursor_id": "c1", "size": 10}),
        ("close_cursor", ("c1",), {}, {"cursor_id": "c1"}),
    ],
)
def test_method_params(
    server: FakeServer, name: str, args: Any, kwargs: Any, params: Any
) -> None:
    """Each method sends its protocol name and only the params that are set."""
    getattr(server.client, name)(*args, **kwargs)
    (message,) = server.sent()
    assert (message["method"], message.get("params")) == (name, params)


def test_batch_params(server: FakeServer) -> None:
    count = {"method": "count", "params": _T}
    server.client.batch([InsertRequest("t", {"a": 1}), count])
    ops = [{"method": "insert", "params": _ROW}, count]
    assert server.sent() == [
        {"id": 1, "method": "transaction", "params": {"operations": ops}}
    ]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "params"),
    [
        ("ping", (), {}, None),
        ("list_tables", (), {}, None),
        ("begin_transaction", (), {}, None),
        ("create_table", (_SCHEMA, True), {},
         {"schema": _SCHEMA, "if_not_exists": True}),
        ("drop_table", ("t",), {}, _T),
        ("insert", ("t", {"a": 1}), {"on_conflict": "ignore"},
         {**_ROW, "on_conflict": "ignore"}),
        ("insert_many", ("t", ({"a": 1},)), _RET,
         {**_T, "rows": [{"a": 1}], "returning": ["id"]}),
        ("delete", ("t",), _ALL, {**_T, **_ALL}),
        ("select", ("t",), {"limit": 0}, {**_T, "limit": 0}),
        ("count", ("t", _W), {}, {**_T, "where": _W}),
        ("execute", ("SELECT 1",), {}, {"sql": "SELECT 1"}),
        ("sync_schema", ({"tables": []},), {"dry_run": True, "backup_dir": "b"},
         {"schema_definition": {"tables": []}, "dry_run": True, "backup_dir": "b"}),
        ("open_cursor", (), {"sql": "SELECT ?", "params": (1,)},
         {"sql": "SELECT ?", "params": [1]}),
        ("open_cursor", ("t",), {"columns": ("a",), "order_by": ("a",)},
         {**_T, "columns": ["a"], "order_by": ["a"]}),
        ("fetch", ("c1",), {}, {"cursor_id": "c1"}),
    ],
)  # fmt: skip
def test_more_method_params(
    server: FakeServer, name: str, args: Any, kwargs: Any, params: Any
) -> None:
    getattr(server.client, name)(*args, **kwargs)
    (message,) = server.sent()
    assert (message["method"], message.get("params")) == (name, params)


def test_priority_and_timeout_go_in_the_envelope(server: FakeServer) -> None:
    server.client.select("t", priority=0, timeout=0.5)
    server.client.commit_transaction("x", priority=9)
    first, second = server.sent()
    assert (first["priority"], first["timeout"]) == (0, 0.5)
    assert (second["priority"], "timeout" in second) == (9, False)


def test_results_are_passed_on(server: FakeServer) -> None:
    d = server.client.execute("SELECT 1 AS a")
    answer = {"columns": ["a"], "rows": [[1]], "rowcount": -1, "lastrowid": None}
    server.answer(1, answer)
    assert result_of(d) == answer


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "params"),
    [
        ("insert", ("t", {"a": 1}), {"on_conflict": "ignore", "returning": ["id"]},
         {**_ROW, "on_conflict": "ignore", "returning": ["id"]}),
        ("insert_many", ("t", [{"a": 1}]), {"on_conflict": "replace"},
         {**_T, "rows": [{"a": 1}], "on_conflict": "replace"}),
        ("select", ("t", _W), {"columns": ("a",), "order_by": ["a"], "limit": 2},
         {**_T, "where": _W, "columns": ["a"], "order_by": ["a"], "limit": 2}),
        ("open_cursor", ("t",), {"columns": ["a"]}, {**_T, "columns": ["a"]}),
        ("ping", (), {}, None),
    ],
)  # fmt: skip
def test_options_go_in_the_envelope_and_the_rest_in_the_params(
    server: FakeServer, name: str, args: Any, kwargs: Any, params: Any
) -> None:
    """A method's own keyword arguments are params; C{CallOptions} are not."""
    getattr(server.client, name)(*args, **kwargs, priority=2, timeout=1.5)
    (message,) = server.sent()
    assert message.get("params") == params
    assert (message["priority"], message["timeout"]) == (2, 1.5)


@pytest.mark.parametrize(
    ("name", "args"),
    [("ping", ()), ("select", ("t",)), ("insert", ("t", {"a": 1}))],
)
def test_an_unknown_keyword_argument_is_a_type_error(
    server: FakeServer, name: str, args: Any
) -> None:
    """A misspelt option is refused at once, not sent nor silently dropped."""
    with pytest.raises(TypeError, match="timout"):
        getattr(server.client, name)(*args, timout=1)
    assert server.sent() == []
