"""
C{sync_schema} (PROTOCOL.md section 4; docs/schema.md): make the database
match a declared set of tables, on the writer's connection, in one
transaction: read the catalog, plan (L{make_plan}), back up, apply,
verify, record the definition, commit.

The backend-neutral flow is L{sync_schema}; a backend plugs in a
L{SchemaBackend} (catalog reading, the rules of its DDL, its transaction,
its backup, its steps) registered in L{BACKENDS} under its dialect's name.
The SQLite one is L{SQLiteSchema} (in L{dbdriver.drivers._schema_sqlite}).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import weakref
from typing import TYPE_CHECKING, Any

import attrs

from ..exceptions import InvalidParams, UnknownMethod
from ..schema import Column, TableSchema
from ._backup import export_tables
from ._schema_plan import (
    AddColumn,
    CreateIndex,
    CreateTable,
    LiveTable,
    Plan,
    Rebuild,
    Step,
    describe,
    make_plan,
)

if TYPE_CHECKING:
    from .. import requests as rq
    from ._operations import TableOperations

__all__ = [
    "BACKENDS",
    "BOOKKEEPING",
    "SchemaBackend",
    "applied_schema",
    "load_applied_schema",
    "sync_schema",
]

#: The driver's own table: one row per applied definition.
BOOKKEEPING = "_dbdriver_schema"
#: Table names a definition may not use (the driver's own).
RESERVED_PREFIX = "_dbdriver_"

_BOOK_SCHEMA = TableSchema.parse(
    {
        "name": BOOKKEEPING,
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "hash", "type": "text", "not_null": True},
            {"name": "applied_at", "type": "text", "not_null": True},
            {"name": "definition", "type": "text", "not_null": True},
            {"name": "plan", "type": "text", "not_null": True},
        ],
    }
)

#: The latest applied definition of each driver, for C{server_info}.
_APPLIED: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


class SchemaBackend:
    """
    A backend's part of a sync, on one cursor.  The defaults suit a
    database server whose DDL is transactional (PostgreSQL); SQLite and
    MySQL override what differs.
    """

    def __init__(self, operations: TableOperations) -> None:
        self.operations = operations
        self.dialect = operations.dialect

    # -- the rules of the comparison (see _schema_plan.Rules) ----------------

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        return column.not_null or column.primary_key

    def same_default(self, live: str | None, column: Column) -> bool:
        expected = self.dialect.literal(column.default) if column.has_default else None
        return _null_default(live) == _null_default(expected)

    def can_add(self, column: Column, schema: TableSchema) -> bool:
        return not column.not_null or (
            column.has_default and column.default is not None
        )

    # -- catalog ------------------------------------------------------------------

    def read_table(self, cursor: Any, name: str) -> LiveTable | None:
        """The table as the catalog describes it; C{None} if absent."""
        raise NotImplementedError()

    def table_names(self, cursor: Any) -> list[str]:
        """The user tables (what C{list_tables} answers)."""
        return [n for n in self.operations.table_names(cursor) if n != BOOKKEEPING]

    # -- transaction ----------------------------------------------------------------

    def begin(self, cursor: Any, write: bool) -> None:
        cursor.execute("BEGIN")

    def commit(self, cursor: Any) -> None:
        cursor.connection.commit()

    def rollback(self, cursor: Any) -> None:
        cursor.connection.rollback()

    def end(self, cursor: Any) -> None:
        """After the commit or rollback: restore the connection's settings."""

    # -- changes --------------------------------------------------------------------

    def backup(self, cursor: Any, plan: Plan, backup_dir: str) -> str:
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

    def apply(self, cursor: Any, step: Step) -> None:
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

    def rebuild(self, cursor: Any, step: Rebuild) -> None:
        raise NotImplementedError()

    def verify(self, cursor: Any, plan: Plan) -> None:
        """Before the commit: check what the steps could have broken."""


def _stub(table: str) -> TableSchema:
    return TableSchema(table, (Column("_", "integer"),))


def _null_default(text: str | None) -> str | None:
    if text is None or text.strip().upper() == "NULL":
        return None
    return text.strip()


#: Schema backends by dialect name; a backend module registers its own.
BACKENDS: dict[str, type[SchemaBackend]] = {}


def _backend(operations: TableOperations) -> SchemaBackend:
    from . import _schema_sqlite  # noqa: F401 (registers itself)

    kind = BACKENDS.get(operations.dialect.name)
    if kind is None:
        raise UnknownMethod(
            f"sync_schema is not implemented for the {operations.dialect.name} backend"
        )
    return kind(operations)


# -- bookkeeping ------------------------------------------------------------------


