"""
L{dbdriver.wire.envelope}: a request payload becomes an L{Envelope} or an
L{EnvelopeError} with the code to answer and the id when it could be read;
no input makes L{decode_envelope} raise anything else.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import cbor2
import pytest

from dbdriver.requests.methods import REQUEST_TYPES, CountRequest, PingRequest
from dbdriver.wire.envelope import (
    Envelope,
    EnvelopeError,
    decode_envelope,
    decode_payload,
)
from dbdriver.wire.limits import DEFAULT_PRIORITY


def _refusal(message: Any) -> EnvelopeError:
    payload = message if isinstance(message, bytes) else cbor2.dumps(message)
    with pytest.raises(EnvelopeError) as info:
        decode_envelope(payload)
    return info.value


def test_a_whole_request() -> None:
    envelope = decode_envelope(
        cbor2.dumps(
            {
                "id": 7,
                "method": "count",
                "params": {"table": "t"},
                "priority": 0,
                "timeout": 2.5,
                "transaction_id": "tx1",
            }
        )
    )
    assert envelope == Envelope(7, CountRequest("t"), 0, 2.5, "tx1")


def test_defaults() -> None:
    envelope = decode_envelope(cbor2.dumps({"id": 0, "method": "ping"}))
    assert envelope == Envelope(0, PingRequest())
    assert (envelope.priority, envelope.timeout) == (DEFAULT_PRIORITY, None)
    assert envelope.transaction_id is None


def test_an_integer_timeout_and_the_priority_bounds() -> None:
    for priority in (0, 9):
        message = {"id": 1, "method": "ping", "priority": priority, "timeout": 3}
        envelope = decode_envelope(cbor2.dumps(message))
        assert (envelope.priority, envelope.timeout) == (priority, 3)


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xff", b"\x9f", cbor2.dumps({"id": 1}) + b"\x00"],
    ids=["empty", "break", "unfinished", "trailing bytes"],
)
def test_payloads_that_are_no_single_cbor_item(payload: bytes) -> None:
    refusal = _refusal(payload)
    assert (refusal.request_id, refusal.error.code) == (None, "bad_request")


def test_duplicate_keys_are_refused() -> None:
    payload = b"\xa2" + cbor2.dumps("id") + b"\x01" + cbor2.dumps("id") + b"\x02"
    assert _refusal(payload).error.code == "bad_request"


@pytest.mark.parametrize("message", [[1], "ping", 3, None])
def test_a_request_must_be_a_map(message: Any) -> None:
    refusal = _refusal(message)
    assert (refusal.request_id, refusal.error.code) == (None, "bad_request")
    assert refusal.error.message == "a request must be a CBOR map"


@pytest.mark.parametrize("request_id", [None, -1, 1.0, "1", True, [1]])
def test_the_id_must_be_an_unsigned_integer(request_id: Any) -> None:
    refusal = _refusal({"id": request_id, "method": "ping"})
    assert (refusal.request_id, refusal.error.code) == (None, "bad_request")
    assert refusal.error.message == "id must be an unsigned integer"


def test_a_missing_id() -> None:
    assert _refusal({"method": "ping"}).request_id is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"method": None}, "method must be text"),
        ({"method": ["ping"]}, "method must be text"),
        ({"priority": 10}, "priority must be an integer 0..9"),
        ({"priority": -1}, "priority must be an integer 0..9"),
        ({"priority": 5.0}, "priority must be an integer 0..9"),
        ({"priority": True}, "priority must be an integer 0..9"),
        ({"timeout": 0}, "timeout must be a number of seconds > 0 and <= 31536000"),
        ({"timeout": -1.5}, "timeout must be a number of seconds > 0 and <= 31536000"),
        (
            {"timeout": math.inf},
            "timeout must be a number of seconds > 0 and <= 31536000",
        ),
        (
            {"timeout": math.nan},
            "timeout must be a number of seconds > 0 and <= 31536000",
        ),
        ({"timeout": "1"}, "timeout must be a number of seconds > 0 and <= 31536000"),
        ({"timeout": True}, "timeout must be a number of seconds > 0 and <= 31536000"),
        ({"transaction_id": 1}, "transaction_id must be text"),
        ({"params": [1]}, "params must be a map"),
        ({"params": "x"}, "params must be a map"),
        ({"extra": 1}, "unknown top-level keys: 'extra'"),
        ({1: 1, "b": 2}, "unknown top-level keys: 'b', 1"),
    ],
)
def test_malformed_top_level_keys(extra: dict[Any, Any], message: str) -> None:
    refusal = _refusal({"id": 4, "method": "ping", **extra})
    assert (refusal.request_id, refusal.error.code) == (4, "bad_request")
    assert refusal.error.message == message


def test_an_unknown_method_keeps_the_id() -> None:
    refusal = _refusal({"id": 5, "method": "frobnicate"})
    assert (refusal.request_id, refusal.error.code) == (5, "unknown_method")
    assert refusal.error.details == {"method": "frobnicate"}


def test_invalid_params_keep_the_id() -> None:
    refusal = _refusal({"id": 6, "method": "count", "params": {"table": "no good"}})
    assert (refusal.request_id, refusal.error.code) == (6, "invalid_params")


def test_the_error_is_the_exception_message() -> None:
    refusal = _refusal({"id": 6, "method": 1})
    assert str(refusal) == refusal.error.message == "method must be text"


#: Values of every shape, for every param of every method.
_ODD: list[Any] = [
    None, True, 0, -1, 1.5, math.nan, "", "x", "bad name", b"x", [], ["x"],
    [["x"]], [{}], [{"a": 1}], {}, {"a": 1}, {"a": []}, {"a": {}}, {"$or": [[]]},
    {"a": {"in": [[]]}}, {"a": {"between": [[], {}]}}, {"target": [[]]},
    {"name": ["x"]}, {"tables": [{"name": ["x"]}]},
    {"name": "t", "columns": [{"name": "a", "type": ["x"]}]},
    {"name": "t", "columns": [{"name": "a", "type": {"a": 1}}]},
    {"name": "t", "columns": [{"name": "a", "type": "integer",
                               "references": {"table": "u", "column": "id",
                                              "on_delete": ["x"]}}]},
    [{"method": "insert", "params": {"table": "t", "data": {"a": 1}},
      "bind": {"a": []}}],
    [{"method": ["insert"]}],
]  # fmt: skip


@pytest.mark.parametrize("method", sorted(REQUEST_TYPES))
def test_no_params_make_it_raise_anything_else(method: str) -> None:
    names = [f.name for f in attrs.fields(REQUEST_TYPES[method]) if f.init]
    for name in names:
        for value in _ODD:
            for tables in ([value], value):
                params = {name: {"tables": tables} if name == "schema_definition"
                          else value}  # fmt: skip
                message = {"id": 1, "method": method, "params": params}
                try:
                    decode_envelope(cbor2.dumps(message))
                except EnvelopeError as e:
                    assert e.request_id == 1
                    assert e.error.code in ("invalid_params", "bad_request")


def test_decode_payload() -> None:
    assert decode_payload(cbor2.dumps({"a": [1, b"x"]})) == {"a": [1, b"x"]}
