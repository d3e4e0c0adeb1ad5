"""
Edges of the table schema found in review, the same on every backend: a
check and an index of one name, a sync that keeps an index the definition
no longer names, UUID operands in where clauses, U+0000 in patterns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.live import error_of

_U = "0d8f7a8e-3c1b-4b7e-9a55-2f1f0c1d2e3f"


@pytest_twisted.ensureDeferred
async def test_a_check_and_an_index_of_one_name(client: DriverClient) -> None:
    table: dict[str, Any] = {
        "name": "n",
        "columns": [{"name": "a", "type": "integer"}],
        "checks": [{"name": "x", "where": {"a": {">": 0}}}],
        "indexes": [{"name": "x", "columns": ["a"], "where": {"a": {">": 5}}}],
    }
    assert await client.create_table(table) is True
    described = await client.describe_table("n")
    assert described["checks"] == [{"name": "x", "where": {"a": {">": 0}}}]
    assert described["indexes"] == [
        {"name": "x", "columns": ["a"], "where": {"a": {">": 5}}}
    ]


@pytest_twisted.ensureDeferred
async def test_a_sync_keeps_the_notes_of_what_it_keeps(
    client: DriverClient, tmp_path: Path
) -> None:
    columns: list[dict[str, Any]] = [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "k", "type": "text", "max_length": 20},
        {"name": "deleted", "type": "integer", "not_null": True, "default": 0},
    ]
    unique = {"name": "u", "columns": ["k"], "unique": True, "where": {"deleted": 0}}
    v1 = {"name": "t", "columns": columns, "indexes": [unique]}
    await client.sync_schema({"tables": [v1]})
    v2 = {"name": "t", "columns": [*columns, {"name": "extra", "type": "text"}]}
    await client.sync_schema(
        {"tables": [v2]}, backup_dir=str(tmp_path / "backups" / "b")
    )
    described = await client.describe_table("t")
    assert described["indexes"] == [
        {"name": "u", "columns": ["k"], "unique": True, "where": {"deleted": 0}}
    ]
    await client.insert("t", {"k": "z", "deleted": 1})
    await client.insert("t", {"k": "z", "deleted": 0})
    error = await error_of(client.insert("t", {"k": "z", "deleted": 0}))
    assert error.code == "constraint_violation"


@pytest_twisted.ensureDeferred
async def test_uuid_operands_are_canonical(client: DriverClient) -> None:
    table = {"name": "u", "columns": [{"name": "id", "type": "uuid"}]}
    await client.create_table(table)
    await client.insert("u", {"id": _U})
    assert await client.count("u", {"id": _U}) == 1
    assert await client.count("u", {"id": {"in": [_U]}}) == 1
    for where in ({"id": _U.upper()}, {"id": "nope"}, {"id": {"in": [_U, 5]}}):
        for call in (
            client.select("u", where),
            client.count("u", where),
            client.delete("u", where),
            client.update("u", {"id": _U}, where),
        ):
            error = await error_of(call)
            assert error.code == "invalid_params", where


@pytest_twisted.ensureDeferred
async def test_a_nul_in_a_pattern_is_refused(client: DriverClient) -> None:
    await client.create_table({"name": "w", "columns": [{"name": "s", "type": "text"}]})
    for op in ("like", "not like", "ilike", "not ilike"):
        error = await error_of(client.select("w", {"s": {op: "a\x00%"}}))
        assert error.code == "invalid_params"
        assert error.details == {"column": "s"}
