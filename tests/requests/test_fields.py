"""
L{dbdriver.requests.fields}: the checks several request types share
(conflict clauses, returning lists, the where clause of a write, ordering,
raw SQL statements).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import fields as rc
from dbdriver.requests.methods import (
    CountRequest,
    DeleteRequest,
    DropTableRequest,
    SelectRequest,
    UpdateRequest,
)
from dbdriver.requests.where import TRUE


@pytest.mark.parametrize(
    "value",
    [
        None,
        "ignore",
        "replace",
        {"target": ["a"]},
        {"target": ["a"], "update": []},
        {"target": ["a", "b"], "update": ["c"]},
    ],
)
def test_good_conflict_clauses(value: Any) -> None:
    rc.on_conflict(value)


@pytest.mark.parametrize(
    "value",
    [
        "IGNORE",
        "",
        1,
        [],
        {},
        {"update": ["a"]},
        {"target": []},
        {"target": ["a"], "update": ["bad name"]},
        {"target": ["a", "a"]},
        {"target": ["a"], "where": {}},
        {"target": "a"},
    ],
)
def test_bad_conflict_clauses(value: Any) -> None:
    with pytest.raises(InvalidParams):
        rc.on_conflict(value)


def test_returning() -> None:
    rc.returning(None)
    rc.returning(["id", "name"])
    for bad in ([], ["id", "id"], "id", [1], ["bad name"]):
        with pytest.raises(InvalidParams, match="returning"):
            rc.returning(bad)


def test_a_write_needs_a_where_or_all_rows() -> None:
    assert UpdateRequest("t", {"a": 1}, all_rows=True).where_node == TRUE
    assert DeleteRequest("t", {"a": 1}).where_node == ("cmp", "a", "=", 1)
    for where in (None, {}):
        with pytest.raises(InvalidParams) as info:
            DeleteRequest("t", where)
        assert info.value.message == (
            'delete without a where clause needs "all_rows": true'
        )
        assert info.value.details == {"all_rows": False}


def test_all_rows_is_a_boolean() -> None:
    with pytest.raises(InvalidParams, match="all_rows must be a boolean"):
        UpdateRequest.from_params(
            {"table": "t", "data": {"a": 1}, "where": {"a": 1}, "all_rows": 1}
        )


def test_checked_names_the_param() -> None:
    """
    L{rc.checked} runs a check with the param's name.
    """
    seen = []
    validate = rc.checked(lambda value, what: seen.append((value, what)))
    validate(None, attrs.fields(DropTableRequest).if_exists, True)
    assert seen == [(True, "if_exists")]


def test_order_by() -> None:
    assert rc.order_by(None) == []
    assert rc.order_by([]) == []
    assert rc.order_by(["a", {"column": "b", "desc": True}, {"column": "c"}]) == [
        ("a", False),
        ("b", True),
        ("c", False),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "a",
        [1],
        ["bad name"],
        [{"column": "a", "desc": 1}],
        [{"column": "a", "asc": True}],
        [{"desc": True}],
        [["a"]],
    ],
)
def test_bad_order_by(value: Any) -> None:
    with pytest.raises(InvalidParams):
        rc.order_by(value)


def test_a_raw_statement() -> None:
    rc.raw_statement("SELECT ?", [1])
    rc.raw_statement("SELECT 1", None)
    rc.raw_statement("INSERT INTO t VALUES (?)", [{"json": [1]}])


@pytest.mark.parametrize(
    "sql",
    ["COMMIT", "  begin", "-- note\nROLLBACK", "/* a */ SAVEPOINT x", ";END"],
)
def test_transaction_control_is_refused(sql: str) -> None:
    with pytest.raises(InvalidParams, match="transaction control"):
        rc.raw_statement(sql, None)


@pytest.mark.parametrize(
    ("sql", "params", "text"),
    [
        ("", None, "sql must be non-empty text"),
        (1, None, "sql must be non-empty text"),
        ("SELECT ?", (1,), "params must be an array"),
        ("SELECT ?", [object()], "params\\[0\\]"),
        ("SELECT ?, ?", [1, {1: 2}], "params\\[1\\]"),
    ],
)
def test_bad_raw_statements(sql: Any, params: Any, text: str) -> None:
    with pytest.raises(InvalidParams, match=text):
        rc.raw_statement(sql, params)


def test_the_leading_keyword() -> None:
    assert rc.leading_keyword("  /* x */ -- y\n select 1") == "SELECT"
    assert rc.leading_keyword("") == ""
    assert rc.leading_keyword("(SELECT 1)") == ""


def test_the_first_bad_param_in_declared_order_is_reported() -> None:
    """
    The validators run in the order a request declares its params.
    """
    with pytest.raises(InvalidParams, match="invalid table"):
        SelectRequest.from_params({"table": "bad name", "where": 5, "limit": -1})
    with pytest.raises(InvalidParams, match="where must be a map"):
        SelectRequest.from_params({"table": "t", "where": 5, "limit": -1})
    with pytest.raises(InvalidParams, match="limit must be an integer >= 0"):
        SelectRequest("t", None, limit=-1, offset=-1)


def test_a_shared_param_validates_in_each_class() -> None:
    """
    One field spec (L{rc.WHERE}) serves every request that takes C{where}.
    """
    for cls in (SelectRequest, CountRequest):
        assert cls("t", {"a": 1}).where_node == ("cmp", "a", "=", 1)
        with pytest.raises(InvalidParams, match="where must be a map"):
            cls.from_params({"table": "t", "where": []})
