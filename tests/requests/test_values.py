"""
The row checks of C{insert}/C{insert_many} (L{dbdriver.requests.values}): their
fast paths (names seen before, plain values, rows after the first) must
refuse exactly what the full check refuses, with the row's index, and the
server must answer such a request C{invalid_params} sent raw, past the
client's own validation.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

GOOD = {"a": 1, "b": "x", "c": None, "d": 1.5, "e": b"\x00", "f": True}


class _Row(dict):  # type: ignore[type-arg]
    """A dict subclass: takes the full path, with the same answers."""


def test_plain_and_json_rows_pass_unchanged() -> None:
    when = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    rows = [dict(GOOD), {**GOOD, "a": 2}, _Row({**GOOD, "b": "y"})]
    assert check.rows(rows) is rows
    jsons = [{"j": [1, "a", {"k": [None, 2.5]}], "t": when}, {"j": {}, "t": None}]
    assert check.rows(jsons) is jsons
    assert check.row(dict(GOOD)) == GOOD
    assert check.row({"j": {"nested": [True]}}) == {"j": {"nested": [True]}}


@pytest.mark.parametrize(
    "bad_row, fragment",
    [
        ({**GOOD, "a": {1, 2}}, "set is not a column value"),
        ({**GOOD, "a": [{"k": object()}]}, "object cannot be stored as JSON"),
        ({**GOOD, "a": {1: "x"}}, "JSON object keys must be text"),
        ({**GOOD, "a": (1, 2)}, "tuple is not a column value"),
        ({**GOOD, "z": 1}, "other columns than rows[0]"),
        ({k: v for k, v in GOOD.items() if k != "f"}, "other columns than rows[0]"),
        ("x", "non-empty map"),
        ([1], "non-empty map"),
        ({**GOOD, "bad name": 1}, "invalid column"),
    ],
)
@pytest.mark.parametrize("position", [0, 2])
def test_a_bad_row_is_refused_with_its_index(
    bad_row: Any, fragment: str, position: int
) -> None:
    rows = [dict(GOOD), dict(GOOD), dict(GOOD)]
    rows[position] = bad_row
    if position == 0 and "other columns" in fragment:
        rows[1] = dict(GOOD)  # then rows[1] is the one that differs
        fragment, position = "other columns than rows[0]", 1
    with pytest.raises(InvalidParams) as caught:
        check.rows(rows)
    assert caught.value.message.startswith(f"rows[{position}]")
    assert fragment in caught.value.message
    assert caught.value.details is not None
    assert caught.value.details["index"] == position


@pytest.mark.parametrize("value", [{"a": 1, 2: "x"}, {"a": {3}}, {"a": math.pi, "": 1}])
def test_row_fast_path_falls_back_to_the_full_check(value: Any) -> None:
    check.identifier("a")  # a name seen before
    with pytest.raises(InvalidParams):
        check.row(value)


def test_rows_must_be_an_array() -> None:
    with pytest.raises(InvalidParams, match="rows must be an array"):
        check.rows({"a": 1})


@pytest_twisted.ensureDeferred
async def test_the_server_refuses_a_bad_later_row_sent_raw(tmp_path: Any) -> None:
    running = await start_driver(tmp_path)
    try:
        client = await running.client()
        await client.create_table(
            {"name": "t", "columns": [{"name": "a", "type": "integer"}]}
        )
        peer = await connect_raw(reactor, running.socket_path)
        for rows, index in (
            ([{"a": 1}, {"a": 2}, {"a": [{"k": {1, 2}}]}], 2),
            ([{"a": 1}, {"b": 2}], 1),
        ):
            answer = await peer.call(
                {
                    "id": 1,
                    "method": "insert_many",
                    "params": {"table": "t", "rows": rows},
                }
            )
            assert answer["error"]["code"] == "invalid_params", answer
            assert answer["error"]["details"] == {"index": index}
        assert await client.count("t") == 0
    finally:
        await running.stop()
