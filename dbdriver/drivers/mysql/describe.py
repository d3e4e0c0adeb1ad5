"""
C{describe_table} on MySQL/MariaDB: a table's whole schema from
C{information_schema} (columns, keys, indexes, foreign keys, checks) and the
driver's notes (the conditions of checks and partial indexes), undoing the
emulations of L{dbdriver.drivers.mysql.ddl}: the comments of its columns
and indexes say what each was declared as.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql.catalog import portable_type, unescape_literal
from dbdriver.drivers.mysql.ddl import (
    AUTO_COMMENT,
    FULLTEXT_COMMENT,
    GENERATED,
    INDEX_COMMENT,
    KEY_COMMENT,
    OF_COMMENT,
    UNIQUE_COMMENT,
)
from dbdriver.drivers.mysql.livetable import FOREIGN_KEYS_SQL, table_rows
from dbdriver.exceptions import NoSuchTable
from dbdriver.requests.tableschema import (
    Check,
    Column,
    Default,
    ForeignKey,
    Index,
    Reference,
    TableSchema,
    check_of,
)
from dbdriver.requests.where import parse_where

__all__ = ["describe", "fulltext_targets", "read_default"]

_LENGTH = re.compile(r"""char_length\([`"]?.+?[`"]?\)\s*<=\s*(\d+)""", re.IGNORECASE)
_LITERAL = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.DOTALL)
_SUFFIX = re.compile(r".*_(\d+)")


def read_default(text: str | None, column_type: str) -> Default | None:
    """
    A default as the driver's DDL rendered it, from the catalog's text:
    a literal of the column's type, a function, or else SQL.
    """
    if text is None or text == "NULL":
        return None
    lower = text.lower()
    if "random_bytes" in lower and "'89ab'" in lower:
        return Default("function", "uuid")
    if column_type == "timestamp" and lower.startswith("utc_timestamp"):
        return Default("function", "now")
    if column_type in ("real", "integer", "bigint") and lower.startswith(
        "unix_timestamp("
    ):
        return Default("function", "now")
    value = _literal(text, column_type)
    if value is not None:
        return Default("literal", value)
    return Default("sql", text)


def _literal(text: str, column_type: str) -> Any:
    quoted = _LITERAL.fullmatch(text) is not None
    raw = unescape_literal(text[1:-1]) if quoted else text
    try:
        if column_type in ("integer", "bigint"):
            return int(raw)
        if column_type == "real":
            return float(raw)
        if column_type == "boolean":
            return {"0": False, "1": True}.get(raw)
        if column_type == "timestamp" and quoted:
            moment = datetime.datetime.fromisoformat(raw)
            return moment.replace(tzinfo=datetime.UTC).isoformat()
        if column_type == "json" and quoted:
            json.loads(raw)
            return raw
    except ValueError:
        return None
    if quoted and column_type in ("text", "uuid"):
        return raw
    return None


def _action(rule: str) -> str | None:
    rule = rule.lower()
    return None if rule == "no action" else rule


