"""
The table-schema format of PROTOCOL.md section 4, parsed into the typed
records of L{dbdriver.requests.tableschema} that the SQL dialects render.
Parsing validates everything a backend would otherwise reject with a less
helpful message (or, worse, accept with another meaning).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.inputs import key_text, quoted
from dbdriver.requests.literals import canonical_uuid, column_default
from dbdriver.requests.tableschema import (
    ACTIONS,
    PORTABLE_TYPES,
    Check,
    Column,
    ForeignKey,
    Index,
    Reference,
    TableSchema,
    check_of,
    where_text,
)
from dbdriver.requests.values import boolean, identifier, identifiers
from dbdriver.requests.where import Node, match_columns, parse_where, where_columns

__all__ = ["canonical_uuid", "parse_table"]

_COLUMN_KEYS = frozenset(
    {"name", "type", "primary_key", "autoincrement", "not_null", "unique"}
    | {"default", "references", "max_length", "check"}
)
_TABLE_KEYS = frozenset(
    {"name", "columns", "primary_key", "unique", "foreign_keys", "checks"}
    | {"indexes", "drop_columns"}
)
_INDEX_KEYS = frozenset({"name", "columns", "unique", "where", "kind"})
_FLAGS = ("primary_key", "autoincrement", "not_null", "unique")
#: The longest C{max_length}: what every backend's text type holds.
MAX_LENGTH = 1 << 30


def parse_table(value: object) -> TableSchema:
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
    parsed = [_column(name, c) for c in raw_columns]
    names = [c.name for c in parsed]
    if len(set(names)) != len(names):
        raise InvalidParams(f"table {name}: a column name appears twice")
    key = _primary_key(name, names, value.get("primary_key"), parsed)
    columns = tuple(_keyed(c, c.name in key, len(key) == 1, name) for c in parsed)
    unique = tuple(
        tuple(_known(name, names, identifiers(u, "unique column")))
        for u in _list(value.get("unique", []), f"table {name}: unique")
    )
    foreign_keys = tuple(
        _foreign_key(name, names, f)
        for f in _list(value.get("foreign_keys", []), f"table {name}: foreign_keys")
    )
    checks = tuple(
        _table_check(name, names, i, c)
        for i, c in enumerate(_list(value.get("checks", []), f"table {name}: checks"))
    )
    indexes = tuple(
        _index(name, columns, i)
        for i in _list(value.get("indexes", []), f"table {name}: indexes")
    )
    for what, found in (
        ("an index name", [i.name for i in indexes]),
        ("a check name", [c.name for c in (*checks, *_own_checks(columns))]),
    ):
        if len(set(found)) != len(found):
            raise InvalidParams(f"table {name}: {what} appears twice")
    columns, unique, foreign_keys = _one_column_keys(columns, key, unique, foreign_keys)
    return TableSchema(
        name,
        columns,
        key,
        tuple(sorted(set(unique))),
        tuple(sorted(set(foreign_keys), key=lambda f: f.columns)),
        tuple(sorted(checks, key=lambda c: c.name)),
        tuple(sorted(indexes, key=lambda i: i.name)),
        boolean(value.get("drop_columns", False), "drop_columns"),
    )


def _one_column_keys(
    columns: tuple[Column, ...],
    key: tuple[str, ...],
    unique: tuple[tuple[str, ...], ...],
    foreign_keys: tuple[ForeignKey, ...],
) -> tuple[tuple[Column, ...], tuple[tuple[str, ...], ...], tuple[ForeignKey, ...]]:
    # One spelling of a one-column key: the column's flag (a unique key on
    # the primary key is the key itself), its references.
    flagged = {u[0] for u in unique if len(u) == 1 and (u[0],) != key}
    referring = {f.columns[0]: f.reference for f in foreign_keys if len(f.columns) == 1}
    out = []
    for column in columns:
        references = column.references
        if column.name in referring and references is None:
            references = referring.pop(column.name)
        out.append(
            attrs.evolve(
                column,
                unique=column.unique or column.name in flagged,
                references=references,
            )
        )
    rest = tuple(u for u in unique if len(u) > 1)
    keys = tuple(
        f for f in foreign_keys if len(f.columns) > 1 or f.columns[0] in referring
    )
    return tuple(out), rest, keys


def _own_checks(columns: tuple[Column, ...]) -> list[Check]:
    return [c.check for c in columns if c.check is not None]


def _no_unknown(value: Mapping[str, object], known: frozenset[str], what: str) -> None:
    unknown = sorted(key_text(k) for k in value if k not in known)
    if unknown:
        raise InvalidParams(f"{what}: unknown keys {quoted(unknown)}")


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidParams(f"{what} must be an array")
    return value


def _map(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InvalidParams(f"{what} must be a map")
    return value


def _known(table: str, names: list[str], columns: list[str]) -> list[str]:
    for column in columns:
        if column not in names:
            raise InvalidParams(f"table {table}: no column {quoted(column)}")
    return columns


def _primary_key(
    table: str, names: list[str], given: object, columns: list[Column]
) -> tuple[str, ...]:
    flagged = [c.name for c in columns if c.primary_key]
    if given is None:
        return tuple(flagged)
    key = _known(table, names, identifiers(given, "primary_key column"))
    if flagged and set(flagged) != set(key):
        raise InvalidParams(
            f"table {table}: primary_key {key} disagrees with the flagged columns"
        )
    return tuple(key)


def _keyed(column: Column, in_key: bool, alone: bool, table: str) -> Column:
    if column.autoincrement and not (in_key and alone and column.type == "integer"):
        raise InvalidParams(
            f"table {table}: autoincrement needs a single integer primary key"
        )
    if not in_key:
        return column
    # A key column is never null, on every backend (SQLite would allow it).
    return Column(
        column.name,
        column.type,
        True,
        column.autoincrement,
        True,
        column.unique and not alone,
        column.default,
        column.references,
        column.max_length,
        column.check,
    )


def _column(table: str, value: object) -> Column:
    value = _map(value, f"table {table}: each column")
    _no_unknown(value, _COLUMN_KEYS, f"table {table} column")
    name = identifier(value.get("name"), "column name")
    kind = value.get("type")
    if type(kind) is not str or kind not in PORTABLE_TYPES:
        raise InvalidParams(
            f"table {table} column {name}: type must be one of {sorted(PORTABLE_TYPES)}"
        )
    flags = [boolean(value.get(f, False), f"column {name}: {f}") for f in _FLAGS]
    max_length = value.get("max_length")
    if max_length is not None:
        if kind != "text":
            raise InvalidParams(f"column {name}: max_length needs a text column")
        if type(max_length) is not int or not 1 <= max_length <= MAX_LENGTH:
            raise InvalidParams(
                f"column {name}: max_length must be an integer from 1 to {MAX_LENGTH}"
            )
    default = None
    if "default" in value:
        default = column_default(name, kind, max_length, value["default"])
    reference = None
    if value.get("references") is not None:
        reference = _reference(name, value["references"])
    check = None
    if value.get("check") is not None:
        node = _schema_where(value["check"], f"column {name}: check", [name])
        check = check_of(_name(table, name, "check"), node)
    primary_key, autoincrement, not_null, unique = flags
    return Column(
        name,
        kind,
        primary_key,
        autoincrement,
        not_null,
        unique,
        default,
        reference,
        max_length,
        check,
    )


def _actions(value: Mapping[str, object], what: str) -> list[str | None]:
    actions: list[str | None] = []
    for key in ("on_delete", "on_update"):
        action = value.get(key)
        if action is not None:
            if type(action) is not str or action.lower() not in ACTIONS:
                raise InvalidParams(f"{what}: {key} must be one of {sorted(ACTIONS)}")
            action = action.lower()
            if action == "no action":
                action = None
        actions.append(action)
    return actions


def _reference(column: str, value: object) -> Reference:
    value = _map(value, f"column {column}: references")
    _no_unknown(
        value, frozenset({"table", "column", "on_delete", "on_update"}), "references"
    )
    return Reference(
        identifier(value.get("table"), "referenced table"),
        (identifier(value.get("column"), "referenced column"),),
        *_actions(value, f"column {column}"),
    )


def _foreign_key(table: str, names: list[str], value: object) -> ForeignKey:
    what = f"table {table}: foreign key"
    value = _map(value, what)
    _no_unknown(
        value, frozenset({"columns", "references", "on_delete", "on_update"}), what
    )
    columns = _known(
        table, names, identifiers(value.get("columns"), "foreign key column")
    )
    target = _map(value.get("references"), f"{what} references")
    _no_unknown(target, frozenset({"table", "columns"}), f"{what} references")
    referenced = identifiers(target.get("columns"), "referenced column")
    if len(referenced) != len(columns):
        raise InvalidParams(f"{what}: {columns} and {referenced} differ in length")
    return ForeignKey(
        tuple(columns),
        Reference(
            identifier(target.get("table"), "referenced table"),
            tuple(referenced),
            *_actions(value, what),
        ),
    )


def _table_check(table: str, names: list[str], i: int, value: object) -> Check:
    what = f"table {table}: checks[{i}]"
    value = _map(value, what)
    _no_unknown(value, frozenset({"name", "where"}), what)
    node = _schema_where(value.get("where"), what, names)
    name = value.get("name")
    if name is None:
        digest = hashlib.sha1(repr(node).encode()).hexdigest()[:8]
        name = _name(table, digest, "check")
    return check_of(identifier(name, "check name"), node)


def _schema_where(value: object, what: str, names: list[str]) -> Node:
    if not isinstance(value, dict) or not value:
        raise InvalidParams(f"{what} must be a non-empty where map")
    try:
        node = parse_where(value)
    except RecursionError:
        raise InvalidParams(f"{what} is nested too deeply") from None
    if node[0] in ("true", "false"):
        raise InvalidParams(f"{what} is always {node[0]}")
    if match_columns(node):
        raise InvalidParams(f"{what}: match is for queries, not schemas")
    for column in where_columns(node):
        if column not in names:
            raise InvalidParams(f"{what}: no column {quoted(column)}")
    try:
        where_text(node)
    except (TypeError, ValueError, RecursionError):
        raise InvalidParams(f"{what}: operands are numbers, text, booleans") from None
    return node


def _index(table: str, columns: tuple[Column, ...], value: object) -> Index:
    value = _map(value, f"table {table}: each index")
    _no_unknown(
        value, frozenset({"name", "columns", "unique", "where", "kind"}), "index"
    )
    names = [c.name for c in columns]
    indexed = _known(table, names, identifiers(value.get("columns"), "index column"))
    name = value.get("name")
    if name is None:
        name = "_".join(["idx", table, *indexed])[:63]
    name = identifier(name, "index name")
    unique = boolean(value.get("unique", False), "index unique")
    kind = value.get("kind", "btree")
    if kind not in ("btree", "fulltext"):
        raise InvalidParams(f"index {name}: kind must be btree or fulltext")
    where = node = None
    if value.get("where") is not None:
        node = _schema_where(value["where"], f"index {name}: where", names)
    if kind == "fulltext":
        types = {c.name: c.type for c in columns}
        if unique or node is not None:
            raise InvalidParams(
                f"index {name}: a fulltext index is never unique or partial"
            )
        if any(types[c] != "text" for c in indexed):
            raise InvalidParams(f"index {name}: a fulltext index names text columns")
    if node is not None:
        where = where_text(node)
    return Index(name, tuple(indexed), unique, where, node, str(kind))


def _name(table: str, middle: str, suffix: str) -> str:
    # Generated constraint names fit the 63-character identifier rule.
    room = 63 - len(middle) - len(suffix) - 2
    return f"{table[:room]}_{middle}_{suffix}"[:63]
