"""
The MySQL/MariaDB part of C{sync_schema}: the catalog through the same code
as C{get_table_info} plus C{information_schema} (C{STATISTICS} for keys and
indexes, C{REFERENTIAL_CONSTRAINTS} and C{KEY_COLUMN_USAGE} for foreign
keys); C{CREATE TABLE}, C{CREATE INDEX}, C{ALTER TABLE ... ADD COLUMN}, and
for every other change C{ALTER TABLE} in place (C{MODIFY}, C{ADD}/C{DROP}
of keys, C{DROP COLUMN}), which keeps the rows, and the foreign keys of
other tables that refer to the table.

DDL commits implicitly: the sync is not one transaction.  The shared
planner checks the rows against the whole plan before the first change;
each statement here is atomic, and each step works out what is left to do
from the live table as it is when the step runs (C{IF [NOT] EXISTS}, the
described table): a sync that failed in the middle completes when it is
run again.  The export of the tables a plan alters is taken before the
first change; if a step fails, it is kept (C{<export>-kept}).  The notes of
a rebuilt table are written at the end of its step.
"""

from __future__ import annotations

import os
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql import livetable
from dbdriver.drivers.mysql.describe import read_default
from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.schema import plan as sp
from dbdriver.drivers.schema.backend import SchemaBackend
from dbdriver.drivers.sql.records import CatalogIndex
from dbdriver.requests.tableschema import Column, Index, TableSchema

