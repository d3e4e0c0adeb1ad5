"""
The plan of a C{sync_schema}: what the database has (L{LiveTable}, read
from the catalog by a backend), what the definition wants (the parsed
L{TableSchema}s), and the steps from one to the other.

Nothing here touches a connection: a backend reads each table into a
L{LiveTable}, says through its L{Rules} what its DDL can do, and
L{make_plan} compares.  A table created from a definition reads back equal
to it (no difference where there is none): a sync is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from dbdriver.drivers.schema.compare import Rules, column_changes, described_changes
from dbdriver.drivers.sql.records import CatalogColumn, CatalogIndex
from dbdriver.requests.schema import ForeignKey as SchemaForeignKey
from dbdriver.requests.tableschema import Column, Index, TableSchema

__all__ = ["AddColumn", "CreateIndex", "CreateTable", "ForeignKey"]
__all__ += ["LiveTable", "Plan", "Rebuild", "Rules", "Step", "make_plan"]


@attrs.frozen
class ForeignKey:
    """
    A foreign key, normalised: actions upper case, C{"NO ACTION"} if unset.
    """

    columns: tuple[str, ...]
    table: str
    references: tuple[str | None, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"

    @classmethod
    def of(cls, column: Column) -> ForeignKey:
        """The foreign key of a column's C{references}."""
        assert column.references is not None
        return cls.of_key(SchemaForeignKey((column.name,), column.references))

    @classmethod
    def of_key(cls, key: SchemaForeignKey) -> ForeignKey:
        """A foreign key of the definition, one-column or composite."""
        ref = key.reference
        return cls(
            key.columns,
            ref.table,
            ref.columns,
            (ref.on_delete or "no action").upper(),
            (ref.on_update or "no action").upper(),
        )

    def describe(self) -> str:
        target = ", ".join(c or "?" for c in self.references)
        return (
            f"({', '.join(self.columns)}) -> {self.table}({target})"
            f" on delete {self.on_delete.lower()}"
        )


@attrs.frozen(eq=False)
class LiveTable:
    """
    A table as the catalog describes it.

    @ivar columns: C{get_table_info}'s rows, in column order.
    @ivar primary_key: the key's columns, in key order.
    @ivar autoincrement: C{None} where the key never reuses ids either way.
    @ivar uniques: the column tuples of its unique constraints.
    """

    name: str
    columns: tuple[CatalogColumn, ...]
    primary_key: tuple[str, ...] = ()
    autoincrement: bool | None = False
    uniques: frozenset[tuple[str, ...]] = frozenset()
    indexes: tuple[CatalogIndex, ...] = ()
    foreign_keys: frozenset[ForeignKey] = frozenset()
    #: The whole table as C{describe_table} reads it (checks, lengths,
    #: function defaults, composite foreign keys, partial and full-text
    #: indexes), where the backend describes tables.
    described: TableSchema | None = None

    def column(self, name: str) -> CatalogColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@attrs.frozen
class CreateTable:
    schema: TableSchema


@attrs.frozen
class AddColumn:
    table: str
    column: Column


@attrs.frozen
class CreateIndex:
    """
    Create an index of the definition; C{replace}: drop the index of that
    name first (its columns or uniqueness changed).
    """

    table: str
    index: Index
    replace: bool = False


@attrs.frozen(eq=False)
class Rebuild:
    """
    Rebuild a table into C{schema}: a new table, the rows of C{copy}
    copied, the old one dropped, the new one renamed, indexes recreated.

    @ivar keep: live columns absent from the definition that stay.
    @ivar keep_indexes: live indexes absent from the definition that stay.
    @ivar added: definition columns the live table lacks.
    @ivar dropped: live columns that go (C{drop_columns}).
    """

    schema: TableSchema
    live: LiveTable
    reasons: tuple[str, ...]
    copy: tuple[str, ...]
    keep: tuple[CatalogColumn, ...] = ()
    keep_uniques: tuple[tuple[str, ...], ...] = ()
    keep_foreign_keys: tuple[ForeignKey, ...] = ()
    keep_indexes: tuple[CatalogIndex, ...] = ()
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    new_indexes: tuple[str, ...] = ()


Step = CreateTable | AddColumn | CreateIndex | Rebuild


