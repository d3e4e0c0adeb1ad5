"""
L{dbdriver.requests.cursors}: C{open_cursor} takes a table query or raw SQL,
never both; C{fetch} and C{close_cursor} name a cursor.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.cursors import (
    DEFAULT_FETCH_SIZE,
    CloseCursorRequest,
    FetchRequest,
    OpenCursorRequest,
)
from dbdriver.requests.where import TRUE


def test_a_table_cursor() -> None:
    request = OpenCursorRequest(
        "t", {"a": 1}, columns=["a", "b"], order_by=["b", {"column": "a", "desc": True}]
    )
    assert request.where_node == ("cmp", "a", "=", 1)
    assert request.order == [("b", False), ("a", True)]
    assert (request.kind, request.raw_sql, request.writes) == ("cursor", False, False)


def test_a_sql_cursor() -> None:
    request = OpenCursorRequest(sql="SELECT ? AS a", params=[1])
    assert (request.where_node, request.order) == (TRUE, [])
    assert request.raw_sql is True


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({}, "open_cursor takes either table or sql"),
        ({"table": "t", "sql": "SELECT 1"}, "open_cursor takes either table or sql"),
        ({"table": "t", "params": [1]}, "params go with sql, not table"),
        ({"sql": "SELECT 1", "where": {"a": 1}}, "where, columns and order_by go"),
        ({"sql": "SELECT 1", "columns": ["a"]}, "where, columns and order_by go"),
        ({"sql": "SELECT 1", "order_by": ["a"]}, "where, columns and order_by go"),
        ({"sql": "COMMIT"}, "transaction control"),
        ({"sql": "SELECT ?", "params": [object()]}, "params\\[0\\]"),
        ({"table": "bad name"}, "invalid table"),
        ({"table": "t", "where": {"a": {"~": 1}}}, "unknown operator"),
        ({"table": "t", "columns": []}, "columns must be a non-empty array"),
        ({"table": "t", "order_by": "a"}, "order_by must be an array"),
    ],
)
def test_bad_cursors(params: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidParams, match=text):
        OpenCursorRequest.from_params(params)


def test_fetch() -> None:
    assert FetchRequest("c1").size == DEFAULT_FETCH_SIZE == 1000
    assert FetchRequest.from_params({"cursor_id": "c1", "size": 1}).size == 1
    assert FetchRequest("c1").to_params() == {"cursor_id": "c1"}
    for params in ({"cursor_id": ""}, {"cursor_id": 1}, {"cursor_id": "c", "size": 0}):
        with pytest.raises(InvalidParams):
            FetchRequest.from_params(params)


def test_close() -> None:
    assert CloseCursorRequest("c1").to_params() == {"cursor_id": "c1"}
    assert CloseCursorRequest("c1").kind == "cursor"
    for params in ({}, {"cursor_id": ""}, {"cursor_id": ["c1"]}):
        with pytest.raises(InvalidParams):
            CloseCursorRequest.from_params(params)