__all__ = ["MySQLSchema"]


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
        found = read_default(live, column.type)
        wanted = column.default
        if wanted is not None and wanted.kind == "literal" and wanted.value is None:
            wanted = None
        if (
            found is not None
            and wanted is not None
            and "sql"
            in (
                found.kind,
                wanted.kind,
            )
        ):
            return livetable.squeeze(found.value) == livetable.squeeze(wanted.value)
        return found == wanted

    # -- catalog -------------------------------------------------------------------

    def read_table(self, cursor: DBCursor, name: str) -> sp.LiveTable | None:
        columns = self.operations.table_columns(cursor, name)
        if not columns:
            return None
        described = self.operations.describe(cursor, name)
        foreign_keys = self._foreign_keys(cursor, name)
        self._unique_names.update(
            {
                (name, c): n
                for c, n in livetable.unique_index_names(cursor, name).items()
            }
        )
        indexes = tuple(
            CatalogIndex(i.name, i.columns, i.unique, i.partial, None)
            for i in described.indexes
        )
        # A key column reads as nullable only if it is AUTO_INCREMENT.
        serial = any(c.primary_key and not c.not_null for c in columns)
        # InnoDB never reuses AUTO_INCREMENT ids: the key is the same either way.
        auto = None if serial else False
        uniques = frozenset(described.all_unique())
        shape = (uniques, indexes, foreign_keys)
        return sp.LiveTable(name, tuple(columns), described.primary_key, auto, *shape)

    def _foreign_keys(self, cursor: DBCursor, name: str) -> frozenset[sp.ForeignKey]:
        found = livetable.foreign_keys(cursor, name)
        self._fk_names.update({(name, k): n for k, n in found.items()})
        return frozenset(found)

    # -- backup --------------------------------------------------------------------

    def backup(self, cursor: DBCursor, plan: sp.Plan, backup_dir: str) -> str:
        """
        The export of the tables the plan alters; after a sync that failed
        in the middle, the export it kept (taken before its first change)
        serves its retries, instead of one more export of a half-changed
        database.
        """
        kept = _kept_exports(backup_dir)
        if kept:
            self._backup = kept[-1].removesuffix(_KEPT)
            os.replace(kept[-1], self._backup)
            return self._backup
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
        q = self.sql.quote
        if isinstance(step, sp.CreateTable):
            exists = bool(self.operations.table_columns(cursor, step.schema.name))
            if not exists:  # (a re-run after a failure finds it made)
                for statement in self.sql.create_table(step.schema, False):
                    cursor.execute(statement)
        elif isinstance(step, sp.CreateIndex):
            live = self.operations.describe(cursor, step.table)
            self._create_index(cursor, live, step.index, live.index_map())
        elif isinstance(step, sp.AddColumn):
            column = step.column
            lone = TableSchema(step.table, (column,))
            clauses = [
                "ADD COLUMN IF NOT EXISTS " + self.sql.column_def(column, lone, False)
            ]
            cursor.execute(f"ALTER TABLE {q(step.table)} {', '.join(clauses)}")
            if column.check is not None:
                self._add_checks(cursor, step.table, [column.check])
            if column.references is not None:
                key = sp.ForeignKey.of(column)
                if key not in self._foreign_keys(cursor, step.table):
                    cursor.execute(
                        f"ALTER TABLE {q(step.table)} ADD {self._fk_sql(key)}"
                    )
        else:
            super().apply(cursor, step)
        self.operations.forget_tables()

    def drop_index_sql(self, table: str, name: str) -> str:
        return f"DROP INDEX IF EXISTS {self.sql.quote(name)} ON {self.sql.quote(table)}"

    def _create_index(
        self,
        cursor: DBCursor,
        live: TableSchema,
        index: Index,
        present: dict[str, Index],
    ) -> None:
        """
        (Re)create C{index} on the live table: whatever of it or of an index
        of its name is left goes first, so that a re-run completes.
        """
        found = present.get(index.name)
        drops = self.sql.drop_index_sql(live.name, index)
        if found is not None:
            drops += self.sql.drop_index_sql(live.name, found)
        drops.append(self.drop_index_sql(live.name, index.name))
        for statement in drops:
            cursor.execute(statement)
        types = {
            n: t.split("|")[0]
            for n, t in livetable.live_types(cursor, live.name).items()
        }
        for statement in self.sql.live_index_sql(live, index, types):
            cursor.execute(statement)

    def _add_checks(self, cursor: DBCursor, table: str, checks: list[Any]) -> None:
        q = self.sql.quote
        for check in checks:
            cursor.execute(
                f"ALTER TABLE {q(table)} DROP CONSTRAINT IF EXISTS {q(check.name)}"
            )
            cursor.execute(f"ALTER TABLE {q(table)} ADD {self.sql.check_sql(check)}")

    def rebuild(self, cursor: DBCursor, step: sp.Rebuild) -> None:
        """
        The changes of a "rebuild" as C{ALTER TABLE} in place, each
        statement atomic and each worked out from the live table as it is
        now (so that a re-run after a failure does what is left): drop the
        foreign keys and checks that go or change; change the columns and
        keys; recreate the indexes that differ; add the checks and the new
        foreign keys (checked against the rows).
        """
        schema = step.schema
        self.sql.check_sizes(schema)  # (before this step's first statement)
        name = schema.name
        q = self.sql.quote
        table = q(name)
        live = self.operations.describe(cursor, name)
        dropped = set(step.dropped)
        wanted_fks = {livetable.plan_fk(f) for f in schema.all_foreign_keys()}
        have_fks = self._foreign_keys(cursor, name)
        gone_fks = {
            k
            for k in have_fks
            if (k not in wanted_fks and all(schema.column(c) for c in k.columns))
            or set(k.columns) & dropped
        }
        if gone_fks:
            cursor.execute(
                f"ALTER TABLE {table} "
                + ", ".join(
                    f"DROP FOREIGN KEY {q(self._fk_names[(name, k)])}"
                    for k in sorted(gone_fks, key=repr)
                )
            )
        if gone_fks:
            self._drop_backing_indexes(cursor, schema, gone_fks)
        wanted_checks = {c.name: c for c in schema.all_checks()}
        live_checks = {c.name: c for c in live.all_checks()}
        for check_name in livetable.check_names(cursor, name):
            if live_checks.get(check_name) != wanted_checks.get(check_name):
                cursor.execute(
                    f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {q(check_name)}"
                )
        present = live.index_map()
        for index in live.indexes:
            if index.name not in {i.name for i in schema.indexes} and (
                set(index.columns) & dropped
            ):
                for statement in self.sql.drop_index_sql(name, index):
                    cursor.execute(statement)
        clauses: list[str] = []
        expected = set(schema.all_unique())
        for cols in live.all_unique():
            if cols not in expected or set(cols) & dropped:
                clauses.append(f"DROP INDEX {q(self._unique_names[(name, cols)])}")
        types = livetable.live_types(cursor, name)
        keyed = self.sql.keyed_columns(schema)
        changing = {
            c.name
            for c in schema.columns
            if c.name in types and self._changed(c, live, keyed, types)
        }
        # a column's own check (JSON's json_valid, a long max_length) goes
        # with its old type: the new definition says its own
        for column_name in livetable.column_checks(cursor, name) & changing:
            cursor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {q(column_name)}"
            )
        key_change = schema.primary_key != live.primary_key
        for column in schema.columns:
            definition = self.sql.column_def(column, schema, False)
            if column.name not in types:
                clauses.append("ADD COLUMN " + definition)
            elif key_change or self._changed(column, live, keyed, types):
                clauses.append("MODIFY COLUMN " + definition)
        if key_change:
            for key in live.primary_key:
                kept = step.live.column(key)
                if schema.column(key) is None and key not in dropped and kept:
                    # no longer a key: no longer AUTO_INCREMENT either
                    clauses.append(f"MODIFY COLUMN {self.sql.live_column_sql(kept)}")
            if live.primary_key:
                clauses.append("DROP PRIMARY KEY")
            if schema.primary_key:
                clauses.append(
                    f"ADD PRIMARY KEY ({self.sql.names(schema.primary_key)})"
                )
        clauses += [f"DROP COLUMN IF EXISTS {q(c)}" for c in step.dropped]
        have_uniques = set(live.all_unique())
        clauses += [
            f"ADD UNIQUE ({self.sql.names(u)})" for u in sorted(expected - have_uniques)
        ]
        if clauses:
            cursor.execute(f"ALTER TABLE {table} {', '.join(clauses)}")
        after = self.operations.describe(cursor, name)
        for index in schema.indexes:
            if present.get(index.name) != index or index.name not in after.index_map():
                self._create_index(cursor, after, index, present)
        after_checks = set(livetable.check_names(cursor, name))
        self._add_checks(
            cursor, name, [c for c in schema.all_checks() if c.name not in after_checks]
        )
        new_fks = wanted_fks - self._foreign_keys(cursor, name)
        if new_fks:
            cursor.execute(
                f"ALTER TABLE {table} "
                + ", ".join("ADD " + self._fk_sql(k) for k in sorted(new_fks, key=repr))
            )
        self.operations.notes.write(cursor, schema)

    def _drop_backing_indexes(
        self, cursor: DBCursor, schema: TableSchema, keys: set[sp.ForeignKey]
    ) -> None:
        """
        Drop the indexes the server made for foreign keys that are gone
        (it keeps them), where no declared index has their name.
        """
        found = livetable.server_indexes(cursor, schema.name)
        declared = {i.name for i in schema.indexes}
        gone = {k.columns for k in keys}
        for index, columns in found.items():
            if tuple(columns) in gone and index not in declared:
                cursor.execute(self.drop_index_sql(schema.name, index))

    def _changed(
        self,
        column: Column,
        live: TableSchema,
        keyed: set[str],
        types: dict[str, str],
    ) -> bool:
        have = live.column(column.name)
        if have is None:
            return True
        kind, comment = self.sql.sized(column, column.name in keyed)
        wanted = f"{livetable.catalog_type(kind)}|{comment or ''}"
        return (
            types.get(column.name) != wanted
            or have.type != column.type
            or have.max_length != column.max_length
            or have.not_null != (column.not_null or column.primary_key)
            or have.default != column.default
        )

    def _fk_sql(self, key: sp.ForeignKey) -> str:
        sql = (
            f"FOREIGN KEY ({self.sql.names(key.columns)}) "
            f"REFERENCES {self.sql.quote(key.table)} "
            f"({self.sql.names([c or '' for c in key.references])})"
        )
        return sql + f" ON DELETE {key.on_delete} ON UPDATE {key.on_update}"


def _serial(column: Column, schema: TableSchema) -> bool:
    """Whether the dialect makes C{column} an C{AUTO_INCREMENT} key."""
    return (
        column.primary_key and column.type == "integer" and len(schema.primary_key) == 1
    )


_KEPT = "-kept"


def _kept(path: str) -> str:
    return f"{path}{_KEPT}"


def _kept_exports(backup_dir: str) -> list[str]:
    """The exports kept by failed syncs in C{backup_dir}, oldest first."""
    if not os.path.isdir(backup_dir):
        return []
    return sorted(
        os.path.join(backup_dir, name)
        for name in os.listdir(backup_dir)
        if name.startswith("mysql-export-") and name.endswith(_KEPT)
    )
