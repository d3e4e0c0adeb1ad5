"""
C{describe_table} (PROTOCOL.md section 4) reads a table's whole schema back
from the catalog, the same on every backend: what C{create_table} was given
(L{same_schema}), for each key of the format alone and for the tables of
the application schema L{V1}, L{V2} and L{V3}; C{create_table} of a
described schema makes the same table again; C{sync_schema} of the
described tables changes nothing; a missing table is C{no_such_table}.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.appschema import V1, V2, V3, same_schema
from tests.support.data import error_of


def _id() -> dict[str, Any]:
    return {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True}


def _one(*columns: dict[str, Any], **table: Any) -> dict[str, Any]:
    return {"name": "one", "columns": [_id(), *columns], **table}


_N = {"name": "n", "type": "integer"}
_T = {"name": "t", "type": "text"}

#: Each key of the table schema, alone on a small table.
KEYS: dict[str, list[dict[str, Any]]] = {
    "types": [_one(*({"name": f"c_{t}", "type": t} for t in (
        "integer", "bigint", "real", "text", "blob", "boolean", "timestamp",
        "json", "uuid")))],
    "not_null": [_one({**_N, "not_null": True})],
    "unique": [_one({**_N, "unique": True}),
               {**_one(_N, _T, unique=[["n", "t"]]), "name": "two"}],
    "text_primary_key": [{"name": "one", "columns": [
        {"name": "code", "type": "text", "primary_key": True}]}],
    "uuid_primary_key": [{"name": "one", "columns": [
        {"name": "id", "type": "uuid", "primary_key": True,
         "default": {"function": "uuid"}}]}],
    "table_primary_key": [{"name": "one", "columns": [_N, _T],
                           "primary_key": ["t", "n"]}],
    "max_length": [_one({**_T, "max_length": 40})],
    "literal_defaults": [_one(
        {**_N, "default": -3}, {"name": "b", "type": "bigint", "default": 2**40},
        {"name": "r", "type": "real", "default": 0.25},
        {**_T, "default": "it's"},
        {"name": "on", "type": "boolean", "default": True},
        {"name": "off", "type": "boolean", "not_null": True, "default": False},
        {"name": "u", "type": "uuid",
         "default": "6b2d4ee9-58b4-4c39-9a49-60f1e0f7f4a1"})],
    "now_defaults": [_one(*({"name": f"at_{t}", "type": t,
                             "default": {"function": "now"}}
                            for t in ("timestamp", "real", "integer", "bigint")))],
    "uuid_defaults": [_one(*({"name": f"u_{t}", "type": t,
                              "default": {"function": "uuid"}}
                             for t in ("uuid", "text")))],
    "column_check": [_one({**_N, "check": {"n": {">": 0}}},
                          {**_T, "check": {"t": {"in": ["a", "b"]}}})],
    "table_checks": [_one(_N, _T, checks=[
        {"name": "one_n_small", "where": {"n": {"between": [0, 9]}}},
        {"where": {"$or": [{"t": None}, {"t": {"!=": ""}}]}}])],
    "references": [
        {"name": "parent", "columns": [_id()]},
        _one({"name": "parent_id", "type": "integer", "references": {
            "table": "parent", "column": "id", "on_delete": "cascade",
            "on_update": "restrict"}})],
    "foreign_keys": [
        {"name": "parent", "columns": [_N, _T], "primary_key": ["n", "t"]},
        _one(_N, _T, foreign_keys=[{
            "columns": ["n", "t"],
            "references": {"table": "parent", "columns": ["n", "t"]},
            "on_delete": "set null"}])],
    "indexes": [_one(_N, _T, indexes=[
        {"name": "one_n", "columns": ["n"]},
        {"name": "one_t_n", "columns": ["t", "n"], "unique": True}])],
    "partial_indexes": [_one(_N, _T, {"name": "deleted", "type": "integer"},
        indexes=[{"name": "one_live", "columns": ["t"], "unique": True,
                  "where": {"deleted": 0}},
                 {"name": "one_pending", "columns": ["n"],
                  "where": {"n": None}}])],
    "fulltext": [_one(_T, {"name": "u", "type": "text"}, indexes=[
        {"name": "one_t", "columns": ["t"], "kind": "fulltext"},
        {"name": "one_tu", "columns": ["t", "u"], "kind": "fulltext"}])],
}  # fmt: skip


async def _round_trip(client: DriverClient, tables: list[dict[str, Any]]) -> None:
    for table in tables:
        assert await client.create_table(table) is True, table["name"]
    for table in tables:
        described = await client.describe_table(table["name"])
        assert same_schema(described, table), table["name"]


@pytest.mark.parametrize("key", sorted(KEYS))
@pytest_twisted.ensureDeferred
async def test_each_key(client: DriverClient, key: str) -> None:
    await _round_trip(client, KEYS[key])


VERSIONS = {"v1": V1, "v2": V2, "v3": V3}


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest_twisted.ensureDeferred
async def test_app_schema(client: DriverClient, version: str) -> None:
    tables = [
        {k: v for k, v in t.items() if k != "drop_columns"}
        for t in VERSIONS[version]["tables"]
    ]
    await _round_trip(client, tables)


def _renamed(schema: dict[str, Any], suffix: str) -> dict[str, Any]:
    """C{schema} under another table name, its indexes' and checks' too."""
    copy = {**schema, "name": schema["name"] + suffix}
    copy["indexes"] = [
        {**i, "name": (i["name"] + suffix)[-63:]} for i in schema.get("indexes") or ()
    ]
    copy["checks"] = [
        {**c, "name": (c["name"] + suffix)[-63:]} if c.get("name") else c
        for c in schema.get("checks") or ()
    ]
    return copy


@pytest_twisted.ensureDeferred
async def test_described_schema_makes_the_same_table(client: DriverClient) -> None:
    for table in V3["tables"]:
        table = {k: v for k, v in table.items() if k != "drop_columns"}
        assert await client.create_table(table) is True
    for name in [t["name"] for t in V3["tables"]]:
        described = await client.describe_table(name)
        copy = _renamed(described, "_2")
        assert await client.create_table(copy) is True
        again = await client.describe_table(name + "_2")
        assert same_schema(again, copy), name


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest_twisted.ensureDeferred
async def test_sync_of_described_tables_is_a_no_op(
    client: DriverClient, version: str
) -> None:
    report = await client.sync_schema(VERSIONS[version])
    assert report["changed"] is True
    names = [t["name"] for t in VERSIONS[version]["tables"]]
    described = [await client.describe_table(n) for n in names]
    for dry_run in (True, False):
        report = await client.sync_schema({"tables": described}, dry_run=dry_run)
        assert report["changed"] is False, report["plan"]
        assert report["created_tables"] == report["added_columns"] == []
        assert report["created_indexes"] == report["rebuilt_tables"] == []
    assert [await client.describe_table(n) for n in names] == described


@pytest_twisted.ensureDeferred
async def test_describe_a_missing_table(client: DriverClient) -> None:
    assert (await error_of(client.describe_table("nope"))).code == "no_such_table"
    await client.create_table(KEYS["not_null"][0])
    await client.drop_table("one")
    assert (await error_of(client.describe_table("one"))).code == "no_such_table"
    error = await error_of(client.describe_table("bad name"))
    assert error.code == "invalid_params"
