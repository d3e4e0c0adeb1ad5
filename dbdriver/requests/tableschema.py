"""
The records of a table schema (PROTOCOL.md section 4, "Table schema"), as
the parser in L{dbdriver.requests.schema} builds them and the catalogs read
them back.

Every record has one canonical wire form (C{to_wire}): the same table
always gives the same map, whichever of the protocol's spellings described
it (a primary key as column flags or as a table key, a one-column foreign
key as C{references} or as a C{foreign_keys} entry, a default given as C{0}
on a C{real} column or as C{0.0}).  C{describe_table} answers that form, and
the schema planner compares two tables through it.
"""

from __future__ import annotations

import json
from typing import Literal

import attrs

from dbdriver.requests.values import Row, Scalar, Value
from dbdriver.requests.where import Node, where_to_wire

__all__ = [
    "ACTIONS",
    "DEFAULT_FUNCTIONS",
    "PORTABLE_TYPES",
    "Check",
    "Column",
    "Default",
    "ForeignKey",
    "Index",
    "Reference",
    "TableSchema",
    "check_of",
    "where_text",
]

PORTABLE_TYPES = frozenset(
    {"integer", "bigint", "real", "text", "blob", "boolean", "timestamp", "json"}
    | {"uuid"}
)
#: C{on_delete}/C{on_update} actions, in lower case.
ACTIONS = frozenset({"cascade", "restrict", "set null", "set default", "no action"})
#: C{{"function": name}} defaults, and the column types each one fills.
DEFAULT_FUNCTIONS: dict[str, frozenset[str]] = {
    "now": frozenset({"timestamp", "real", "integer", "bigint"}),
    "uuid": frozenset({"uuid", "text"}),
}


@attrs.frozen
class Default:
    """
    A column default: a literal of the column's type, a function the
    backend evaluates (C{"now"}, C{"uuid"}), or backend-specific SQL.
    """

    kind: Literal["literal", "function", "sql"]
    value: Scalar

    def to_wire(self) -> Value:
        if self.kind == "literal":
            return self.value
        return {self.kind: self.value}


@attrs.frozen
class Reference:
    """
    The target of a foreign key and what happens to its rows; an absent
    action is the backend's C{no action}.
    """

    table: str
    columns: tuple[str, ...]
    on_delete: str | None = None
    on_update: str | None = None

    def actions(self) -> Row:
        out: Row = {}
        if self.on_delete is not None:
            out["on_delete"] = self.on_delete
        if self.on_update is not None:
            out["on_update"] = self.on_update
        return out


@attrs.frozen
class ForeignKey:
    """
    C{columns} of this table refer to C{reference.columns} of another.
    """

    columns: tuple[str, ...]
    reference: Reference

    def to_wire(self) -> Row:
        return {
            "columns": list(self.columns),
            "references": {
                "table": self.reference.table,
                "columns": list(self.reference.columns),
            },
            **self.reference.actions(),
        }


@attrs.frozen
class Check:
    """
    A condition every row satisfies: a where clause of literal operands,
    kept both as its tree (to render) and in its canonical wire form.
    """

    name: str
    node: Node = attrs.field(eq=False, repr=False)
    #: The canonical where map as JSON text (keys sorted): records stay
    #: hashable, and equal conditions are equal whatever their key order.
    where_json: str

    @property
    def where(self) -> Row:
        where: Row = json.loads(self.where_json)
        return where

    def to_wire(self) -> Row:
        return {"name": self.name, "where": self.where}


