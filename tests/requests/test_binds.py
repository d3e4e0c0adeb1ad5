"""
L{dbdriver.requests.binds} on its own: binding writes new row maps (the caller's
maps stay as they were, a batch that runs again binds again) and checks the
source's result.
"""

from __future__ import annotations

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.binds import apply_binds
from dbdriver.requests.methods import TransactionRequest


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
