"""
L{dbdriver.wire.results}: results convert to the response maps of
PROTOCOL.md section 3 and back, and a map that is no response is refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver import exceptions as exc
from dbdriver.wire.results import (
    BaseResult,
    ErrorResult,
    SuccessResult,
    result_from_wire,
)


@pytest.mark.parametrize(
    "value", [None, True, 7, 1.5, "pong", b"\x00", [1, [2]], {"rows": [], "done": 1}]
)
def test_success_round_trip(value: Any) -> None:
    result = SuccessResult(3, value)
    wire = result.to_wire()
    assert wire == {"id": 3, "result": value}
    back = result_from_wire(wire)
    assert back == result and type(back) is SuccessResult
    assert back.unwrap() == value


@pytest.mark.parametrize("code", exc.PROTOCOL_CODES)
def test_error_round_trip(code: str) -> None:
    error = exc.error_for_code(code, "went wrong", {"index": 2})
    wire = ErrorResult(4, error).to_wire()
    assert wire == {
        "id": 4,
        "error": {"code": code, "message": "went wrong", "details": {"index": 2}},
    }
    back = result_from_wire(wire)
    assert isinstance(back, ErrorResult) and back.request_id == 4
    assert type(back.error) is type(error)
    assert (back.error.message, back.error.details) == ("went wrong", {"index": 2})
    with pytest.raises(type(error)):
        back.unwrap()


def test_an_error_without_an_id() -> None:
    wire = ErrorResult(None, exc.BadFrame("broken")).to_wire()
    back = result_from_wire(wire)
    assert back.request_id is None and isinstance(back, ErrorResult)
    assert back.error.code == "bad_frame"


def test_an_unknown_code_keeps_its_code() -> None:
    back = result_from_wire({"id": 1, "error": {"code": "later", "message": "m"}})
    assert isinstance(back, ErrorResult)
    assert (type(back.error), back.error.code) == (exc.DriverError, "later")
    assert back.error.details is None


def test_an_error_message_is_text() -> None:
    back = result_from_wire({"id": 1, "error": {"code": "busy"}})
    assert isinstance(back, ErrorResult)
    assert isinstance(back.error, exc.Busy) and back.error.message == ""


def test_a_null_result_is_a_result() -> None:
    assert result_from_wire({"id": 1, "result": None}) == SuccessResult(1, None)


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ([1], "not a response"),
        ({"result": 1}, "not a response"),
        ({"id": 1}, "response without result or error"),
        ({"id": 1, "error": "busy"}, "response without result or error"),
        ({"id": 1, "error": {"code": 5}}, "response without result or error"),
        ({"id": 1, "error": {"message": "m"}}, "response without result or error"),
    ],
)
def test_not_a_response(message: Any, text: str) -> None:
    with pytest.raises(exc.BadRequest) as info:
        result_from_wire(message)
    assert info.value.message.startswith(text)


def test_the_base_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseResult(1)  # type: ignore[abstract]
