"""
Typed catalog records: what a backend's catalog queries read of a table
(L{CatalogColumn}, L{CatalogIndex}), used alike by C{get_table_info}, the
row writes (through L{dbdriver.drivers.sql.catalog.TableInfo}), the
C{sync_schema} planner and its backups.

A record's wire form (L{CatalogColumn.to_wire}) is built from its fields in
their order, leaving out those marked L{local}: a new field is one line,
on the wire or not.
"""

from __future__ import annotations

from functools import cache

import attrs

from dbdriver.requests.tableschema import Index

__all__ = ["CatalogColumn", "CatalogIndex", "local"]

#: The metadata key of a field kept off the wire.
_LOCAL = "dbdriver_local"


def local(default: bool = False) -> bool:
    """
    A field the driver keeps for itself, never sent (C{get_table_info}, a
    backup's manifest): a flag, C{default} unless the catalog says so.
    """
    return attrs.field(default=default, metadata={_LOCAL: True})


@attrs.frozen
class CatalogColumn:
    """
    One column of a table, as the catalog describes it (one row of
    C{get_table_info}, PROTOCOL.md section 4).

    @ivar name: the column's name.
    @ivar type: its portable type where the declared type maps to one, else
        the backend's type in lower case.
    @ivar not_null: whether it refuses NULL (a generated key, which takes
        the next id for a NULL, does not: as SQLite's rowid).
    @ivar default: the default's SQL text as the catalog holds it, or
        C{None}.
    @ivar primary_key: whether it is (part of) the primary key.
    @ivar generated: whether the database generates its values (an identity
        or C{AUTO_INCREMENT} key); not on the wire.
    """

    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    primary_key: bool = False
    generated: bool = local()

    def to_wire(self) -> dict[str, object]:
        """
        The column as C{get_table_info} sends it: the wire fields, in order.
        """
        return {f.name: getattr(self, f.name) for f in _wired(CatalogColumn)}


@attrs.frozen
class CatalogIndex:
    """
    An index made by C{CREATE INDEX} (not one backing a constraint).

    @ivar name: the index's name.
    @ivar columns: its columns in order (C{None} for an expression).
    @ivar unique: whether it is a unique index.
    @ivar partial: whether it has a C{WHERE} clause.
    @ivar sql: the statement that recreates it, where the catalog keeps it.
    """

    name: str
    columns: tuple[str | None, ...]
    unique: bool = False
    partial: bool = False
    sql: str | None = None

    def matches(self, index: Index) -> bool:
        """Whether the definition's C{index} is this one."""
        wanted = (index.columns, index.unique, index.partial)
        return (self.columns, self.unique, self.partial) == wanted


@cache
def _wired(record: type[attrs.AttrsInstance]) -> tuple[attrs.Attribute[object], ...]:
    """The fields of a record class that go on the wire, in order."""
    return tuple(f for f in attrs.fields(record) if not f.metadata.get(_LOCAL))
