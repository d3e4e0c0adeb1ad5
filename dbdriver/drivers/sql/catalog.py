"""
What the drivers know of the tables: each table's catalog entry
(L{TableInfo}), cached by L{TableCatalog}, which checks the columns a
request names against it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import attrs

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams, NoSuchColumn, NoSuchTable, UnknownMethod
from dbdriver.requests.literals import canonical_uuid
from dbdriver.requests.tableschema import TableSchema
from dbdriver.requests.where import Node, match_columns, where_columns

__all__ = ["Row", "RowWrite", "TableCatalog", "TableInfo", "UniqueKey"]

#: A row to write: column name to value.
Row = Mapping[str, object]
#: A unique key (the primary key included): its columns in index order,
#: each with the length of its prefix index (C{None}: the whole value).
UniqueKey = list[tuple[str, int | None]]


@attrs.frozen(eq=False)
class TableInfo:
    """
    What a driver needs to know of a table to bind values: column order,
    portable types, primary key.

    @ivar name: the table's name.
    @ivar columns: its catalog records, in column order.
    @ivar types: each column's portable type.
    @ivar integer_key: the single integer primary key column, if the table
        has one.
    @ivar generated_key: the key column whose values the database
        generates (PostgreSQL's identity key), if any.
    """

    name: str
    columns: tuple[CatalogColumn, ...]
    types: dict[str, str] = attrs.field(init=False)
    integer_key: str | None = attrs.field(init=False)
    generated_key: str | None = attrs.field(init=False)

    @types.default
    def _types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    @integer_key.default
    def _integer_key(self) -> str | None:
        keys = [c for c in self.columns if c.primary_key]
        if len(keys) == 1 and keys[0].type in ("integer", "bigint"):
            return keys[0].name
        return None

    @generated_key.default
    def _generated_key(self) -> str | None:
        generated = [c.name for c in self.columns if c.generated and c.primary_key]
        return generated[-1] if generated else None


@attrs.frozen
class RowWrite:
    """
    One row an insert writes, with all it needs of its table and request:
    built once by the common operations, and what every backend's row
    write takes (a backend changes it with L{attrs.evolve}).

    @ivar info: the table's catalog entry.
    @ivar types: the portable types of the table's columns.
    @ivar row: the row: column name to value.
    @ivar on_conflict: the request's C{on_conflict}.
    @ivar returning: the columns to answer with, if any.
    """

    info: TableInfo
    types: dict[str, str]
    row: Row
    on_conflict: object = None
    returning: list[str] | None = None

    @property
    def table(self) -> str:
        """The table's name."""
        return self.info.name

    @property
    def columns(self) -> list[str]:
        """The row's columns, in its order."""
        return list(self.row)

    @property
    def wanted(self) -> list[str] | None:
        """
        The columns the statement reads back: C{returning}, else the
        table's integer key (its new id), else none.
        """
        key = self.info.integer_key
        return self.returning or ([key] if key else None)

    def with_row(self, row: Row) -> RowWrite:
        """The same write of another row (C{insert_many}'s rows)."""
        return attrs.evolve(self, row=row)

    def answer(self, found: Sequence[Sequence[object]]) -> object:
        """
        The result of the write, from the rows it read back (C{wanted}):
        its C{returning} columns, or its integer key, or C{None} (nothing
        read: the row was ignored).
        """
        if not found:
            return None
        if self.returning:
            return dict(zip(self.returning, found[0], strict=True))
        return found[0][0]


class TableCatalog(ABC):
    """
    A backend's catalog queries and the cache of their answers (dropped
    after DDL): the part of the table operations that knows the tables;
    and the one C{"replace"} emulation, which reads a table's unique keys.

    @ivar dialect: the backend's SQL.
    """

    dialect: Dialect

    def __init__(self) -> None:
        self._tables: dict[str, TableInfo] = {}
        self._uniques: dict[str, list[UniqueKey]] = {}

    @abstractmethod
    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        """
        The table's columns from the catalog (C{get_table_info}'s rows);
        empty if no such table.
        """

    @abstractmethod
    def table_names(self, cursor: DBCursor) -> list[str]:
        """
        The names of the tables (C{list_tables}).
        """

    def table_info(
        self, cursor: DBCursor, table: str, *, fresh: bool = False
    ) -> TableInfo:
        info = None if fresh else self._tables.get(table)
        if info is None:
            columns = self.table_columns(cursor, table)
            if not columns:
                self._tables.pop(table, None)
                raise NoSuchTable(f"no such table: {table}", {"table": table})
            info = self._tables[table] = TableInfo(table, tuple(columns))
            self._uniques.pop(table, None)  # read again with the table's info
        return info

    def forget_tables(self) -> None:
        self._tables.clear()
        self._uniques.clear()

    # -- where clauses and descriptions -------------------------------------------

    def where_for(
        self, cursor: DBCursor, table: str, node: Node, columns: Sequence[str] = ()
    ) -> tuple[dict[str, str], Node]:
        """
        The column types of C{table} (checking that C{columns} and those
        C{node} names exist) and C{node} ready to render: bound to those
        types, its C{match} terms aimed at their full-text indexes.
        """
        types = self._named_types(cursor, table, node, columns)
        if "uuid" in types.values():
            _check_uuids(node, types)
        if match_columns(node):
            node = self._aim(node, table, self.fulltext_targets(cursor, table))
        return types, self.bind_where(node, types)

    def fulltext_targets(self, cursor: DBCursor, table: str) -> dict[str, str]:
        """
        The columns of C{table} that a full-text index covers, each with
        what the dialect's C{render_match} needs to search it (the backend's
        name of the index).
        """
        return {}

    def _aim(self, node: Node, table: str, targets: dict[str, str]) -> Node:
        kind = node[0]
        if kind == "match":
            if node[1] not in targets:
                raise InvalidParams(
                    f"match needs a fulltext index on {table}.{node[1]}",
                    {"table": table, "column": node[1]},
                )
            return ("match", node[1], node[2], targets[node[1]])
        if kind == "and" or kind == "or":
            return (kind, [self._aim(n, table, targets) for n in node[1]])
        if kind == "not":
            return (kind, self._aim(node[1], table, targets))
        return node

    def describe(self, cursor: DBCursor, table: str) -> TableSchema:
        """
        The whole schema of C{table} from the catalog (and the notes of its
        conditions); L{NoSuchTable} if there is none.
        """
        raise UnknownMethod(
            f"describe_table is not implemented for {self.dialect.name}"
        )

    def bind_where(self, node: Node, types: dict[str, str]) -> Node:
        """A where tree ready for the table's column C{types} (MySQL: timestamps)."""
        return node

    # -- "replace" as a delete and an insert --------------------------------------

    def read_unique_keys(self, cursor: DBCursor, table: str) -> list[UniqueKey]:
        """
        The catalog query of a table's unique keys, for a backend that
        emulates C{"replace"} (one whose insert replaces natively has none).
        """
        raise NotImplementedError(f"{type(self).__name__} replaces natively")

    def key_term(self, column: str, prefix: int | None) -> str:
        """
        The condition that a row's C{column} collides with the bound value
        on a unique key (a prefix index: only the C{prefix} first
        characters, which only MySQL has).
        """
        return f"{self.dialect.quote(column)} = %s"

    def delete_conflicting(self, cursor: DBCursor, write: RowWrite) -> None:
        """
        C{"replace"}, as SQLite does it: delete the rows C{write}'s row
        conflicts with on any unique key (the primary key included), then
        insert it plainly (the caller's part).
        """
        table, row, types = write.table, write.row, write.types
        keys = self._uniques.get(table)
        if keys is None:
            keys = self._uniques[table] = self.read_unique_keys(cursor, table)
        adapt = self.dialect.adapt
        conditions: list[str] = []
        params: list[object] = []
        for key in keys:
            if not all(row.get(c) is not None for c, _ in key):
                continue  # NULLs never conflict
            conditions.append(" AND ".join(self.key_term(c, p) for c, p in key))
            params.extend(adapt(row[c], types.get(c)) for c, _ in key)
        if conditions:
            where = " OR ".join(f"({c})" for c in conditions)
            quoted = self.dialect.quote(table)
            cursor.execute(f"DELETE FROM {quoted} WHERE {where}", params)

    def _types_for(
        self, cursor: DBCursor, table: str, columns: Sequence[str]
    ) -> dict[str, str]:
        types = self.table_info(cursor, table).types
        missing = [c for c in columns if c not in types]
        if missing:
            types = self.table_info(cursor, table, fresh=True).types
            missing = [c for c in columns if c not in types]
            if missing:
                raise NoSuchColumn(
                    f"table {table} has no column {missing[0]}",
                    {"table": table, "column": missing[0]},
                )
        return types

    def _named_types(
        self, cursor: DBCursor, table: str, where: Node, columns: Sequence[str] = ()
    ) -> dict[str, str]:
        """
        The column types of C{table}, checking that C{columns} and every
        column C{where} names exist: SQLite reads an unknown double-quoted
        name as a string literal, so that C{{"nope": "nope"}} would match
        every row instead of failing.
        """
        return self._types_for(cursor, table, [*columns, *where_columns(where)])

    def row_write(
        self,
        cursor: DBCursor,
        request: rq.InsertRequest | rq.InsertManyRequest,
        row: Row,
    ) -> RowWrite:
        """
        The write of an insert's C{row} (of C{insert_many}'s first row: the
        others are L{RowWrite.with_row}), checking every column the request
        names (row, conflict target and update, returning) exists.
        """
        columns = [*row, *(request.returning or ())]
        if isinstance(request.on_conflict, dict):
            columns += request.on_conflict["target"]
            columns += request.on_conflict.get("update", [])
        types = self._types_for(cursor, request.table, columns)
        info = self.table_info(cursor, request.table)
        return RowWrite(info, types, row, request.on_conflict, request.returning)


def _check_uuids(node: Node, types: Mapping[str, str]) -> None:
    """
    The operands compared with C{uuid} columns are UUIDs in canonical form
    (as what is written to them is): L{InvalidParams} otherwise, on every
    backend alike.
    """
    kind = node[0]
    if kind == "and" or kind == "or":
        for part in node[1]:
            _check_uuids(part, types)
    elif kind == "not":
        _check_uuids(node[1], types)
    elif kind in ("cmp", "in", "between") and types.get(node[1]) == "uuid":
        values = (
            node[2] if kind == "in" else node[2:] if kind == "between" else (node[3],)
        )
        for value in values:
            canonical_uuid(value, f"where.{node[1]}")
