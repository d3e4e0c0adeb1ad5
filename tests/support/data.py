"""
Schemas and helpers shared by the conformance tests.
"""

from __future__ import annotations

from typing import Any

from tests.support.live import error_of

__all__ = ["FILES", "PROJECTS", "VALUES", "VALUE_COLUMNS", "error_of", "full"]

#: A table with every portable column type.
VALUES: dict[str, Any] = {
    "name": "v",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "i", "type": "integer"},
        {"name": "big", "type": "bigint"},
        {"name": "r", "type": "real"},
        {"name": "t", "type": "text"},
        {"name": "bl", "type": "blob"},
        {"name": "flag", "type": "boolean"},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
    ],
}
VALUE_COLUMNS = [c["name"] for c in VALUES["columns"]]

#: Projects and their files: a foreign key, a unique pair, defaults.
PROJECTS: dict[str, Any] = {
    "name": "projects",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
    ],
}
FILES: dict[str, Any] = {
    "name": "files",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {
            "name": "project_id",
            "type": "integer",
            "not_null": True,
            "references": {"table": "projects", "column": "id", "on_delete": "cascade"},
        },
        {"name": "path", "type": "text", "not_null": True},
        {"name": "size", "type": "integer", "default": 0},
        {"name": "kind", "type": "text", "default": "file"},
    ],
    "unique": [["project_id", "path"]],
    "indexes": [{"name": "files_by_size", "columns": ["size"], "unique": False}],
}


def full(row: dict[str, Any], columns: list[str] = VALUE_COLUMNS) -> dict[str, Any]:
    """C{row} with every column of the table, absent ones as null."""
    return {c: row.get(c) for c in columns}
