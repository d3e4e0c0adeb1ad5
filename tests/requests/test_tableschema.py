"""
L{dbdriver.requests.tableschema}: the records of the whole table schema,
as L{dbdriver.requests.schema.parse_table} builds them, and their one
canonical wire form whatever spelling described the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import CreateTableRequest, SyncSchemaRequest
from dbdriver.requests.schema import canonical_uuid, parse_table
from dbdriver.requests.tableschema import Default

_U = "0d8f7a8e-3c1b-4b7e-9a55-2f1f0c1d2e3f"


def _one(column: dict[str, Any]) -> dict[str, Any]:
    return {"name": "t", "columns": [{"name": "c", **column}]}


def test_a_composite_key_two_ways() -> None:
    flags = parse_table(
        {
            "name": "v",
            "columns": [
                {"name": "file_id", "type": "integer", "primary_key": True},
                {"name": "version", "type": "integer", "primary_key": True},
            ],
        }
    )
    table = parse_table(
        {
            "name": "v",
            "columns": [
                {"name": "file_id", "type": "integer"},
                {"name": "version", "type": "integer"},
            ],
            "primary_key": ["file_id", "version"],
        }
    )
    assert flags == table
    assert table.primary_key == ("file_id", "version")
    assert table.to_wire() == {
        "name": "v",
        "columns": [
            {"name": "file_id", "type": "integer", "not_null": True},
            {"name": "version", "type": "integer", "not_null": True},
        ],
        "primary_key": ["file_id", "version"],
    }


def test_a_key_that_disagrees_with_its_flags() -> None:
    with pytest.raises(InvalidParams, match="disagrees"):
        parse_table(
            {
                "name": "t",
                "columns": [
                    {"name": "a", "type": "integer", "primary_key": True},
                    {"name": "b", "type": "integer"},
                ],
                "primary_key": ["b"],
            }
        )


@pytest.mark.parametrize(
    ("column", "default"),
    [
        ({"type": "timestamp", "default": {"function": "now"}}, {"function": "now"}),
        ({"type": "real", "default": {"function": "now"}}, {"function": "now"}),
        ({"type": "uuid", "default": {"function": "uuid"}}, {"function": "uuid"}),
        ({"type": "text", "default": {"function": "uuid"}}, {"function": "uuid"}),
        ({"type": "integer", "default": {"sql": "1 + 1"}}, {"sql": "1 + 1"}),
        ({"type": "real", "default": 0}, 0.0),
        ({"type": "uuid", "default": _U}, _U),
        (
            {"type": "timestamp", "default": "2026-01-02T03:04:05+01:00"},
            "2026-01-02T02:04:05+00:00",
        ),
        ({"type": "json", "default": "[]"}, "[]"),
        ({"type": "blob", "default": b"\x00\x01"}, b"\x00\x01"),
    ],
)
def test_defaults(column: dict[str, Any], default: Any) -> None:
    parsed = parse_table(_one(column)).to_wire()
    assert parsed["columns"][0]["default"] == default


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ({"type": "real", "default": "julianday('now')"}, "not a value of type real"),
        ({"type": "timestamp", "default": "CURRENT_TIMESTAMP"}, "type timestamp"),
        ({"type": "timestamp", "default": "2026-01-02T03:04:05"}, "type timestamp"),
        ({"type": "boolean", "default": 1}, "not a value of type boolean"),
        ({"type": "text", "default": 5}, "not a value of type text"),
        ({"type": "uuid", "default": _U.upper()}, "not a UUID in canonical form"),
        ({"type": "json", "default": "{"}, "a json default is JSON text"),
        ({"type": "integer", "default": {"function": "uuid"}}, "cannot fill"),
        ({"type": "text", "default": {"function": "later"}}, "function must be"),
        ({"type": "text", "default": {"sql": ""}}, "sql must be non-empty"),
        ({"type": "text", "default": {"sql": "1", "function": "now"}}, "a literal"),
        ({"type": "text", "max_length": 2, "default": "abc"}, "longer than"),
        ({"type": "integer", "max_length": 3}, "max_length needs a text column"),
        ({"type": "text", "max_length": 0}, "max_length must be an integer"),
        ({"type": "integer", "check": {"c": {"match": "x"}}}, "match is for queries"),
        ({"type": "integer", "check": {"d": 1}}, "no column 'd'"),
        ({"type": "integer", "check": {}}, "non-empty where map"),
        ({"type": "integer", "check": {"c": {"in": []}}}, "always false"),
        ({"type": "blob", "check": {"c": b"x"}}, "operands are numbers"),
    ],
)
def test_bad_columns(column: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidParams, match=text):
        parse_table(_one(column))


def test_checks_foreign_keys_and_indexes_in_canonical_form() -> None:
    given = {
        "name": "locks",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "mode", "type": "text", "check": {"mode": {"in": ["x", "s"]}}},
            {"name": "refcount", "type": "integer"},
            {"name": "file_id", "type": "integer"},
            {"name": "version", "type": "integer"},
            {"name": "body", "type": "text"},
            {"name": "deleted", "type": "integer", "default": 0},
        ],
        "checks": [
            {"where": {"refcount": {">": 0}}},
            {"name": "ck", "where": {"id": 1}},
        ],
        "foreign_keys": [
            {
                "columns": ["file_id", "version"],
                "references": {"table": "v", "columns": ["file_id", "version"]},
                "on_delete": "CASCADE",
                "on_update": "No Action",
            }
        ],
        "indexes": [
            {
                "name": "live",
                "columns": ["mode"],
                "where": {"deleted": 0},
                "unique": True,
            },
            {"name": "words", "columns": ["body"], "kind": "fulltext"},
        ],
    }
    wire = parse_table(given).to_wire()
    assert parse_table(wire).to_wire() == wire
    assert wire["columns"][1]["check"] == {"mode": {"in": ["x", "s"]}}
    names = [c["name"] for c in wire["checks"]]
    assert names[0] == "ck" and names[1].startswith("locks_")
    assert wire["foreign_keys"] == [
        {
            "columns": ["file_id", "version"],
            "references": {"table": "v", "columns": ["file_id", "version"]},
            "on_delete": "cascade",
        }
    ]
    assert wire["indexes"] == [
        {"name": "live", "columns": ["mode"], "unique": True, "where": {"deleted": 0}},
        {"name": "words", "columns": ["body"], "kind": "fulltext"},
    ]


@pytest.mark.parametrize(
    ("index", "text"),
    [
        ({"columns": ["n"], "kind": "fulltext"}, "names text columns"),
        ({"columns": ["s"], "kind": "fulltext", "unique": True}, "never unique"),
        ({"columns": ["s"], "kind": "hash"}, "kind must be btree or fulltext"),
        ({"columns": ["s"], "where": {"x": 1}}, "no column 'x'"),
    ],
)
def test_bad_indexes(index: dict[str, Any], text: str) -> None:
    table = {
        "name": "t",
        "columns": [{"name": "s", "type": "text"}, {"name": "n", "type": "integer"}],
        "indexes": [index],
    }
    with pytest.raises(InvalidParams, match=text):
        parse_table(table)


def test_records_stay_hashable_values() -> None:
    given = _one({"type": "integer", "check": {"c": {">": 0}}})
    one, two = parse_table(given), parse_table(given)
    assert one == two and hash(one) == hash(two)
    assert one.columns[0].default is None
    assert Default("function", "now").to_wire() == {"function": "now"}


def test_canonical_uuids() -> None:
    assert canonical_uuid(_U, "x") == _U
    for bad in (_U.upper(), _U.replace("-", ""), "", 5, None):
        with pytest.raises(InvalidParams):
            canonical_uuid(bad, "x")


def test_an_sql_default_is_raw_sql() -> None:
    raw = _one({"type": "integer", "default": {"sql": "1 + 1"}})
    plain = _one({"type": "integer", "default": 2})
    assert CreateTableRequest(raw).raw_sql and not CreateTableRequest(plain).raw_sql
    assert SyncSchemaRequest({"tables": [plain, {**raw, "name": "u"}]}).raw_sql
    assert not SyncSchemaRequest({"tables": [plain]}).raw_sql


def test_one_column_keys_have_one_spelling() -> None:
    table = {
        "name": "t",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "code", "type": "text"},
            {"name": "p", "type": "integer"},
        ],
        "unique": [["code"], ["id"], ["code", "p"]],
        "foreign_keys": [
            {"columns": ["p"], "references": {"table": "u", "columns": ["id"]}}
        ],
    }
    wire = parse_table(table).to_wire()
    assert wire["columns"][1] == {"name": "code", "type": "text", "unique": True}
    assert wire["columns"][2]["references"] == {"table": "u", "column": "id"}
    assert wire["unique"] == [["code", "p"]]
    assert "foreign_keys" not in wire