@attrs.frozen
class Index:
    """
    An index; C{where} makes it partial, C{kind} is C{"btree"} or
    C{"fulltext"}.
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    #: The partial index's condition (see L{Check.where_json}).
    where_json: str | None = None
    node: Node | None = attrs.field(default=None, eq=False, repr=False)
    kind: str = "btree"

    @property
    def where(self) -> Row | None:
        if self.where_json is None:
            return None
        where: Row = json.loads(self.where_json)
        return where

    @property
    def partial(self) -> bool:
        return self.where_json is not None

    @property
    def fulltext(self) -> bool:
        return self.kind == "fulltext"

    def to_wire(self) -> Row:
        out: Row = {"name": self.name, "columns": list(self.columns)}
        if self.unique:
            out["unique"] = True
        if self.where is not None:
            out["where"] = self.where
        if self.kind != "btree":
            out["kind"] = self.kind
        return out


@attrs.frozen
class Column:
    """
    One column.  C{primary_key} is true for every column of the primary
    key (the key's order is L{TableSchema.primary_key}); C{unique},
    C{references} and C{check} hold only what concerns this column alone.
    """

    name: str
    type: str
    primary_key: bool = False
    autoincrement: bool = False
    not_null: bool = False
    unique: bool = False
    default: Default | None = None
    references: Reference | None = None
    max_length: int | None = None
    check: Check | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None

    def to_wire(self, composite: bool = False) -> Row:
        """
        The column's map; in a table with a C{composite} key, the key is the
        table's and the column carries no C{primary_key} flag.
        """
        out: Row = {"name": self.name, "type": self.type}
        if self.primary_key and not composite:
            out["primary_key"] = True
        for flag in ("autoincrement", "not_null", "unique"):
            if getattr(self, flag):
                out[flag] = True
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.default is not None:
            out["default"] = self.default.to_wire()
        if self.references is not None:
            ref = self.references
            out["references"] = {
                "table": ref.table,
                "column": ref.columns[0],
                **ref.actions(),
            }
        if self.check is not None:
            out["check"] = self.check.where
        return out


@attrs.frozen
class TableSchema:
    """
    A whole table.  C{primary_key} names the key's columns in key order
    (one column or several); C{unique}, C{foreign_keys} and C{checks} hold
    the table-level constraints, sorted, so that equal tables are equal
    records.
    """

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    drop_columns: bool = False

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    @property
    def raw_sql(self) -> bool:
        """Whether a default is backend-specific SQL (C{{"sql": ...}})."""
        return any(
            c.default is not None and c.default.kind == "sql" for c in self.columns
        )

    def index_map(self) -> dict[str, Index]:
        return {index.name: index for index in self.indexes}

    @property
    def fulltext(self) -> tuple[Index, ...]:
        return tuple(i for i in self.indexes if i.fulltext)

    def all_checks(self) -> tuple[Check, ...]:
        """
        Every check, the columns' own first.
        """
        own = tuple(c.check for c in self.columns if c.check is not None)
        return own + self.checks

    def all_unique(self) -> tuple[tuple[str, ...], ...]:
        """
        Every unique key (not the primary key), one-column ones included.
        """
        return tuple((c.name,) for c in self.columns if c.unique) + self.unique

    def all_foreign_keys(self) -> tuple[ForeignKey, ...]:
        """
        Every foreign key, one-column ones included.
        """
        own = tuple(
            ForeignKey((c.name,), c.references)
            for c in self.columns
            if c.references is not None
        )
        return own + self.foreign_keys

    def to_wire(self) -> Row:
        """
        The canonical form of PROTOCOL.md's table schema (what
        C{describe_table} answers).
        """
        composite = len(self.primary_key) > 1
        out: Row = {
            "name": self.name,
            "columns": [c.to_wire(composite) for c in self.columns],
        }
        if composite:
            out["primary_key"] = list(self.primary_key)
        if self.unique:
            out["unique"] = [list(u) for u in self.unique]
        if self.foreign_keys:
            out["foreign_keys"] = [f.to_wire() for f in self.foreign_keys]
        if self.checks:
            out["checks"] = [c.to_wire() for c in self.checks]
        if self.indexes:
            out["indexes"] = [i.to_wire() for i in self.indexes]
        return out


def check_of(name: str, node: Node) -> Check:
    """
    A L{Check} of a parsed where tree.
    """
    return Check(name, node, where_text(node))


def where_text(node: Node) -> str:
    """
    The canonical where map of a tree as JSON text, keys sorted.
    """
    return json.dumps(where_to_wire(node), sort_keys=True, separators=(",", ":"))
