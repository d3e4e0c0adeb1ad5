"""
The table-schema format of PROTOCOL.md section 4, parsed into typed values
that the SQL dialects render.  Parsing validates everything a backend would
otherwise reject with a less helpful message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.values import Scalar, boolean, identifier, identifiers

__all__ = ["PORTABLE_TYPES", "Column", "Index", "Reference", "TableSchema"]

PORTABLE_TYPES = frozenset(
    {"integer", "bigint", "real", "text", "blob", "boolean", "timestamp", "json"}
)
_ACTIONS = frozenset({"cascade", "restrict", "set null", "set default", "no action"})
_COLUMN_KEYS = frozenset(
    {"name", "type", "primary_key", "autoincrement", "not_null", "unique"}
    | {"default", "references"}
)
_TABLE_KEYS = frozenset({"name", "columns", "unique", "indexes", "drop_columns"})


@attrs.frozen
class Reference:
    table: str
    column: str
    on_delete: str | None = None
    on_update: str | None = None


@attrs.frozen
class Column:
    name: str
    type: str
    primary_key: bool = False
    autoincrement: bool = False
    not_null: bool = False
    unique: bool = False
    has_default: bool = False
    default: Scalar = None
    references: Reference | None = None


@attrs.frozen
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@attrs.frozen
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()
    drop_columns: bool = False

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)

    @classmethod
    def parse(cls, value: object) -> TableSchema:
        """
        Validate a table schema map; raise L{InvalidParams} naming the bad part.
        """
        if not isinstance(value, dict):
            raise InvalidParams("schema must be a map")
        _no_unknown(value, _TABLE_KEYS, "schema")
        name = identifier(value.get("name"), "table name")
        raw_columns = value.get("columns")
        if not isinstance(raw_columns, list) or not raw_columns:
            raise InvalidParams(f"table {name}: columns must be a non-empty array")
        columns = tuple(_column(name, c) for c in raw_columns)
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise InvalidParams(f"table {name}: a column name appears twice")
        pk = [c for c in columns if c.primary_key]
        for column in columns:
            if column.autoincrement and (len(pk) != 1 or column.type != "integer"):
                raise InvalidParams(
                    f"table {name}: autoincrement needs a single integer primary key"
                )
        unique = tuple(
            tuple(_known(name, names, identifiers(u, "unique column")))
            for u in _list(value.get("unique", []), f"table {name}: unique")
        )
        indexes = tuple(
            _index(name, names, i)
            for i in _list(value.get("indexes", []), f"table {name}: indexes")
        )
        index_names = [i.name for i in indexes]
        if len(set(index_names)) != len(index_names):
            raise InvalidParams(f"table {name}: an index name appears twice")
        return cls(
            name,
            columns,
            unique,
            indexes,
            boolean(value.get("drop_columns", False), "drop_columns"),
        )


def _no_unknown(value: Mapping[str, object], known: frozenset[str], what: str) -> None:
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise InvalidParams(f"{what}: unknown keys {unknown}")


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidParams(f"{what} must be an array")
    return value


def _known(table: str, names: list[str], columns: list[str]) -> list[str]:
    for column in columns:
        if column not in names:
            raise InvalidParams(f"table {table}: no column {column!r}")
    return columns


def _column(table: str, value: object) -> Column:
    if not isinstance(value, dict):
        raise InvalidParams(f"table {table}: each column must be a map")
    _no_unknown(value, _COLUMN_KEYS, f"table {table} column")
    name = identifier(value.get("name"), "column name")
    kind = value.get("type")
    if type(kind) is not str or kind not in PORTABLE_TYPES:
        raise InvalidParams(
            f"table {table} column {name}: type must be one of {sorted(PORTABLE_TYPES)}"
        )
    flags = {
        flag: boolean(value.get(flag, False), f"column {name}: {flag}")
        for flag in ("primary_key", "autoincrement", "not_null", "unique")
    }
    has_default = "default" in value
    default = value.get("default")
    if not isinstance(default, (type(None), bool, int, float, str)):
        raise InvalidParams(f"column {name}: default must be a scalar")
    if type(default) is bool and kind != "boolean":
        raise InvalidParams(f"column {name}: a boolean default needs a boolean column")
    if type(default) is float and not math.isfinite(default):
        raise InvalidParams(f"column {name}: a default must be a finite number")
    if type(default) is int and not -(2**63) <= default < 2**63:
        raise InvalidParams(f"column {name}: a default must fit in 64 bits")
    reference = None
    if value.get("references") is not None:
        reference = _reference(name, value["references"])
    return Column(
        name,
        kind,
        has_default=has_default,
        default=default,
        references=reference,
        **flags,
    )


def _reference(column: str, value: object) -> Reference:
    if not isinstance(value, dict):
        raise InvalidParams(f"column {column}: references must be a map")
    _no_unknown(
        value, frozenset({"table", "column", "on_delete", "on_update"}), "references"
    )
    actions = []
    for key in ("on_delete", "on_update"):
        action = value.get(key)
        if action is not None and (type(action) is not str or action not in _ACTIONS):
            raise InvalidParams(
                f"column {column}: {key} must be one of {sorted(_ACTIONS)}"
            )
        actions.append(action)
    return Reference(
        identifier(value.get("table"), "referenced table"),
        identifier(value.get("column"), "referenced column"),
        *actions,
    )


def _index(table: str, names: list[str], value: object) -> Index:
    if not isinstance(value, dict):
        raise InvalidParams(f"table {table}: each index must be a map")
    _no_unknown(value, frozenset({"name", "columns", "unique"}), "index")
    columns = _known(table, names, identifiers(value.get("columns"), "index column"))
    name = value.get("name")
    if name is None:
        name = "_".join(["idx", table, *columns])
    return Index(
        identifier(name, "index name"),
        tuple(columns),
        boolean(value.get("unique", False), "index unique"),
    )
