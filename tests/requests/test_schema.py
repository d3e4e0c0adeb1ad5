"""
L{dbdriver.requests.schema}: the table-schema format parsed into typed
values, every part checked, with messages that name the bad part.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import (
    PORTABLE_TYPES,
    Column,
    Default,
    Index,
    Reference,
    TableSchema,
)

_ID = {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True}


def _table(**extra: Any) -> dict[str, Any]:
    return {
        "name": "files",
        "columns": [_ID, {"name": "path", "type": "text", "not_null": True}],
        **extra,
    }


def test_a_whole_schema() -> None:
    schema = parse_table(
        _table(
            unique=[["path"]],
            indexes=[{"columns": ["path"]}, {"name": "by_id", "columns": ["id"]}],
            drop_columns=True,
        )
    )
    assert schema == TableSchema(
        "files",
        (
            Column(
                "id", "integer", primary_key=True, autoincrement=True, not_null=True
            ),
            Column("path", "text", not_null=True, unique=True),
        ),
        ("id",),
        (),
        indexes=(Index("by_id", ("id",)), Index("idx_files_path", ("path",))),
        drop_columns=True,
    )
    assert schema.primary_key == ("id",)


def test_the_portable_types() -> None:
    assert sorted(PORTABLE_TYPES) == [
        "bigint", "blob", "boolean", "integer", "json", "real", "text", "timestamp",
        "uuid",
    ]  # fmt: skip
    for kind in PORTABLE_TYPES:
        schema = parse_table({"name": "t", "columns": [{"name": "c", "type": kind}]})
        assert schema.columns[0].type == kind


def test_defaults_and_references() -> None:
    schema = parse_table(
        {
            "name": "t",
            "columns": [
                {"name": "a", "type": "integer", "default": 0},
                {"name": "b", "type": "text", "default": None},
                {"name": "c", "type": "boolean", "default": False},
                {"name": "d", "type": "integer", "references": {
                    "table": "u", "column": "id", "on_delete": "cascade"}},
                {"name": "e", "type": "real"},
            ],
        }
    )  # fmt: skip
    a, b, c, d, e = schema.columns
    assert (a.has_default, a.default) == (True, Default("literal", 0))
    assert (b.has_default, b.default) == (True, Default("literal", None))
    assert (c.has_default, c.default) == (True, Default("literal", False))
    assert d.references == Reference("u", ("id",), "cascade", None)
    assert (e.has_default, e.default, e.references) == (False, None, None)


def _column(**column: Any) -> dict[str, Any]:
    return {"name": "t", "columns": [{"name": "c", "type": "integer", **column}]}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([], "schema must be a map"),
        ({"name": "t", "columns": [], "x": 1}, "schema: unknown keys \\['x'\\]"),
        ({"name": "bad name", "columns": [_ID]}, "invalid table name"),
        ({"name": "t"}, "table t: columns must be a non-empty array"),
        ({"name": "t", "columns": []}, "table t: columns must be a non-empty array"),
        ({"name": "t", "columns": ["id"]}, "each column must be a map"),
        ({"name": "t", "columns": [_ID, _ID]}, "a column name appears twice"),
        (_column(kind="integer"), "unknown keys \\['kind'\\]"),
        (_column(type="int"), "type must be one of"),
        (_column(type=["integer"]), "type must be one of"),
        (_column(name=["c"]), "invalid column name"),
        (_column(not_null=1), "column c: not_null must be a boolean"),
        (_column(default=[1]), "column c: default: \\[1\\] is not a value of type"),
        (_column(default=b"x"), "column c: default: b'x' is not a value of type"),
        (_column(default=True), "True is not a value of type integer"),
        (_column(default=float("inf")), "inf is not a value of type integer"),
        (_column(default=2**63), "is not a value of type integer"),
        (_column(autoincrement=True), "autoincrement needs a single integer primary"),
        (_column(references="u"), "column c: references must be a map"),
        (_column(references={"table": "u"}), "invalid referenced column"),
        (_column(references={"table": "u", "column": "id", "x": 1}), "unknown keys"),
        (
            _column(references={"table": "u", "column": "id", "on_update": "drop"}),
            "column c: on_update must be one of",
        ),
        (
            _column(references={"table": "u", "column": "id", "on_delete": ["x"]}),
            "column c: on_delete must be one of",
        ),
        (_table(unique="path"), "table files: unique must be an array"),
        (_table(unique=[["nope"]]), "table files: no column 'nope'"),
        (_table(indexes={}), "table files: indexes must be an array"),
        (_table(indexes=["path"]), "each index must be a map"),
        (_table(indexes=[{"columns": ["nope"]}]), "no column 'nope'"),
        (_table(indexes=[{"columns": ["path"], "x": 1}]), "index: unknown keys"),
        (_table(indexes=[{"columns": ["id"], "name": "1x"}]), "invalid index name"),
        (_table(indexes=[{"columns": ["id"], "unique": 1}]), "index unique"),
        (
            _table(indexes=[{"columns": ["id"]}, {"columns": ["id"]}]),
            "an index name appears twice",
        ),
        (_table(drop_columns="yes"), "drop_columns must be a boolean"),
    ],
)
def test_bad_schemas(value: Any, text: str) -> None:
    with pytest.raises(InvalidParams, match=text):
        parse_table(value)


def test_autoincrement_needs_one_integer_key() -> None:
    two_keys = {"name": "t", "columns": [_ID, {**_ID, "name": "id2"}]}
    text_key = {"name": "t", "columns": [{**_ID, "type": "text"}]}
    for value in (two_keys, text_key):
        with pytest.raises(InvalidParams, match="autoincrement"):
            parse_table(value)


def test_schemas_are_frozen_values() -> None:
    one, two = parse_table(_table()), parse_table(_table())
    assert one == two and hash(one) == hash(two)
    with pytest.raises(AttributeError):
        one.name = "other"  # type: ignore[misc]
