"""
The comparisons of a C{sync_schema} plan: a column against the catalog's
row (through the backend's L{Rules}), and what only the described table
(C{describe_table}'s record of the live table) holds: max lengths, checks
and function defaults.
"""

from __future__ import annotations

from typing import Protocol

from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.requests.tableschema import Column, Default, TableSchema
from dbdriver.requests.where import where_columns

__all__ = ["Rules", "column_changes", "described_changes"]


class Rules(Protocol):
    """
    What a backend's DDL makes of a definition, for the comparison.
    """

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        """Whether the catalog reports the created C{column} NOT NULL."""

    def same_default(self, live: str | None, column: Column) -> bool:
        """Whether the catalog's default text is the definition's default."""

    def can_add(self, column: Column, schema: TableSchema) -> bool:
        """Whether C{ALTER TABLE ... ADD COLUMN} can add C{column}."""


def column_changes(
    schema: TableSchema, column: Column, live: CatalogColumn, rules: Rules
) -> list[str]:
    """
    What differs in one column between the definition and the catalog's
    row: type, NOT NULL, literal default (as the backend's L{Rules} say).
    """
    name = column.name
    changes = []
    if live.type != column.type:
        changes.append(f"column {name} type {live.type} -> {column.type}")
    not_null = rules.expected_not_null(column, schema)
    if bool(live.not_null) != not_null:
        changes.append(f"column {name} {'not null' if not_null else 'nullable'}")
    if not rules.same_default(live.default, column):
        wanted = None if column.default is None else column.default.to_wire()
        changes.append(f"column {name} default {live.default} -> {wanted!r}")
    return changes


def described_changes(schema: TableSchema, live: TableSchema) -> list[str]:
    """
    What differs between the definition and the described live table in
    what the catalog comparison does not see: lengths, checks and
    function defaults.
    """
    changes = []
    for column in schema.columns:
        have = live.column(column.name)
        if have is None:
            continue
        if have.max_length != column.max_length:
            changes.append(
                f"column {column.name} max_length {have.max_length} -> "
                f"{column.max_length}"
            )
        wanted, found = column.default, have.default
        if wanted != found and "function" in (_kind(wanted), _kind(found)):
            changes.append(f"column {column.name} default -> {_wire(wanted)}")
    # What concerns the live columns the definition lacks stays with them
    # (they are kept, unless drop_columns), and is no difference.
    defined = {c.name for c in schema.columns}
    live_checks = tuple(
        c for c in live.all_checks() if set(where_columns(c.node)) <= defined
    )
    for verb, a, b in (
        ("new", schema.all_checks(), live_checks),
        ("drop", live_checks, schema.all_checks()),
    ):
        names = {(c.name, c.where_json) for c in b}
        changes += [
            f"{verb} check {c.name} {c.where_json}"
            for c in a
            if (c.name, c.where_json) not in names
        ]
    return changes


def _kind(default: Default | None) -> str | None:
    return None if default is None else default.kind


def _wire(default: Default | None) -> object:
    return None if default is None else default.to_wire()
