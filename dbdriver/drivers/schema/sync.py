"""
C{sync_schema} (PROTOCOL.md section 4; docs/schema.md): make the database
match a declared set of tables, on the writer's connection, in one
transaction: read the catalog, plan (L{make_plan}), back up, apply,
verify, record the definition, commit.

The backend-neutral flow is L{sync_schema}; a backend plugs in the
L{SchemaBackend} its driver names as C{schema_backend} (catalog reading,
the rules of its DDL, its transaction, its backup, its steps).
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
from twisted.logger import Logger

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema.backend import (
    BOOKKEEPING,
    RESERVED_PREFIX,
    SchemaBackend,
    SchemaHost,
)
from dbdriver.drivers.schema.backup import resolve_backup_dir
from dbdriver.drivers.schema.plan import (
    LiveTable,
    Plan,
    Step,
    describe,
    make_plan,
)
from dbdriver.drivers.schema.validate import validate_plan
from dbdriver.exceptions import InvalidParams, UnknownMethod
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema

if TYPE_CHECKING:
    from dbdriver import requests as rq

__all__ = [
    "BOOKKEEPING",
    "applied_schema",
    "load_applied_schema",
    "sync_schema",
]


_BOOK_SCHEMA = parse_table(
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


_log = Logger(namespace="dbdriver.schema")


def _backend(operations: SchemaHost) -> SchemaBackend:
    kind = getattr(operations, "schema_backend", None)  # a host may name none
    if kind is None:
        raise UnknownMethod(
            f"sync_schema is not implemented for the {operations.dialect.name} backend"
        )
    return kind(operations)


# -- bookkeeping ------------------------------------------------------------------


def definition_hash(tables: list[TableSchema]) -> tuple[str, str]:
    """The canonical JSON of a parsed definition and its SHA-256."""
    canonical = json.dumps(
        [t.to_wire() for t in sorted(tables, key=lambda t: t.name)],
        sort_keys=True,
        separators=(",", ":"),
        default=_bytes_hex,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest(), canonical


def _bytes_hex(value: object) -> str:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} in a definition")


def applied_schema(operations: Any) -> dict[str, Any] | None:
    """
    The latest definition applied to the driver's database, C{{"hash",
    "applied_at"}}, or C{None}; what C{server_info} reports as C{schema}.
    """
    return _APPLIED.get(operations)


def load_applied_schema(operations: SchemaHost, cursor: DBCursor) -> None:
    """Read the latest applied definition (when the driver starts)."""
    latest = _latest(operations, cursor)
    if latest is not None:
        _APPLIED[operations] = latest


def _latest(operations: SchemaHost, cursor: DBCursor) -> dict[str, Any] | None:
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
    operations: SchemaHost,
    cursor: DBCursor,
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


def _plan(backend: SchemaBackend, cursor: DBCursor, tables: list[TableSchema]) -> Plan:
    live = {t.name: _read(backend, cursor, t.name) for t in tables}
    return make_plan(tables, live, backend.table_names(cursor), backend)


def _read(backend: SchemaBackend, cursor: DBCursor, name: str) -> LiveTable | None:
    table = backend.read_table(cursor, name)
    if table is None:
        return None
    try:
        described = backend.operations.describe(cursor, name)
    except UnknownMethod:
        return table
    return attrs.evolve(table, described=described)


def _note(operations: SchemaHost, cursor: DBCursor, tables: list[TableSchema]) -> None:
    # The conditions of every defined table, as they now are in the database.
    operations.forget_tables()
    for table in tables:
        operations.notes.write(cursor, table, replace=False)


def sync_schema(
    operations: SchemaHost, cursor: DBCursor, request: rq.SyncSchemaRequest
) -> dict[str, Any]:
    """
    Run a C{sync_schema} request on the writer's cursor (alone, outside any
    write group); its result.  Everything happens in one transaction: on
    any error nothing is changed and no backup is left behind.
    """
    tables = request.tables
    _check_definition(tables)
    backend = _backend(operations)
    backup_dir = request.backup_dir
    if backup_dir is not None:
        backup_dir = resolve_backup_dir(operations.backup_root, backup_dir)
    if request.dry_run:
        return _dry_run(operations, backend, cursor, tables, backup_dir)
    digest, canonical = definition_hash(tables)
    backup: str | None = None
    try:
        backend.begin(cursor, True)
        plan = _plan(backend, cursor, tables)
        if plan.destructive and backup_dir is None:
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
        validate_plan(operations.dialect, cursor, plan, backend.table_names(cursor))
        if plan.steps and backup_dir is not None:
            backup = backend.backup(cursor, plan, backup_dir)
        for step in plan.steps:
            _apply(operations, backend, cursor, step)
        if plan.steps:
            _note(operations, cursor, tables)
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
    operations: SchemaHost,
    backend: SchemaBackend,
    cursor: DBCursor,
    tables: list[TableSchema],
    backup_dir: str | None,
) -> dict[str, Any]:
    try:
        backend.begin(cursor, False)
        plan = _plan(backend, cursor, tables)
        validate_plan(operations.dialect, cursor, plan, backend.table_names(cursor))
        latest = _latest(operations, cursor)
    finally:
        backend.rollback(cursor)
        backend.end(cursor)
    if latest is not None:
        _APPLIED[operations] = latest
    report = plan.report(None)
    if plan.steps and backup_dir is not None:
        report["plan"].insert(0, f"back up the database into {backup_dir}")
    elif plan.destructive:
        report["plan"].append(
            "a backup_dir is needed to apply this plan (it rebuilds tables)"
        )
    return report


def _apply(
    operations: SchemaHost, backend: SchemaBackend, cursor: DBCursor, step: Step
) -> None:
    try:
        backend.apply(cursor, step)
    except Exception as e:
        error = operations.translate(e)
        details = error.details if isinstance(error.details, dict) else {}
        error.details = {**details, "step": describe(step)}
        _log.warn(
            "sync_schema: step {step!r} failed: {code}: {message}",
            step=describe(step),
            code=error.code,
            message=error.message,
        )
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
