"""
L{dbdriver.requests.rows}: the row methods validate on construction (a
client gets the server's L{InvalidParams} before anything is sent) and say
how they run (reads, writes, one statement, alone, raw SQL).
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.rows import (
    CountRequest,
    DeleteRequest,
    ExecuteRequest,
    InsertManyRequest,
    InsertRequest,
    SelectRequest,
    UpdateRequest,
)
from dbdriver.requests.where import TRUE


@pytest.mark.parametrize(
    ("request_", "flags"),
    [
        (InsertRequest("t", {"a": 1}), (False, True, True, False, False)),
        (InsertManyRequest("t", [{"a": 1}]), (False, True, False, False, False)),
        (
            UpdateRequest("t", {"a": 1}, all_rows=True),
            (False, True, True, False, False),
        ),
        (DeleteRequest("t", {"a": 1}), (False, True, True, False, False)),
        (SelectRequest("t"), (True, False, False, False, False)),
        (CountRequest("t"), (True, False, False, False, False)),
        (ExecuteRequest("SELECT 1"), (False, False, False, True, True)),
    ],
)
def test_how_they_run(request_: BaseRequest, flags: tuple[bool, ...]) -> None:
    assert (
        request_.reads,
        request_.writes,
        request_.single_statement,
        request_.alone,
        request_.raw_sql,
    ) == flags
    assert request_.kind == "data"


def test_the_parsed_parts() -> None:
    select = SelectRequest(
        "t", {"a": {">": 1}}, order_by=[{"column": "a", "desc": True}]
    )
    assert (select.where_node, select.order) == (("cmp", "a", ">", 1), [("a", True)])
    assert CountRequest("t").where_node == TRUE
    assert DeleteRequest("t", all_rows=True).where_node == TRUE
    update = UpdateRequest("t", {"b": 2}, {"a": None})
    assert update.where_node == ("null", "a", True)


@pytest.mark.parametrize(
    ("cls", "params", "text"),
    [
        (InsertRequest, {"table": "bad name", "data": {"a": 1}}, "invalid table"),
        (InsertRequest, {"table": "t", "data": []}, "data must be a non-empty map"),
        (UpdateRequest, {"table": "t", "data": {}, "all_rows": True}, "non-empty"),
        (InsertRequest, {"table": "t", "data": {"a": object()}}, "data.a"),
        (InsertRequest, {"table": "t", "data": {"bad name": 1}}, "invalid column"),
        (InsertRequest, {"table": "t", "data": {"a": 1}, "on_conflict": "x"}, "on_con"),
        (InsertRequest, {"table": "t", "data": {"a": 1}, "returning": []}, "returning"),
        (InsertManyRequest, {"table": "t", "rows": {}}, "rows must be an array"),
        (
            InsertManyRequest,
            {"table": "t", "rows": [{"a": 1}, {"b": 1}]},
            "rows\\[1\\]",
        ),
        (
            InsertManyRequest,
            {"table": "t", "rows": [{"a": 1}], "on_conflict": 1},
            "on_",
        ),
        (UpdateRequest, {"table": "t", "data": {"a": 1}}, 'needs "all_rows": true'),
        (UpdateRequest, {"table": "t", "data": {}, "all_rows": True}, "data must be"),
        (DeleteRequest, {"table": "t"}, 'delete without a where clause needs "all_ro'),
        (DeleteRequest, {"table": "t", "where": {"$x": 1}}, "unknown where operator"),
        (SelectRequest, {"table": "t", "limit": -1}, "limit must be an integer >= 0"),
        (SelectRequest, {"table": "t", "offset": 1.0}, "offset must be an integer"),
        (SelectRequest, {"table": "t", "columns": ["a", "a"]}, "names a column twice"),
        (SelectRequest, {"table": "t", "order_by": [1]}, "order_by column"),
        (SelectRequest, {"table": "t", "where": []}, "where must be a map"),
        (CountRequest, {"table": "t", "where": {"a": {"in": 1}}}, "takes an array"),
        (ExecuteRequest, {"sql": "BEGIN"}, "transaction control"),
        (ExecuteRequest, {"sql": "SELECT ?", "params": {}}, "params must be an array"),
    ],
)
def test_bad_requests(
    cls: type[BaseRequest], params: dict[str, Any], text: str
) -> None:
    with pytest.raises(InvalidParams, match=text):
        cls.from_params(params)


def test_values_the_wire_carries_pass() -> None:
    row = {"i": 1, "f": 1.5, "s": "x", "b": b"\x00", "t": True, "n": None, "j": [1]}
    assert InsertRequest("t", row).data is row
    assert ExecuteRequest("SELECT ?, ?", [1, "x"]).params == [1, "x"]