@attrs.define
class Plan:
    """
    The steps of a sync, in order, and notes on what it leaves alone.
    """

    steps: list[Step] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)

    @property
    def destructive(self) -> bool:
        """Whether a step rebuilds (or drops) anything."""
        return any(isinstance(s, Rebuild) for s in self.steps)

    def rebuilt(self) -> list[Rebuild]:
        return [s for s in self.steps if isinstance(s, Rebuild)]

    def lines(self) -> list[str]:
        """The human-readable plan: one line per step, then the notes."""
        return [describe(s) for s in self.steps] + self.notes

    def report(self, backup: str | None) -> dict[str, Any]:
        """The C{sync_schema} result (PROTOCOL.md section 4)."""
        created: list[str] = []
        added: list[dict[str, str]] = []
        indexes: list[str] = []
        rebuilt: list[str] = []
        for step in self.steps:
            if isinstance(step, CreateTable):
                created.append(step.schema.name)
                indexes += [i.name for i in step.schema.indexes]
            elif isinstance(step, AddColumn):
                added.append({"table": step.table, "column": step.column.name})
            elif isinstance(step, CreateIndex):
                indexes.append(step.index.name)
            else:
                rebuilt.append(step.schema.name)
                added += [{"table": step.schema.name, "column": c} for c in step.added]
                indexes += step.new_indexes
        return {
            "changed": bool(self.steps),
            "created_tables": created,
            "added_columns": added,
            "created_indexes": indexes,
            "rebuilt_tables": rebuilt,
            "backup": backup,
            "plan": self.lines(),
        }


def describe(step: Step) -> str:
    """One step as a line of the plan."""
    if isinstance(step, CreateTable):
        schema = step.schema
        columns = ", ".join(f"{c.name} {c.type}" for c in schema.columns)
        line = f"create table {schema.name} ({columns})"
        if schema.indexes:
            line += " with index " + ", ".join(i.name for i in schema.indexes)
        return line
    if isinstance(step, AddColumn):
        return f"add column {step.table}.{step.column.name} ({step.column.type})"
    if isinstance(step, CreateIndex):
        verb = "recreate" if step.replace else "create"
        index = step.index
        kind = "unique index" if index.unique else "index"
        if index.fulltext:
            kind = "fulltext index"
        line = (
            f"{verb} {kind} {index.name} on {step.table} ({', '.join(index.columns)})"
        )
        return line if index.where_json is None else f"{line} where {index.where_json}"
    return f"rebuild table {step.schema.name}: " + "; ".join(step.reasons)


def make_plan(
    definition: Sequence[TableSchema],
    live: dict[str, LiveTable | None],
    names: Sequence[str],
    rules: Rules,
) -> Plan:
    """
    Compare C{definition} with the C{live} tables (one per defined table,
    C{None} where absent); C{names} are every table of the database.
    """
    plan = Plan()
    for schema in definition:
        table = live.get(schema.name)
        if table is None:
            plan.steps.append(CreateTable(schema))
        else:
            _diff_table(plan, schema, table, rules)
    defined = {s.name for s in definition}
    for name in names:
        if name not in defined:
            plan.notes.append(f"leave table {name} alone: not in the definition")
    return plan


def _expected_uniques(schema: TableSchema) -> set[tuple[str, ...]]:
    uniques = {(c.name,) for c in schema.columns if c.unique} | set(schema.unique)
    uniques.discard(schema.primary_key)  # a backend may merge it into the key
    return uniques


