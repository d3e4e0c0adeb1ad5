"""
A plan checked against the live rows before its first change: a rebuild
or a unique index that the existing data would violate fails here, with
nothing changed and C{details.step} naming the step, instead of in the
middle of the sync (which, where DDL commits by itself as on MySQL, would
leave the database half-changed).

Each check is one query that counts the offending rows: a NULL in a
column that becomes C{not_null}, a text longer than its new C{max_length},
a row a check refuses, two rows with the same unique key (within a partial
index's rows), a foreign key value with no row to refer to.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema.plan import CreateIndex, Plan, Rebuild, Step, describe
from dbdriver.drivers.sql.ddl import TableDDL
from dbdriver.exceptions import ConstraintViolation
from dbdriver.requests.tableschema import TableSchema
from dbdriver.requests.where import Node, where_columns

__all__ = ["validate_plan"]


def validate_plan(
    dialect: TableDDL, cursor: DBCursor, plan: Plan, live: Sequence[str]
) -> None:
    """
    Raise L{ConstraintViolation} for the first step of C{plan} that the rows
    of the database would violate; C{live} names the tables that exist.
    """
    for step in plan.steps:
        if isinstance(step, Rebuild):
            have = {c.name for c in step.live.columns}
            for name, condition in _offences(dialect, step.schema, have, live):
                _refuse(dialect, cursor, step, step.schema.name, name, condition)
        elif isinstance(step, CreateIndex) and step.index.unique:
            index = step.index
            condition = _duplicates(dialect, step.table, index.columns, index.node)
            _refuse(dialect, cursor, step, step.table, index.name, condition)


def _refuse(
    dialect: TableDDL,
    cursor: DBCursor,
    step: Step,
    table: str,
    constraint: str,
    query: str,
) -> None:
    cursor.execute(query)
    count = int(cursor.fetchall()[0][0])
    if count:
        raise ConstraintViolation(
            f"table {table}: {count} existing rows violate {constraint}; "
            "fix the data first",
            {
                "step": describe(step),
                "constraint": constraint,
                "table": table,
                "count": count,
            },
        )


def _offences(
    dialect: TableDDL, schema: TableSchema, have: set[str], live: Sequence[str]
) -> list[tuple[str, str]]:
    q, table = dialect.quote, schema.name
    where = f"SELECT COUNT(*) FROM {q(table)} WHERE "
    found: list[tuple[str, str]] = []
    for column in schema.columns:
        if column.name not in have:
            continue
        name = q(column.name)
        if column.not_null:
            found.append((f"{column.name} not null", f"{where}{name} IS NULL"))
        if column.max_length is not None:
            length = f"{dialect.length_function}({name})"
            found.append(
                (
                    f"{column.name} max_length",
                    f"{where}{length} > {int(column.max_length)}",
                )
            )
    for check in schema.all_checks():
        if _known(check.node, have):
            condition = dialect.literal_where(check.node)
            found.append((check.name, f"{where}NOT ({condition})"))
    keys = [schema.primary_key, *schema.all_unique()]
    keys += [i.columns for i in schema.indexes if i.unique and i.node is None]
    for unique in keys:
        if unique and set(unique) <= have:
            name = f"unique ({', '.join(unique)})"
            found.append((name, _duplicates(dialect, table, unique)))
    for index in schema.indexes:
        if index.unique and index.node is not None and set(index.columns) <= have:
            query = _duplicates(dialect, table, index.columns, index.node)
            found.append((index.name, query))
    for fk in schema.all_foreign_keys():
        parent = fk.reference.table
        if set(fk.columns) <= have and parent in live:
            query = _dangling(dialect, table, fk.columns, parent, fk.reference.columns)
            found.append((f"foreign key ({', '.join(fk.columns)})", query))
    return found


def _known(node: Node, have: set[str]) -> bool:
    return set(where_columns(node)) <= have


def _duplicates(
    dialect: TableDDL, table: str, columns: Sequence[str], node: Node | None = None
) -> str:
    q = dialect.quote
    names = dialect.names(columns)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in columns)
    if node is not None:
        present += f" AND ({dialect.literal_where(node)})"
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 AS x FROM {q(table)} WHERE {present} "
        f"GROUP BY {names} HAVING COUNT(*) > 1) d"
    )


def _dangling(
    dialect: TableDDL,
    table: str,
    columns: Sequence[str],
    parent: str,
    referenced: Sequence[str],
) -> str:
    q = dialect.quote
    present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in columns)
    same = " AND ".join(
        f"p.{q(r)} = c.{q(c)}" for c, r in zip(columns, referenced, strict=True)
    )
    return (
        f"SELECT COUNT(*) FROM {q(table)} c WHERE {present} AND NOT EXISTS "
        f"(SELECT 1 FROM {q(parent)} p WHERE {same})"
    )
