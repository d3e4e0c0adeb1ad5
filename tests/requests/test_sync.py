"""
L{dbdriver.requests.sync}: C{sync_schema} takes C{{"tables": [...]}} with
each table named once, and writes unless it is a dry run.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.sync import SyncSchemaRequest

_T = {"name": "t", "columns": [{"name": "id", "type": "integer"}]}
_U = {"name": "u", "columns": [{"name": "id", "type": "integer"}]}


def test_the_tables_are_parsed() -> None:
    request = SyncSchemaRequest({"tables": [_T, _U]}, backup_dir="/tmp/b")
    assert request.tables == [parse_table(_T), parse_table(_U)]
    assert (request.alone, request.writes, request.dry_run) == (True, True, False)


def test_a_dry_run_does_not_write() -> None:
    request = SyncSchemaRequest.from_params(
        {"schema_definition": {"tables": []}, "dry_run": True}
    )
    assert (request.writes, request.tables) == (False, [])


@pytest.mark.parametrize(
    ("params", "text"),
    [
        (
            {"schema_definition": [_T]},
            'schema_definition must be {"tables": \\[...\\]}',
        ),
        ({"schema_definition": {"tables": [_T], "x": 1}}, "schema_definition must be"),
        ({"schema_definition": {}}, "schema_definition must be"),
        ({"schema_definition": {"tables": _T}}, "schema_definition.tables must be an"),
        ({"schema_definition": {"tables": [_T, _T]}}, "names a table twice"),
        ({"schema_definition": {"tables": [{"name": "t"}]}}, "columns must be"),
        ({"schema_definition": {"tables": []}, "backup_dir": ""}, "backup_dir"),
        ({"schema_definition": {"tables": []}, "dry_run": 1}, "dry_run"),
        ({}, "missing params \\['schema_definition'\\]"),
    ],
)
def test_bad_requests(params: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidParams, match=text):
        SyncSchemaRequest.from_params(params)