def definition_hash(tables: list[TableSchema]) -> tuple[str, str]:
    """The canonical JSON of a parsed definition and its SHA-256."""
    canonical = json.dumps(
        [attrs.asdict(t) for t in sorted(tables, key=lambda t: t.name)],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest(), canonical


def applied_schema(operations: Any) -> dict[str, Any] | None:
    """
    The latest definition applied to the driver's database, C{{"hash",
    "applied_at"}}, or C{None}; what C{server_info} reports as C{schema}.
    """
    return _APPLIED.get(operations)


def load_applied_schema(operations: TableOperations, cursor: Any) -> None:
    """Read the latest applied definition (when the driver starts)."""
    latest = _latest(operations, cursor)
    if latest is not None:
        _APPLIED[operations] = latest


def _latest(operations: TableOperations, cursor: Any) -> dict[str, Any] | None:
    if not operations.table_columns(cursor, BOOKKEEPING):
        return None
    q = operations.dialect.quote
    cursor.execute(
        f"SELECT {q('hash')}, {q('applied_at')} FROM {q(BOOKKEEPING)} "
        f"ORDER BY {q('id')} DESC LIMIT 1"
    )
    row = cursor.fetchone()
    return None if row is None else {"hash": row[0], "applied_at": row[1]}


def _record(
    operations: TableOperations,
    cursor: Any,
    digest: str,
    canonical: str,
    lines: list[str],
) -> dict[str, Any]:
    dialect = operations.dialect
    for statement in dialect.create_table(_BOOK_SCHEMA, True):
        cursor.execute(statement)
    applied_at = datetime.datetime.now(datetime.UTC).isoformat()
    columns = ["hash", "applied_at", "definition", "plan"]
    cursor.execute(
        dialect.insert(BOOKKEEPING, columns, None, None),
        [digest, applied_at, canonical, json.dumps(lines)],
    )
    return {"hash": digest, "applied_at": applied_at}


# -- the flow -----------------------------------------------------------------------


def _check_definition(tables: list[TableSchema]) -> None:
    for table in tables:
        if table.name.startswith(RESERVED_PREFIX):
            raise InvalidParams(
                f"table {table.name}: names starting with {RESERVED_PREFIX} "
                "belong to the driver"
            )


def _plan(backend: SchemaBackend, cursor: Any, tables: list[TableSchema]) -> Plan:
    live = {t.name: backend.read_table(cursor, t.name) for t in tables}
    return make_plan(tables, live, backend.table_names(cursor), backend)


def sync_schema(
    operations: TableOperations, cursor: Any, request: rq.SyncSchemaRequest
) -> dict[str, Any]:
    """
    Run a C{sync_schema} request on the writer's cursor (alone, outside any
    write group); its result.  Everything happens in one transaction: on
    any error nothing is changed and no backup is left behind.
    """
    tables = request.tables
    _check_definition(tables)
    backend = _backend(operations)
    if request.dry_run:
        return _dry_run(operations, backend, cursor, request)
    digest, canonical = definition_hash(tables)
    backup: str | None = None
    try:
        backend.begin(cursor, True)
        plan = _plan(backend, cursor, tables)
        if plan.destructive and request.backup_dir is None:
            raise InvalidParams(
                "this plan rebuilds tables (see details.plan): sync_schema makes "
                "no destructive change without a backup; give a backup_dir",
                {"plan": plan.lines()},
            )
        latest = _latest(operations, cursor)
        if not plan.steps and latest is not None and latest["hash"] == digest:
            backend.rollback(cursor)
            _APPLIED[operations] = latest
            return plan.report(None)
        if plan.steps and request.backup_dir is not None:
            backup = backend.backup(cursor, plan, request.backup_dir)
        for step in plan.steps:
            _apply(operations, backend, cursor, step)
        backend.verify(cursor, plan)
        report = plan.report(backup)
        if backup is not None:
            report["plan"].insert(0, f"back up the database to {backup}")
        state = _record(operations, cursor, digest, canonical, report["plan"])
        backend.commit(cursor)
    except BaseException:
        backend.rollback(cursor)
        _discard(backup)
        raise
    finally:
        backend.end(cursor)
        operations.forget_tables()
    _APPLIED[operations] = state
    return report


def _dry_run(
    operations: TableOperations,
    backend: SchemaBackend,
    cursor: Any,
    request: rq.SyncSchemaRequest,
) -> dict[str, Any]:
    try:
        backend.begin(cursor, False)
        plan = _plan(backend, cursor, request.tables)
        latest = _latest(operations, cursor)
    finally:
        backend.rollback(cursor)
        backend.end(cursor)
    if latest is not None:
        _APPLIED[operations] = latest
    report = plan.report(None)
    if plan.steps and request.backup_dir is not None:
        report["plan"].insert(0, f"back up the database into {request.backup_dir}")
    elif plan.destructive:
        report["plan"].append(
            "a backup_dir is needed to apply this plan (it rebuilds tables)"
        )
    return report


def _apply(
    operations: TableOperations, backend: SchemaBackend, cursor: Any, step: Step
) -> None:
    try:
        backend.apply(cursor, step)
    except Exception as e:
        error = operations.translate(e)
        details = error.details if isinstance(error.details, dict) else {}
        error.details = {**details, "step": describe(step)}
        if error is e:
            raise
        raise error from e


def _discard(path: str | None) -> None:
    if path is None:
        return
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.unlink(path)
