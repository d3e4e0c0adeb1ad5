"""
The backend's part of a C{sync_schema}: L{SchemaBackend}, whose defaults
suit a database server with transactional DDL (PostgreSQL); each backend's
C{schema} module subclasses it, and its driver names that class as its
C{schema_backend}.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema.backup import export_tables
from dbdriver.drivers.schema.plan import (
    AddColumn,
    CreateIndex,
    CreateTable,
    LiveTable,
    Plan,
    Rebuild,
    Step,
)
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.notes import Notes
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import DriverError
from dbdriver.requests.tableschema import Column, TableSchema

__all__ = ["BOOKKEEPING", "RESERVED_PREFIX", "SchemaBackend", "SchemaHost"]

#: The driver's own table: one row per applied definition.
BOOKKEEPING = "_dbdriver_schema"
#: What the names of the driver's own tables start with.
RESERVED_PREFIX = "_dbdriver_"


class SchemaHost(Protocol):
    """
    What a sync needs of the driver it runs for: its dialect, its catalog
    queries and its error translation.
    """

    @property
    def backend(self) -> str:
        """The backend's name (C{server_info}'s C{backend})."""

    @property
    def dialect(self) -> Dialect:
        """The backend's SQL dialect."""

    @property
    def backup_root(self) -> str:
        """The directory every C{backup_dir} resolves inside (absolute)."""

    @property
    def schema_backend(self) -> type[SchemaBackend] | None:
        """The driver's L{SchemaBackend} class (C{None}: no sync_schema)."""

    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        """The columns of a table (C{get_table_info}'s rows); empty if none."""

    def table_names(self, cursor: DBCursor) -> list[str]:
        """The names of the tables."""

    def forget_tables(self) -> None:
        """Drop the cached catalog (after DDL)."""

    def translate(self, error: BaseException) -> DriverError:
        """The protocol error for an exception."""

    def describe(self, cursor: DBCursor, table: str) -> TableSchema:
        """The whole schema of a table, from the catalog and the notes."""

    @property
    def notes(self) -> Notes:
        """The noted conditions of checks and partial indexes."""


class SchemaBackend:
    """
    A backend's part of a sync, on one cursor.  The defaults suit a
    database server whose DDL is transactional (PostgreSQL); SQLite and
    MySQL override what differs.
    """

    def __init__(self, operations: SchemaHost) -> None:
        self.operations = operations
        self.dialect = operations.dialect

    # -- the rules of the comparison (see _schema_plan.Rules) ----------------

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        return column.not_null or column.primary_key

    def same_default(self, live: str | None, column: Column) -> bool:
        expected = self.dialect.default_sql(column)
        return _null_default(live) == _null_default(expected)

    def can_add(self, column: Column, schema: TableSchema) -> bool:
        default = column.default
        return not column.not_null or (
            default is not None and default.value is not None
        )

    # -- catalog ------------------------------------------------------------------

    def read_table(self, cursor: DBCursor, name: str) -> LiveTable | None:
        """The table as the catalog describes it; C{None} if absent."""
        raise NotImplementedError()

    def table_names(self, cursor: DBCursor) -> list[str]:
        """The user tables (what C{list_tables} answers)."""
        names = self.operations.table_names(cursor)
        return [n for n in names if not n.startswith(RESERVED_PREFIX)]

    # -- transaction ----------------------------------------------------------------

    def begin(self, cursor: DBCursor, write: bool) -> None:
        cursor.execute("BEGIN")

    def commit(self, cursor: DBCursor) -> None:
        cursor.connection.commit()

    def rollback(self, cursor: DBCursor) -> None:
        cursor.connection.rollback()

    def end(self, cursor: DBCursor) -> None:
        """After the commit or rollback: restore the connection's settings."""

    # -- changes --------------------------------------------------------------------

    def backup(self, cursor: DBCursor, plan: Plan, backup_dir: str) -> str:
        """
        Save what the plan changes, before its first step; the backup's path.
        A server exports the rows of every table the plan alters or rebuilds.
        """
        tables = sorted(
            {s.table for s in plan.steps if isinstance(s, AddColumn)}
            | {s.schema.name for s in plan.rebuilt()}
        )
        columns = [(t, self.operations.table_columns(cursor, t)) for t in tables]
        backend = getattr(self.operations, "backend", "") or self.dialect.name
        return export_tables(cursor, self.dialect.quote, columns, backup_dir, backend)

    def apply(self, cursor: DBCursor, step: Step) -> None:
        """Run one step of the plan."""
        dialect = self.dialect
        if isinstance(step, CreateTable):
            for statement in dialect.create_table(step.schema, False):
                cursor.execute(statement)
        elif isinstance(step, AddColumn):
            cursor.execute(
                f"ALTER TABLE {dialect.quote(step.table)} "
                f"ADD COLUMN {dialect.column_sql(step.column, False)}"
            )
        elif isinstance(step, CreateIndex):
            if step.replace:
                cursor.execute(self.drop_index_sql(step.table, step.index.name))
            cursor.execute(self.index_sql(step.table, step))
        else:
            self.rebuild(cursor, step)

    def index_sql(self, table: str, step: CreateIndex) -> str:
        return self.dialect.create_table(
            attrs.evolve(_stub(table), indexes=(step.index,)), False
        )[1]

    def drop_index_sql(self, table: str, name: str) -> str:
        return f"DROP INDEX {self.dialect.quote(name)}"

    def rebuild(self, cursor: DBCursor, step: Rebuild) -> None:
        raise NotImplementedError()

    def verify(self, cursor: DBCursor, plan: Plan) -> None:
        """Before the commit: check what the steps could have broken."""


def _stub(table: str) -> TableSchema:
    return TableSchema(table, (Column("_", "integer"),))


def _null_default(text: str | None) -> str | None:
    if text is None or text.strip().upper() == "NULL":
        return None
    return text.strip()
