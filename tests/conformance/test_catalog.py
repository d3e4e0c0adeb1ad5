"""
C{get_table_info} and C{list_tables} answer the same on every backend for
the same schema: portable type names, not-null, defaults, primary keys.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import FILES, PROJECTS, VALUES

KEYED: dict[str, Any] = {
    "name": "keyed",
    "columns": [
        {"name": "code", "type": "text", "primary_key": True},
        {"name": "n", "type": "bigint", "primary_key": True},
        {"name": "label", "type": "text", "not_null": True, "default": "it's"},
        {"name": "ratio", "type": "real", "default": 0.5},
        {"name": "delta", "type": "integer", "default": -3},
        {"name": "on", "type": "boolean", "not_null": True, "default": True},
        {"name": "off", "type": "boolean", "default": False},
        {"name": "blob", "type": "blob"},
    ],
}


def _column(
    name: str,
    kind: str,
    *,
    not_null: bool = False,
    default: str | None = None,
    primary_key: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "not_null": not_null,
        "default": default,
        "primary_key": primary_key,
    }


EXPECTED = {
    "v": [
        _column("id", "integer", primary_key=True),
        _column("i", "integer"),
        _column("big", "bigint"),
        _column("r", "real"),
        _column("t", "text"),
        _column("bl", "blob"),
        _column("flag", "boolean"),
        _column("at", "timestamp"),
        _column("doc", "json"),
    ],
    "files": [
        _column("id", "integer", primary_key=True),
        _column("project_id", "integer", not_null=True),
        _column("path", "text", not_null=True),
        _column("size", "integer", default="0"),
        _column("kind", "text", default="'file'"),
    ],
    "keyed": [
        _column("code", "text", not_null=True, primary_key=True),
        _column("n", "bigint", not_null=True, primary_key=True),
        _column("label", "text", not_null=True, default="'it''s'"),
        _column("ratio", "real", default="0.5"),
        _column("delta", "integer", default="-3"),
        _column("on", "boolean", not_null=True, default="1"),
        _column("off", "boolean", default="0"),
        _column("blob", "blob"),
    ],
}


@pytest_twisted.ensureDeferred
async def test_same_schema_same_answer(client: DriverClient) -> None:
    for schema in (VALUES, PROJECTS, FILES, KEYED):
        await client.create_table(schema)
    assert await client.list_tables() == ["files", "keyed", "projects", "v"]
    for table, expected in EXPECTED.items():
        assert await client.get_table_info(table) == expected, table


@pytest_twisted.ensureDeferred
async def test_info_follows_changes(client: DriverClient) -> None:
    await client.create_table(PROJECTS)
    before = await client.get_table_info("projects")
    assert [c["name"] for c in before] == ["id", "name"]
    await client.execute("ALTER TABLE projects ADD COLUMN extra TEXT")
    after = await client.get_table_info("projects")
    assert after[-1] == _column("extra", "text")
    await client.insert("projects", {"name": "a", "extra": "x"})
    assert await client.select("projects", columns=["extra"]) == [{"extra": "x"}]
    await client.drop_table("projects")
    assert await client.list_tables() == []
