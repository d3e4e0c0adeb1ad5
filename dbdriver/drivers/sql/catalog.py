"""
What the drivers cache of a table's catalog entry.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TableInfo"]


class TableInfo:
    """
    What a driver needs to know of a table to bind values: column order,
    portable types, primary key.
    """

    __slots__ = ("columns", "integer_key", "name", "types")

    def __init__(self, name: str, columns: tuple[dict[str, Any], ...]) -> None:
        self.name = name
        self.columns = columns
        self.types: dict[str, str] = {c["name"]: c["type"] for c in columns}
        keys = [c for c in columns if c["primary_key"]]
        #: The single integer primary key column, if the table has one.
        self.integer_key: str | None = None
        if len(keys) == 1 and keys[0]["type"] in ("integer", "bigint"):
            self.integer_key = str(keys[0]["name"])
