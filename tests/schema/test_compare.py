"""
L{dbdriver.drivers.schema.compare}: what differs between a definition and
the described live table, in what only the described form holds.
"""

from __future__ import annotations

from typing import Any

from dbdriver.drivers.schema.compare import described_changes
from dbdriver.requests.schema import parse_table


def _table(**change: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "name": "t",
        "columns": [
            {"name": "a", "type": "integer", "primary_key": True},
            {"name": "b", "type": "integer"},
            {"name": "s", "type": "text", "max_length": 10},
            {"name": "at", "type": "timestamp", "default": {"function": "now"}},
        ],
        "checks": [{"name": "pos", "where": {"b": {">": 0}}}],
    }
    table.update(change)
    return table


def test_the_same_table_has_no_changes() -> None:
    assert described_changes(parse_table(_table()), parse_table(_table())) == []


def test_each_difference_is_named() -> None:
    live = parse_table(_table())
    columns = [
        {"name": "a", "type": "integer", "primary_key": True},
        {"name": "b", "type": "integer"},
        {"name": "s", "type": "text", "max_length": 20},
        {"name": "at", "type": "timestamp"},
    ]
    wanted = parse_table(
        _table(
            columns=columns,
            checks=[{"name": "pos", "where": {"b": {">=": 0}}}],
            foreign_keys=[
                {
                    "columns": ["a", "b"],
                    "references": {"table": "u", "columns": ["x", "y"]},
                }
            ],
        )
    )
    assert described_changes(wanted, live) == [
        "column s max_length 10 -> 20",
        "column at default -> None",
        'new check pos {"b":{">=":0}}',
        'drop check pos {"b":{">":0}}',
    ]