def _diff_table(plan: Plan, schema: TableSchema, live: LiveTable, rules: Rules) -> None:
    wanted = {c.name: c for c in schema.columns}
    have = {c.name: c for c in live.columns}
    reasons: list[str] = []
    for name, column in wanted.items():
        if name in have:
            reasons += column_changes(schema, column, have[name], rules)
    if schema.primary_key != live.primary_key:
        reasons.append(
            f"primary key ({', '.join(live.primary_key)}) -> "
            f"({', '.join(schema.primary_key)})"
        )
    wants = any(c.autoincrement for c in schema.columns)
    if live.autoincrement is not None and wants != live.autoincrement:
        reasons.append("autoincrement " + ("on" if wants else "off"))
    missing = [c for n, c in wanted.items() if n not in have]
    addable = [c for c in missing if _addable(c, schema, rules)]
    covered = set(wanted)

    def ours(columns: Sequence[str | None]) -> bool:
        return all(c in covered for c in columns)

    live_uniques = {u for u in live.uniques if ours(u)} - {live.primary_key}
    expected = _expected_uniques(schema)
    added_keys = {(c.name,) for c in addable}
    want_fks = {ForeignKey.of_key(k) for k in schema.all_foreign_keys()}
    want_fks = {k for k in want_fks if k.columns not in added_keys}
    live_fks = {k for k in live.foreign_keys if ours(k.columns)}
    for verb, a, b in (
        ("new", expected, live_uniques),
        ("drop", live_uniques, expected),
    ):
        reasons += [f"{verb} unique ({', '.join(u)})" for u in sorted(a - b)]
    for verb, x, y in (("new", want_fks, live_fks), ("drop", live_fks, want_fks)):
        reasons += [
            f"{verb} foreign key {k.describe()}" for k in sorted(x - y, key=repr)
        ]
    extra = [c for n, c in have.items() if n not in wanted]
    if schema.drop_columns:
        reasons += [f"drop column {c.name}" for c in extra]
    else:
        plan.notes += [
            f"keep column {schema.name}.{c.name}: not in the definition "
            '(set "drop_columns": true to drop it)'
            for c in extra
        ]
    if live.described is not None:
        reasons += described_changes(schema, live.described)
    if reasons or len(addable) < len(missing):
        reasons += [f"add column {c.name} ({c.type})" for c in missing]
    live_indexes = {i.name: i for i in live.indexes}
    described = {} if live.described is None else live.described.index_map()
    index_steps = []
    for index in schema.indexes:
        found = live_indexes.get(index.name)
        seen = described.get(index.name)
        if seen is not None:
            changed = seen != index
        else:
            changed = found is None or not found.matches(index)
        if changed:
            replace = found is not None or seen is not None
            index_steps.append(CreateIndex(schema.name, index, replace))
    others = [i for i in live.indexes if i.name not in {x.name for x in schema.indexes}]
    if reasons:
        plan.steps.append(
            _rebuild(schema, live, reasons, extra, others, index_steps, ours)
        )
        gone = [i.name for i in others if not _survives(i, schema, extra)]
        plan.notes += [f"index {n} goes with its columns" for n in gone]
        return
    plan.steps += [AddColumn(schema.name, c) for c in addable]
    plan.steps += index_steps
    plan.notes += [
        f"leave index {i.name} on {schema.name} alone: not in the definition"
        for i in others
    ]


def _addable(column: Column, schema: TableSchema, rules: Rules) -> bool:
    in_unique = any(column.name in u for u in schema.unique)
    return (
        not column.primary_key
        and not column.unique
        and not in_unique
        and rules.can_add(column, schema)
    )


def _survives(
    index: CatalogIndex, schema: TableSchema, extra: list[CatalogColumn]
) -> bool:
    names = {c.name for c in schema.columns}
    if not schema.drop_columns:
        names |= {c.name for c in extra}
    return index.sql is not None and all(c is None or c in names for c in index.columns)


def _rebuild(
    schema: TableSchema,
    live: LiveTable,
    reasons: list[str],
    extra: list[CatalogColumn],
    others: list[CatalogIndex],
    index_steps: list[CreateIndex],
    ours: Callable[[Sequence[str | None]], bool],
) -> Rebuild:
    have = {c.name for c in live.columns}
    keep = () if schema.drop_columns else tuple(extra)
    copy = tuple(c.name for c in schema.columns if c.name in have)
    return Rebuild(
        schema,
        live,
        tuple(reasons),
        copy + tuple(c.name for c in keep),
        keep,
        tuple(sorted(u for u in live.uniques if keep and not ours(u))),
        tuple(
            sorted(
                (k for k in live.foreign_keys if keep and not ours(k.columns)), key=repr
            )
        ),
        tuple(i for i in others if _survives(i, schema, extra)),
        tuple(c.name for c in schema.columns if c.name not in have),
        tuple(c.name for c in extra) if schema.drop_columns else (),
        tuple(s.index.name for s in index_steps),
    )
