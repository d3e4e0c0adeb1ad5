"""
L{dbdriver.requests.literals}: a column's default checked against the
column's type, and canonical UUIDs.
"""

from __future__ import annotations

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.literals import canonical_uuid, column_default
from dbdriver.requests.tableschema import Default

_U = "0d8f7a8e-3c1b-4b7e-9a55-2f1f0c1d2e3f"


@pytest.mark.parametrize(
    ("kind", "value", "default"),
    [
        ("integer", 7, Default("literal", 7)),
        ("real", 1, Default("literal", 1.0)),
        ("boolean", False, Default("literal", False)),
        ("text", None, Default("literal", None)),
        ("uuid", _U, Default("literal", _U)),
        ("timestamp", "2026-01-01T00:00:00-02:00",
         Default("literal", "2026-01-01T02:00:00+00:00")),
        ("bigint", {"function": "now"}, Default("function", "now")),
        ("text", {"function": "uuid"}, Default("function", "uuid")),
        ("json", {"sql": "'[]'"}, Default("sql", "'[]'")),
    ],
)  # fmt: skip
def test_defaults(kind: str, value: object, default: Default) -> None:
    assert column_default("c", kind, None, value) == default


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("integer", 2**63),
        ("integer", True),
        ("real", float("nan")),
        ("boolean", 0),
        ("blob", "x"),
        ("text", "a\x00b"),
        ("uuid", "nope"),
        ("timestamp", 5),
        ("json", "not json"),
        ("real", {"function": "uuid"}),
        ("text", {"sql": "x", "function": "now"}),
    ],
)
def test_wrong_defaults(kind: str, value: object) -> None:
    with pytest.raises(InvalidParams, match="column c: default"):
        column_default("c", kind, None, value)


def test_a_text_default_within_max_length() -> None:
    assert column_default("c", "text", 3, "abc") == Default("literal", "abc")
    with pytest.raises(InvalidParams, match="longer than max_length 2"):
        column_default("c", "text", 2, "abc")


def test_canonical_uuids() -> None:
    assert canonical_uuid(_U, "x") == _U
    for bad in (_U.upper(), "{" + _U + "}", _U.replace("-", ""), "", 5, None):
        with pytest.raises(InvalidParams, match="canonical form"):
            canonical_uuid(bad, "x")


@pytest.mark.parametrize(
    "sql",
    [
        "0)); CREATE TABLE smuggled (z int); SELECT ((1",
        "0) , x int CHECK (1",
        "1; DROP TABLE t",
        "1 -- the rest of the line",
        "1 /* a comment */",
        "(1",
    ],
)
def test_an_sql_default_is_one_expression(sql: str) -> None:
    with pytest.raises(InvalidParams, match="column c: default: sql"):
        column_default("c", "integer", None, {"sql": sql})
    assert column_default("c", "text", None, {"sql": "lower('a;b)')"}).value == (
        "lower('a;b)')"
    )


def test_values_that_overflow_or_nest_too_deep() -> None:
    for kind, value in (
        ("timestamp", "9999-12-31T23:59:59-05:00"),
        ("json", "[" * 100000),
    ):
        with pytest.raises(InvalidParams):
            column_default("c", kind, None, value)
