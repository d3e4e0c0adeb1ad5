"""
L{dbdriver.requests.binds} on its own: a bind names an earlier insert that
returns an id, for a column the rows do not give; binding writes new row
maps (the caller's maps stay as they were, a batch that runs again binds
again) and checks the source's result.
"""

from __future__ import annotations

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.binds import BINDABLE, apply_binds, check_binds
from dbdriver.requests.methods import TransactionRequest
from dbdriver.requests.rows import CountRequest, InsertManyRequest, InsertRequest


def test_binding_leaves_the_callers_maps_alone() -> None:
    rows = [{"name": "a"}, {"name": "b"}]
    data = {"path": "x"}
    batch = TransactionRequest(
        operations=[
            {"method": "insert", "params": {"table": "p", "data": {"n": 1}}},
            {"method": "insert_many", "params": {"table": "c", "rows": rows},
             "bind": {"p_id": 0}},
            {"method": "insert", "params": {"table": "f", "data": data},
             "bind": {"p_id": 0}},
        ]
    )  # fmt: skip
    many, single = batch.requests[1], batch.requests[2]
    for key in (7, 8):  # a group that runs again binds again
        apply_binds(many, {"p_id": 0}, [key])
        apply_binds(single, {"p_id": 0}, [key])
        assert many.rows == [{"name": "a", "p_id": key}, {"name": "b", "p_id": key}]
        assert single.data == {"path": "x", "p_id": key}
    assert rows == [{"name": "a"}, {"name": "b"}] and data == {"path": "x"}


@pytest.mark.parametrize("result", [None, True, 1.0, "1", {"id": 1}])
def test_a_result_that_is_no_integer_id_is_refused(result: object) -> None:
    batch = TransactionRequest(
        operations=[
            {"method": "insert", "params": {"table": "p", "data": {"n": 1}}},
            {"method": "insert", "params": {"table": "f", "data": {"a": 1}},
             "bind": {"p_id": 0}},
        ]
    )  # fmt: skip
    with pytest.raises(InvalidParams) as caught:
        apply_binds(batch.requests[1], {"p_id": 0}, [result])
    assert caught.value.details == {"bind": "p_id"}
    assert batch.requests[1].data == {"a": 1}


_PARENT = InsertRequest("p", {"n": 1})


def test_check_binds() -> None:
    child = InsertManyRequest("c", [{"name": "a"}])
    assert check_binds(None, child, [_PARENT]) is None
    assert check_binds({"p_id": 0}, child, [_PARENT]) == {"p_id": 0}
    assert {"insert", "insert_many"} == BINDABLE


@pytest.mark.parametrize(
    ("bind", "request_", "earlier", "text", "details"),
    [
        ({"p_id": 0}, CountRequest("c"), [_PARENT], "not count", None),
        ({}, InsertRequest("c", {"a": 1}), [_PARENT], "non-empty map", None),
        ([0], InsertRequest("c", {"a": 1}), [_PARENT], "non-empty map", None),
        ({"bad name": 0}, InsertRequest("c", {"a": 1}), [_PARENT], "invalid", None),
        ({"p_id": 1}, InsertRequest("c", {"a": 1}), [_PARENT], "earlier", "p_id"),
        ({"p_id": -1}, InsertRequest("c", {"a": 1}), [_PARENT], "earlier", "p_id"),
        ({"p_id": True}, InsertRequest("c", {"a": 1}), [_PARENT], "earlier", "p_id"),
        (
            {"p_id": 0},
            InsertRequest("c", {"a": 1}),
            [CountRequest("p")],
            "no ins",
            "p_id",
        ),
        (
            {"p_id": 0},
            InsertRequest("c", {"a": 1}),
            [InsertRequest("p", {"n": 1}, returning=["n"])],
            "is no insert that returns an id",
            "p_id",
        ),
        (
            {"p_id": 0},
            InsertRequest("c", {"p_id": 1}),
            [_PARENT],
            "the column is also given in the row",
            "p_id",
        ),
        (
            {"p_id": 0},
            InsertManyRequest("c", [{"p_id": 1}]),
            [_PARENT],
            "the column is also given in the row",
            "p_id",
        ),
    ],
)
def test_bad_binds(
    bind: object,
    request_: BaseRequest,
    earlier: list[BaseRequest],
    text: str,
    details: str | None,
) -> None:
    with pytest.raises(InvalidParams, match=text) as caught:
        check_binds(bind, request_, earlier)
    if details is not None:
        assert caught.value.details == {"bind": details}


def test_binding_nothing_else() -> None:
    count = CountRequest("c")
    apply_binds(count, {"p_id": 0}, [7])
    assert count == CountRequest("c")