def describe(
    cursor: DBCursor, table: str, notes: Mapping[tuple[str, str], str]
) -> TableSchema:
    """
    The schema of C{table}; L{NoSuchTable} if there is none.
    """
    columns = table_rows(
        cursor,
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
        "COLUMN_DEFAULT, COLUMN_COMMENT, CHARACTER_MAXIMUM_LENGTH "
        "FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION",
        table,
    )
    if not columns:
        raise NoSuchTable(f"no such table: {table}", {"table": table})
    checks = table_rows(
        cursor,
        "SELECT TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE "
        "FROM information_schema.CHECK_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        table,
    )
    stats = table_rows(
        cursor,
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, INDEX_TYPE, "
        "INDEX_COMMENT FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
        "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        table,
    )
    fks = table_rows(cursor, FOREIGN_KEYS_SQL, table)
    lengths: dict[str, int] = {}
    json_columns: set[str] = set()
    table_checks: set[str] = set()
    for name, level, clause in checks:
        if level.lower() == "column":
            found = _LENGTH.fullmatch(clause.strip())
            if found:
                lengths[name] = int(found.group(1))
            elif "json_valid" in clause.lower():
                json_columns.add(name)
        else:
            table_checks.add(name)
    sources: dict[str, str] = {}
    plain: list[Any] = []
    for row in columns:
        name, comment = row[0], row[5]
        if name.startswith(GENERATED):
            if comment.startswith(OF_COMMENT):
                sources[name] = comment[len(OF_COMMENT) :]
            continue
        plain.append(row)

    # keys and indexes
    groups: dict[str, list[Any]] = {}
    for index, non_unique, column, kind, comment in stats:
        entry = groups.setdefault(index, [bool(int(non_unique)), kind, comment, []])
        entry[3].append(column)
    primary = tuple(groups.pop("PRIMARY", [False, "", "", []])[3])
    foreign: dict[str, list[Any]] = {}
    for key, parent, on_delete, on_update, column, target in fks:
        group = foreign.setdefault(key, [[], parent, [], on_delete, on_update])
        group[0].append(column)
        group[2].append(target)
    fk_records = [
        ForeignKey(
            tuple(cols), Reference(parent, tuple(targets), _action(d), _action(u))
        )
        for cols, parent, targets, d, u in foreign.values()
    ]
    fk_columns = [f.columns for f in fk_records]
    uniques: list[tuple[str, ...]] = []
    indexes: list[Index] = []
    fulltext: dict[str, list[tuple[int, str]]] = {}
    for index, (non_unique, kind, comment, cols) in sorted(groups.items()):
        if comment.startswith(FULLTEXT_COMMENT) or kind == "FULLTEXT":
            declared = comment[len(FULLTEXT_COMMENT) :] or index
            found = _SUFFIX.fullmatch(index)
            position = int(found.group(1)) if found and declared != index else 0
            source = sources.get(cols[0], cols[0])
            fulltext.setdefault(declared, []).append((position, source))
            continue
        named = tuple(sources.get(c, c) for c in cols)
        generated = any(c in sources for c in cols)
        triggered = comment == UNIQUE_COMMENT
        if comment == INDEX_COMMENT or generated or triggered:
            where = notes.get(("index", index))
            if (generated or triggered) and where is None:
                continue  # a partial unique index without its condition
            node = None if where is None else parse_where(json.loads(where))
            unique = triggered or not non_unique
            indexes.append(Index(index, named, unique, where, node))
        elif not non_unique:
            uniques.append(named)
        elif index not in foreign and not any(
            named == f[: len(named)] for f in fk_columns
        ):
            indexes.append(Index(index, named))
    for declared, parts in fulltext.items():
        cols = tuple(c for _, c in sorted(parts))
        indexes.append(Index(declared, cols, kind="fulltext"))

    # checks, the columns' own (by their generated names) apart
    noted: dict[str, Check] = {
        name: check_of(name, parse_where(json.loads(text)))
        for (kind, name), text in notes.items()
        if kind == "check" and name in table_checks
    }
    single_fks = {f.columns[0]: f for f in fk_records if len(f.columns) == 1}
    single_uniques = {u[0] for u in uniques if len(u) == 1}
    described = []
    for name, data_type, column_type, nullable, default, comment, size in plain:
        kind = portable_type(data_type, column_type, comment, name in json_columns)
        max_length = None
        if kind == "text":
            if data_type.lower() == "varchar" and comment != KEY_COMMENT:
                max_length = int(size)
            max_length = lengths.get(name, max_length)
        in_key = name in primary
        own = noted.pop(_column_check_name(table, name), None)
        fk = single_fks.get(name)
        described.append(
            Column(
                name,
                kind,
                primary_key=in_key,
                autoincrement=comment == AUTO_COMMENT,
                not_null=nullable == "NO" or in_key,
                unique=name in single_uniques and primary != (name,),
                default=read_default(default, kind),
                references=None if fk is None else fk.reference,
                max_length=max_length,
                check=own,
            )
        )
    return TableSchema(
        table,
        tuple(described),
        primary,
        tuple(sorted({u for u in uniques if len(u) > 1})),
        tuple(sorted((f for f in fk_records if len(f.columns) > 1), key=_by_columns)),
        tuple(sorted(noted.values(), key=lambda c: c.name)),
        tuple(sorted(indexes, key=lambda i: i.name)),
    )


def _by_columns(key: ForeignKey) -> tuple[str, ...]:
    return key.columns


def _column_check_name(table: str, column: str) -> str:
    # (as dbdriver.requests.schema names a column's check)
    room = 63 - len(column) - len("check") - 2
    return f"{table[:room]}_{column}_check"[:63]


def fulltext_targets(cursor: DBCursor, table: str) -> dict[str, str]:
    """
    The columns of C{table} that a one-column C{FULLTEXT} index covers
    (C{MATCH} needs exactly that), each with the column the index holds
    (its lower-case copy).
    """
    cursor.execute(
        "SELECT s.TABLE_NAME, s.INDEX_NAME, s.COLUMN_NAME, c.COLUMN_COMMENT "
        "FROM information_schema.STATISTICS s JOIN information_schema.COLUMNS c "
        "ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME "
        "AND c.COLUMN_NAME = s.COLUMN_NAME "
        "WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = %s "
        "AND s.INDEX_TYPE = 'FULLTEXT'",
        (table,),
    )
    rows = [r[1:] for r in cursor.fetchall() if r[0] == table]
    counts: dict[str, int] = {}
    for index, _, _ in rows:
        counts[index] = counts.get(index, 0) + 1
    targets = {}
    for index, column, comment in rows:
        if counts[index] == 1:
            source = (
                comment[len(OF_COMMENT) :] if comment.startswith(OF_COMMENT) else column
            )
            targets[source] = column
    return targets
