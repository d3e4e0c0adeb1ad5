"""
L{dbdriver.requests.base}: a request from wire params (unknown, missing and
ill-typed params are L{InvalidParams}) and back, with params at their
default left out.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.methods import (
    DropTableRequest,
    InsertRequest,
    PingRequest,
    SelectRequest,
    TransactionRequest,
)


def test_the_base_defaults() -> None:
    request = BaseRequest()
    assert (request.kind, request.reads, request.writes, request.raw_sql) == (
        "data",
        False,
        False,
        False,
    )
    assert (request.single_statement, request.alone) == (False, False)


def test_from_params() -> None:
    request = DropTableRequest.from_params({"table": "t", "if_exists": True})
    assert request == DropTableRequest("t", True)


@pytest.mark.parametrize("params", [None, {}])
def test_no_params(params: Any) -> None:
    assert PingRequest.from_params(params) == PingRequest()


@pytest.mark.parametrize("params", [[], "t", 1, ["table", "t"]])
def test_params_must_be_a_map(params: Any) -> None:
    with pytest.raises(InvalidParams, match=r"^params must be a map$"):
        DropTableRequest.from_params(params)


def test_unknown_params() -> None:
    with pytest.raises(InvalidParams) as info:
        DropTableRequest.from_params({"table": "t", "zz": 1, "aa": 2})
    assert info.value.message == "drop_table: unknown params ['aa', 'zz']"


def test_params_that_are_no_init_fields_are_unknown() -> None:
    with pytest.raises(InvalidParams, match="unknown params \\['where_node'\\]"):
        SelectRequest.from_params({"table": "t", "where_node": ("true",)})


def test_missing_params() -> None:
    with pytest.raises(InvalidParams) as info:
        InsertRequest.from_params({"on_conflict": "ignore"})
    assert info.value.message == "insert: missing params ['data', 'table']"


def test_ill_typed_params() -> None:
    with pytest.raises(InvalidParams, match="table"):
        DropTableRequest.from_params({"table": 1})


def test_to_params_leaves_out_defaults() -> None:
    assert DropTableRequest("t").to_params() == {"table": "t"}
    assert DropTableRequest("t", True).to_params() == {"table": "t", "if_exists": True}
    select = SelectRequest("t", {"a": 1}, limit=0)
    assert select.to_params() == {"table": "t", "where": {"a": 1}, "limit": 0}


def test_to_params_round_trips() -> None:
    for request in (
        PingRequest(),
        InsertRequest("t", {"a": 1}, on_conflict="ignore", returning=["a"]),
        SelectRequest("t", columns=["a"], order_by=[{"column": "a", "desc": True}]),
    ):
        assert type(request).from_params(request.to_params()) == request


def test_nested_requests_go_on_the_wire_as_maps() -> None:
    batch = TransactionRequest([InsertRequest("t", {"a": 1})])
    assert batch.to_params() == {
        "operations": [{"method": "insert", "params": {"table": "t", "data": {"a": 1}}}]
    }
    assert TransactionRequest.from_params(batch.to_params()).requests == [
        InsertRequest("t", {"a": 1})
    ]


def test_a_subclass_validates_on_construction() -> None:
    @attrs.define(slots=True)
    class Echo(BaseRequest):
        method = "echo"
        text: str

        def __attrs_post_init__(self) -> None:
            if not self.text:
                raise InvalidParams("echo needs text")

    assert Echo.from_params({"text": "x"}).to_params() == {"text": "x"}
    with pytest.raises(InvalidParams, match="echo needs text"):
        Echo.from_params({"text": ""})
    with pytest.raises(InvalidParams, match="echo: missing params \\['text'\\]"):
        Echo.from_params({})
