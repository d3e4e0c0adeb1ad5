"""
The part of a C{sync_schema} comparison that reads the described table
(C{describe_table}'s record of the live table) rather than the catalog rows
of L{dbdriver.drivers.schema.plan.LiveTable}: max lengths, checks, function
defaults and composite foreign keys, which only the described form holds.
"""

from __future__ import annotations

from dbdriver.requests.tableschema import Default, TableSchema
from dbdriver.requests.where import where_columns

__all__ = ["described_changes"]


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
