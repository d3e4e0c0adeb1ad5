"""
The MySQL/MariaDB part of C{sync_schema}: the catalog through the same code
as C{get_table_info} plus C{information_schema} (C{STATISTICS} for keys and
indexes, C{REFERENTIAL_CONSTRAINTS} and C{KEY_COLUMN_USAGE} for foreign
keys); C{CREATE TABLE}, C{CREATE INDEX}, C{ALTER TABLE ... ADD COLUMN}, and
for every other change C{ALTER TABLE} in place (C{MODIFY}, C{ADD}/C{DROP}
of keys, C{DROP COLUMN}), which keeps the rows, and the foreign keys of
other tables that refer to the table.

DDL commits implicitly: the sync is not one transaction.  Each statement is
atomic, and a crash between two leaves a database the same sync completes
(it is idempotent).  The export of the tables a plan alters is taken
before the first change; if a step fails, it is kept (C{<export>-kept}).
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

import attrs

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.schema import plan as sp
from dbdriver.drivers.schema.backend import SchemaBackend
from dbdriver.drivers.sql.records import CatalogColumn, CatalogIndex
from dbdriver.requests.schema import Column, Index, TableSchema

__all__ = ["MySQLSchema"]

#: The index names the server gives a key declared without one: the first
#: column's name, with C{_2}, C{_3}... where that is taken.
_IMPLICIT = re.compile(r"(.+?)(?:_\d+)?")


class MySQLSchema(SchemaBackend):
    """
    MySQL 8 and MariaDB 10.5+: DDL commits implicitly; C{ALTER TABLE} can
    make every change the plan asks for without rebuilding by hand.
    """

    def __init__(self, operations: Any) -> None:
        super().__init__(operations)
        self.sql: MySQLDialect = operations.dialect
        self._unique_names: dict[tuple[str, tuple[str, ...]], str] = {}
        self._fk_names: dict[tuple[str, sp.ForeignKey], str] = {}
        self._backup: str | None = None
        self._touched = False

    # -- rules ---------------------------------------------------------------------

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        # An AUTO_INCREMENT key reads as nullable (NULL takes the next id).
        if _serial(column, schema):
            return False
        return column.not_null or column.primary_key

    def same_default(self, live: str | None, column: Column) -> bool:
        wanted = None
        if column.has_default and column.default is not None:
            wanted = self.sql.typed_literal(column.default, column.type)
        return _value(live, column.type) == _value(wanted, column.type)

    # -- catalog -------------------------------------------------------------------

    def read_table(self, cursor: DBCursor, name: str) -> sp.LiveTable | None:
        columns = self.operations.table_columns(cursor, name)
        if not columns:
            return None
        cursor.execute(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART "
            "FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
            "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            (name,),
        )
        keys: dict[str, tuple[bool, list[tuple[str | None, Any]]]] = {}
        for table, index, non_unique, column, prefix in cursor.fetchall():
            if table == name:  # (information_schema compares without case)
                entry = keys.setdefault(index, (not int(non_unique), []))
                entry[1].append((column, prefix))
        primary = tuple(c for c, _ in keys.pop("PRIMARY", (True, []))[1] if c)
        foreign_keys = self._foreign_keys(cursor, name)
        uniques: set[tuple[str, ...]] = set()
        indexes = []
        for index, (unique, parts) in sorted(keys.items()):
            cols = tuple(c for c, _ in parts)
            match = _IMPLICIT.fullmatch(index)
            implicit = match is not None and match.group(1) == cols[0]
            if unique and implicit and None not in cols:
                uniques.add(cols)  # type: ignore[arg-type]
                self._unique_names[(name, cols)] = index  # type: ignore[index]
            elif unique or not implicit:  # (an implicit one backs a foreign key)
                sql = self._index_sql(name, index, unique, parts)
                indexes.append(CatalogIndex(index, cols, unique, False, sql))
        # A key column reads as nullable only if it is AUTO_INCREMENT.
        serial = any(c.primary_key and not c.not_null for c in columns)
        # InnoDB never reuses AUTO_INCREMENT ids: the key is the same either way.
        auto = None if serial else False
        shape = (frozenset(uniques), tuple(indexes), foreign_keys)
        return sp.LiveTable(name, tuple(columns), primary, auto, *shape)

    def _index_sql(
        self, table: str, index: str, unique: bool, parts: list[tuple[str | None, Any]]
    ) -> str | None:
        if any(c is None for c, _ in parts):
            return None  # an expression: the catalog has no statement for it
        q = self.sql.quote
        columns = ", ".join(f"{q(c)}({p})" if p else q(c) for c, p in parts)  # type: ignore[arg-type]
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return f"CREATE {kind} {q(index)} ON {q(table)} ({columns})"

    def _foreign_keys(self, cursor: DBCursor, name: str) -> frozenset[sp.ForeignKey]:
        cursor.execute(
            "SELECT r.TABLE_NAME, r.CONSTRAINT_NAME, r.REFERENCED_TABLE_NAME, "
            "r.DELETE_RULE, r.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME "
            "FROM information_schema.REFERENTIAL_CONSTRAINTS r "
            "JOIN information_schema.KEY_COLUMN_USAGE k "
            "ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA "
            "AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME "
            "WHERE r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = %s "
            "ORDER BY r.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            (name,),
        )
        groups: dict[str, list[Any]] = {}
        for row in cursor.fetchall():
            table, key, parent, on_delete, on_update, column, target = row
            if table != name:
                continue
            group = groups.setdefault(key, [[], parent, [], on_delete, on_update])
            group[0].append(column)
            group[2].append(target)
        for key, (columns, parent, targets, delete, update) in groups.items():
            delete, update = _rules(delete, update)
            fk = sp.ForeignKey(tuple(columns), parent, tuple(targets), delete, update)
            self._fk_names[(name, fk)] = key
        return frozenset(k for (t, k) in self._fk_names if t == name)

    # -- backup --------------------------------------------------------------------

    def backup(self, cursor: DBCursor, plan: sp.Plan, backup_dir: str) -> str:
        self._backup = super().backup(cursor, plan, backup_dir)
        return self._backup

    def rollback(self, cursor: DBCursor) -> None:
        super().rollback(cursor)
        if self._touched and self._backup and os.path.isdir(self._backup):
            # Some steps were applied (DDL commits): the export stays.
            os.replace(self._backup, _kept(self._backup))

    # -- steps ---------------------------------------------------------------------

    def apply(self, cursor: DBCursor, step: sp.Step) -> None:
        self._touched = True
        try:
            self._apply(cursor, step)
        except Exception as e:
            error = self.operations.translate(e)
            details = error.details if isinstance(error.details, dict) else {}
            error.details = {**details, "partial": True}
            if self._backup:
                error.details["backup"] = _kept(self._backup)
            if error is e:
                raise
            raise error from e

    def _apply(self, cursor: DBCursor, step: sp.Step) -> None:
        if isinstance(step, sp.CreateIndex):
            columns = self.operations.table_columns(cursor, step.table)
            types = {c.name: c.type for c in columns}
            index, q = step.index, self.sql.quote
            if step.replace:  # one statement: never without the index
                add = self._index_add(step.table, index, types)
                cursor.execute(
                    f"ALTER TABLE {q(step.table)} DROP INDEX {q(index.name)}, {add}"
                )
            else:
                cursor.execute(self._index_add(step.table, index, types, create=True))
        elif isinstance(step, sp.AddColumn):
            table = self.sql.quote(step.table)
            clauses = ["ADD COLUMN " + self._column(step.column, None)]
            if step.column.references is not None:
                clauses.append("ADD " + self._fk_sql(sp.ForeignKey.of(step.column)))
            cursor.execute(f"ALTER TABLE {table} {', '.join(clauses)}")
        else:
            super().apply(cursor, step)

    def drop_index_sql(self, table: str, name: str) -> str:
        return f"DROP INDEX {self.sql.quote(name)} ON {self.sql.quote(table)}"

    def _index_add(
        self, table: str, index: Index, types: dict[str, str], create: bool = False
    ) -> str:
        q = self.sql.quote
        parts = ", ".join(
            q(c) + ("" if index.unique else self.sql._prefix(types.get(c, ""), False))
            for c in index.columns
        )
        kind = "UNIQUE INDEX" if index.unique else "INDEX"
        if create:
            return f"CREATE {kind} {q(index.name)} ON {q(table)} ({parts})"
        return f"ADD {kind} {q(index.name)} ({parts})"

    def rebuild(self, cursor: DBCursor, step: sp.Rebuild) -> None:
        """
        The changes of a "rebuild" as C{ALTER TABLE} in place, in up to
        three statements, each atomic: drop the foreign keys that go or
        change; change the columns, keys and indexes; add the new foreign
        keys (checked against the rows).
        """
        schema, live = step.schema, step.live
        name = schema.name
        q = self.sql.quote
        table = q(name)
        sized = self.sql._sized_keys(schema)
        types = {c.name: c.type for c in schema.columns}
        dropped = set(step.dropped)
        wanted_fks = {sp.ForeignKey.of(c) for c in schema.columns if c.references}
        gone_fks = {
            k
            for k in live.foreign_keys
            if (k not in wanted_fks and all(c in types for c in k.columns))
            or set(k.columns) & dropped
        }
        new_fks = wanted_fks - live.foreign_keys
        if gone_fks:
            cursor.execute(
                f"ALTER TABLE {table} "
                + ", ".join(
                    f"DROP FOREIGN KEY {q(self._fk_names[(name, k)])}"
                    for k in sorted(gone_fks, key=repr)
                )
            )
        clauses: list[str] = []
        drops: set[str] = set()
        expected = {(c.name,) for c in schema.columns if c.unique} | set(schema.unique)
        expected.discard(schema.primary_key)
        for cols in live.uniques:
            ours = all(c in types for c in cols)
            if (ours and cols not in expected) or set(cols) & dropped:
                drops.add(self._unique_names[(name, cols)])
        live_indexes = {i.name: i for i in live.indexes}
        for present in live.indexes:
            if set(present.columns) & dropped:
                drops.add(present.name)
        adds = []
        for index in schema.indexes:
            found = live_indexes.get(index.name)
            if found is not None and found.matches(index) and found.name not in drops:
                continue
            if found is not None:
                drops.add(index.name)
            adds.append(self._index_add(name, index, types))
        clauses += [f"DROP INDEX {q(n)}" for n in sorted(drops)]
        have = {c.name: c for c in live.columns}
        key_change = schema.primary_key != live.primary_key
        for column in schema.columns:
            current = have.get(column.name)
            if current is None:
                clauses.append("ADD COLUMN " + self._column(column, schema, sized))
            elif key_change or self._changed(column, schema, current):
                clauses.append("MODIFY COLUMN " + self._column(column, schema, sized))
        if key_change:
            for key in live.primary_key:
                if key not in types and key not in dropped:
                    kept = step.live.column(key)
                    assert kept is not None  # (a live key column)
                    # no longer a key: no longer AUTO_INCREMENT either
                    clauses.append(f"MODIFY COLUMN {self.sql.live_column_sql(kept)}")
            if live.primary_key:
                clauses.append("DROP PRIMARY KEY")
            if schema.primary_key:
                clauses.append(
                    f"ADD PRIMARY KEY ({self.sql.names(schema.primary_key)})"
                )
        clauses += [f"DROP COLUMN {q(c)}" for c in step.dropped]
        uniques = sorted(
            u
            for u in expected
            if u not in live.uniques or self._unique_names.get((name, u)) in drops
        )
        clauses += [f"ADD UNIQUE ({self.sql.names(u)})" for u in uniques]
        clauses += adds
        if clauses:
            cursor.execute(f"ALTER TABLE {table} {', '.join(clauses)}")
        if new_fks:
            cursor.execute(
                f"ALTER TABLE {table} "
                + ", ".join("ADD " + self._fk_sql(k) for k in sorted(new_fks, key=repr))
            )

    def _changed(
        self, column: Column, schema: TableSchema, live: CatalogColumn
    ) -> bool:
        return (
            live.type != column.type
            or bool(live.not_null) != self.expected_not_null(column, schema)
            or not self.same_default(live.default, column)
        )

    def _column(
        self,
        column: Column,
        schema: TableSchema | None,
        sized: dict[str, int] | None = None,
    ) -> str:
        """
        A column's definition for C{ADD}/C{MODIFY}: its keys go in clauses
        of their own (an inline C{UNIQUE} would add a key each time).
        """
        if sized is None:
            sized = self.sql._sized_keys(TableSchema("_", (column,)))
        plain = attrs.evolve(
            column,
            unique=False,
            primary_key=False,
            not_null=column.not_null or column.primary_key,
        )
        sql = self.sql._column(plain, False, sized)
        if schema is not None and _serial(column, schema):
            sql = sql.replace(" NOT NULL", " NOT NULL AUTO_INCREMENT", 1)
        return sql

    def _fk_sql(self, key: sp.ForeignKey) -> str:
        sql = (
            f"FOREIGN KEY ({self.sql.names(key.columns)}) "
            f"REFERENCES {self.sql.quote(key.table)} "
            f"({self.sql.names(key.references)})"  # type: ignore[arg-type]
        )
        return sql + f" ON DELETE {key.on_delete} ON UPDATE {key.on_update}"


def _serial(column: Column, schema: TableSchema) -> bool:
    """Whether the dialect makes C{column} an C{AUTO_INCREMENT} key."""
    return (
        column.primary_key and column.type == "integer" and len(schema.primary_key) == 1
    )


def _rules(*actions: str) -> list[str]:
    # InnoDB's RESTRICT is NO ACTION (checked at once); an unset action
    # reads back as RESTRICT.
    return [a.upper().replace("RESTRICT", "NO ACTION") for a in actions]


def _kept(path: str) -> str:
    return f"{path}-kept"


def _value(text: str | None, column_type: str) -> Any:
    """A default's SQL text as a value to compare, however the server shows it."""
    if text is None:
        return None
    text = text.strip()
    if text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    try:
        if column_type == "boolean":
            words = {"TRUE": 1.0, "FALSE": 0.0}
            return words[text.upper()] if text.upper() in words else float(text)
        if column_type in ("integer", "bigint", "real"):
            return float(text)
        if column_type == "timestamp":
            return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    return text
