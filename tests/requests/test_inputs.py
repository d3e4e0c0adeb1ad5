"""
L{dbdriver.requests.inputs}: the quoting of input in error messages (at
most 200 characters, whatever the value) and the shape check that refuses
shared, cyclic and too deeply nested values without recursing.
"""

from __future__ import annotations

import pytest

from dbdriver.requests.inputs import (
    MAX_PAYLOAD_NESTING,
    QUOTE_LIMIT,
    Unshaped,
    check_shape,
    clipped,
    key_text,
    quoted,
    shown,
)


@pytest.mark.parametrize(
    "value",
    [
        "x" * 9_000_000,
        10**5000,
        -(10**5000),
        [10**5000] * 1000,
        {"k" * 1000: ["v" * 1000] * 1000},
        frozenset(range(10_000)),
        b"\x00" * 1_000_000,
        [[[[[[[[[[1]]]]]]]]]],
    ],
    ids=["text", "bignum", "negative-bignum", "list", "map", "set", "bytes", "deep"],
)
def test_quoted_is_short_whatever_the_value(value: object) -> None:
    assert len(quoted(value)) <= QUOTE_LIMIT


def test_quoted_short_values_as_python_writes_them() -> None:
    assert quoted("t") == "'t'"
    assert quoted([]) == "[]"
    assert quoted(12) == "12"
    assert quoted(10**5000) == "<integer of 16610 bits>"


def test_quoted_frozendict_as_a_map() -> None:
    import cbor2

    key = next(iter(cbor2.loads(b"\xa1\xa1\x01\x02\x03")))  # a map as a key
    assert quoted(key) == "{1: 2}"


def test_clipped_shown_key_text() -> None:
    assert clipped("abc") == "abc"
    assert clipped("a" * 1000) == "a" * (QUOTE_LIMIT - 3) + "..."
    assert shown("name") == "name"
    assert shown("n" * 1000) == quoted("n" * 1000)
    assert shown(7) == "7"
    assert key_text("k") == "k"
    assert key_text((1, 2)) == "(1, 2)"


def _cycle() -> list[object]:
    value: list[object] = []
    value.append(value)
    return value


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value, message",
    [
        (_cycle(), "cyclic"),
        ({"a": {"b": _cycle()}}, "cyclic"),
        ([[1, 2]] * 2, "shared"),
        (_nested(MAX_PAYLOAD_NESTING + 1), "nest deeper"),
        (_nested(100_000), "nest deeper"),
    ],
    ids=["cycle", "inner-cycle", "shared", "one-too-deep", "very-deep"],
)
def test_check_shape_refuses(value: object, message: str) -> None:
    with pytest.raises(Unshaped, match=message):
        check_shape(value)


@pytest.mark.parametrize(
    "value",
    [
        _nested(MAX_PAYLOAD_NESTING),
        {"a": [], "b": [], "c": ()},  # empty containers may be one object
        {"a": "same", "b": "same"},
        {(1, 2): {frozenset([1]): [1, 2, 3]}},
        None,
    ],
    ids=["deepest", "empties", "strings", "keys", "scalar"],
)
def test_check_shape_accepts(value: object) -> None:
    check_shape(value)
