"""
The MySQL/MariaDB dialect: backtick quoting, C{%s} parameters, the portable
types as MySQL types, C{ON DUPLICATE KEY UPDATE}, C{REPLACE}, C{RETURNING}
(MariaDB 10.5+), and raw SQL with C{?} placeholders rewritten for PyMySQL.

Portable types: C{integer} and C{bigint} are C{BIGINT} (SQLite integers are
64-bit; an C{integer} column carries the comment C{dbdriver:integer} so
that C{get_table_info} tells them apart), C{real} C{DOUBLE}, C{text}
C{LONGTEXT} (C{VARCHAR} where a key needs a length), C{blob} C{LONGBLOB}
(C{VARBINARY} likewise), C{boolean} C{BOOLEAN}, C{timestamp} C{DATETIME(6)}
holding UTC, C{json} C{JSON}.  A single C{integer} primary key is
C{AUTO_INCREMENT}, as SQLite's rowid picks the next id for a missing key.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Sequence
from typing import Any

from dbdriver.drivers.sql.dialect import Dialect, to_json
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams
from dbdriver.requests import sqltext
from dbdriver.requests.schema import Column, TableSchema
from dbdriver.requests.sqltext import Lexicon, format_placeholders
from dbdriver.requests.where import Node

__all__ = [
    "INTEGER_COMMENT",
    "LEXICON",
    "MySQLDialect",
    "convert_placeholders",
    "leading_words",
    "strip_literals",
    "to_utc",
]

INTEGER_COMMENT = "dbdriver:integer"
_INT64 = (-(2**63), 2**63)
_NO_LIMIT = 18446744073709551615
#: InnoDB's longest index key, in bytes.
_KEY_BYTES = 3072
_TEXT_PREFIX, _BLOB_PREFIX = 191, 255

#: How the server reads SQL text with sql_mode C{ANSI_QUOTES} and
#: C{NO_BACKSLASH_ESCAPES} (doubled quotes only): C{#} comments, C{--} ones
#: only before white space, and executable comments (C{/*! ... */},
#: C{/*M! ... */}), which are code.
LEXICON = Lexicon(
    identifier_quotes='"`',
    hash_comments=True,
    dash_space=True,
    executable_comments=True,
    keyword="[A-Za-z_]+",
)


@functools.lru_cache(maxsize=512)
def convert_placeholders(sql: str) -> tuple[str, int]:
    """
    Raw SQL with C{?} placeholders as PyMySQL's C{%s}, and how many there
    are; a literal C{%} becomes C{%%} (PyMySQL interpolates with C{%}).
    Literals, quoted identifiers and comments keep their C{?}.
    """
    return format_placeholders(sql, LEXICON)


def strip_literals(sql: str) -> str:
    """
    The SQL with its string literals and comments blanked out.
    """
    return sqltext.strip_literals(sql, LEXICON)


def leading_words(sql: str, count: int = 2) -> list[str]:
    """
    The first C{count} keywords of a statement, upper case, after
    whitespace and comments (the code of executable comments counts).
    """
    return sqltext.leading_words(sql, LEXICON, count)


def to_utc(value: datetime.datetime) -> datetime.datetime:
    """
    A datetime as the naive UTC value a C{DATETIME} column holds (a naive
    one is taken as UTC already).
    """
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def parse_timestamp(text: str) -> datetime.datetime:
    """
    ISO 8601 text as a naive UTC datetime; L{InvalidParams} if it is not.
    """
    try:
        return to_utc(datetime.datetime.fromisoformat(text))
    except ValueError:
        raise InvalidParams(
            f"{text!r} is not an ISO 8601 timestamp "
            "(e.g. 2026-11-27T02:19:20.123456+00:00)"
        ) from None


class MySQLDialect(Dialect):
    """
    SQL text for MySQL 8 and MariaDB 10.5+.

    @ivar returning: the server has C{INSERT ... RETURNING} (MariaDB).
    @ivar long_unique: the server enforces C{UNIQUE} on C{LONGTEXT} (MariaDB
        10.4+); otherwise unique text columns are C{VARCHAR}.
    @ivar collation: the binary collation of text: case-sensitive, and
        trailing spaces count, as on SQLite.
    """

    name = "mysql"
    quote_char = "`"
    param = "%s"
    types = {
        "integer": "BIGINT",
        "bigint": "BIGINT",
        "real": "DOUBLE",
        "text": "LONGTEXT",
        "blob": "LONGBLOB",
        "boolean": "BOOLEAN",
        "timestamp": "DATETIME(6)",
        "json": "JSON",
    }

    #: Integers too: one beyond 64 bits is invalid_params, as on SQLite
    #: (the server would only fail it if a row is written).
    adapted_types = Dialect.adapted_types | {"integer", "bigint"}

    def __init__(
        self,
        *,
        returning: bool = True,
        long_unique: bool = True,
        collation: str = "utf8mb4_nopad_bin",
    ) -> None:
        self.returning = returning
        self.long_unique = long_unique
        self.collation = collation

    # -- values -------------------------------------------------------------------

    def adapt(self, value: Any, column_type: str | None = None) -> Any:
        if value is None:
            return None
        if column_type == "json":
            return to_json(value)
        if column_type == "timestamp" and isinstance(value, str):
            return parse_timestamp(value)
        if isinstance(value, datetime.datetime):
            return to_utc(value)
        if isinstance(value, (dict, list)):
            return to_json(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidParams(
                f"{value} cannot be stored in MySQL/MariaDB; send null instead"
            )
        if type(value) is int and not _INT64[0] <= value < _INT64[1]:
            raise InvalidParams(f"value out of range: {value} does not fit in 64 bits")
        return value

    def typed_literal(self, value: Any, column_type: str) -> str:
        if column_type == "timestamp" and isinstance(value, str):
            return self.literal(parse_timestamp(value).isoformat(" "))
        return self.literal(value)

    def bind_where(self, node: Node, types: dict[str, str]) -> Node:
        """
        C{node} with ISO text compared to C{timestamp} columns as datetimes
        (the server would compare the text, offset ignored).
        """
        kind = node[0]
        if kind in ("and", "or"):
            return (kind, [self.bind_where(n, types) for n in node[1]])
        if kind == "not":
            return (kind, self.bind_where(node[1], types))
        if kind not in ("cmp", "in", "between") or types.get(node[1]) != "timestamp":
            return node
        if kind == "cmp":
            if "LIKE" in node[2]:
                return node
            return (kind, node[1], node[2], _when(node[3]))
        if kind == "in":
            return (kind, node[1], [_when(v) for v in node[2]], node[3])
        return (kind, node[1], _when(node[2]), _when(node[3]))

    # -- DDL ----------------------------------------------------------------------

    def create_table(self, schema: TableSchema, if_not_exists: bool) -> list[str]:
        pk = schema.primary_key
        sized = self._sized_keys(schema)
        lines = [self._column(c, len(pk) == 1, sized) for c in schema.columns]
        if len(pk) > 1:
            lines.append(f"PRIMARY KEY ({self.names(pk)})")
        lines.extend(f"UNIQUE ({self.names(u)})" for u in schema.unique)
        types = {c.name: c.type for c in schema.columns}
        for index in schema.indexes:
            parts = ", ".join(
                self.quote(c)
                + ("" if index.unique else self._prefix(types[c], c in sized))
                for c in index.columns
            )
            kind = "UNIQUE INDEX" if index.unique else "INDEX"
            lines.append(f"{kind} {self.quote(index.name)} ({parts})")
        for column in schema.columns:
            ref = column.references
            if ref is None:
                continue
            line = (
                f"FOREIGN KEY ({self.quote(column.name)}) "
                f"REFERENCES {self.quote(ref.table)} ({self.names(ref.columns)})"
            )
            if ref.on_delete:
                line += " ON DELETE " + ref.on_delete.upper()
            if ref.on_update:
                line += " ON UPDATE " + ref.on_update.upper()
            lines.append(line)
        exists = "IF NOT EXISTS " if if_not_exists else ""
        return [
            f"CREATE TABLE {exists}{self.quote(schema.name)} ({', '.join(lines)}) "
            f"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={self.collation}"
        ]

    def _sized_keys(self, schema: TableSchema) -> dict[str, int]:
        """
        The text and blob columns that need a length (keys of the primary
        key, foreign keys, and unique keys where the server has no long
        unique), with their lengths in characters (text) or bytes (blob).
        """
        strings = {c.name: c.type for c in schema.columns if c.type in ("text", "blob")}
        pk = [c for c in schema.primary_key if c in strings]
        fixed = len(schema.primary_key) - len(pk)
        sized: dict[str, int] = {}
        if pk:
            share = (_KEY_BYTES - 8 * fixed) // len(pk)
            for name in pk:
                sized[name] = share // 4 if strings[name] == "text" else share
        keyed = {c.name for c in schema.columns if c.references is not None}
        if not self.long_unique:
            keyed |= {c.name for c in schema.columns if c.unique}
            keyed |= {n for u in schema.unique for n in u}
            keyed |= {n for i in schema.indexes if i.unique for n in i.columns}
        for name in keyed:
            if name in strings and name not in sized:
                sized[name] = 768 if strings[name] == "text" else _KEY_BYTES
        return sized

    @staticmethod
    def _prefix(column_type: str, sized: bool) -> str:
        """
        The key prefix a non-unique index needs on a column of unbounded
        length.
        """
        if sized or column_type not in ("text", "blob", "json"):
            return ""
        return f"({_BLOB_PREFIX if column_type == 'blob' else _TEXT_PREFIX})"

    def _column(self, column: Column, single_pk: bool, sized: dict[str, int]) -> str:
        kind = self.types[column.type]
        if column.name in sized:
            size = sized[column.name]
            kind = f"VARCHAR({size})" if column.type == "text" else f"VARBINARY({size})"
        parts = [self.quote(column.name), kind]
        if column.primary_key or column.not_null:
            parts.append("NOT NULL")
        if column.primary_key and single_pk:
            if column.type == "integer":
                parts.append("AUTO_INCREMENT")
            parts.append("PRIMARY KEY")
        if column.unique:
            parts.append("UNIQUE")
        if column.has_default:
            parts.append("DEFAULT " + self.typed_literal(column.default, column.type))
        if column.type == "integer":
            parts.append(f"COMMENT '{INTEGER_COMMENT}'")
        return " ".join(parts)

    def live_column_sql(self, column: CatalogColumn) -> str:
        sql = super().live_column_sql(column)
        if column.type == "integer":
            sql += f" COMMENT '{INTEGER_COMMENT}'"
        return sql

    # -- DML ----------------------------------------------------------------------

    def insert_verb(self, on_conflict: object) -> str:
        # "ignore" and an upsert without "update" are plain inserts: the
        # driver skips the rows that hit a duplicate key (INSERT IGNORE would
        # also turn other errors into warnings).
        return "REPLACE" if on_conflict == "replace" else "INSERT"

    def conflict_sql(self, on_conflict: object, keep_id: str | None) -> str:
        if not (isinstance(on_conflict, dict) and on_conflict.get("update")):
            return ""
        sets = [
            f"{self.quote(c)} = VALUES({self.quote(c)})" for c in on_conflict["update"]
        ]
        if keep_id:  # the upsert sets LAST_INSERT_ID to the updated row's key
            key = self.quote(keep_id)
            sets.insert(0, f"{key} = LAST_INSERT_ID({key})")
        return " ON DUPLICATE KEY UPDATE " + ", ".join(sets)

    def returning_sql(self, returning: Sequence[str]) -> str:
        return super().returning_sql(returning) if self.returning else ""

    def limit(self, limit: int | None, offset: int | None) -> str:
        if limit is None and not offset:
            return ""
        sql = f" LIMIT {_NO_LIMIT if limit is None else int(limit)}"
        return sql + (f" OFFSET {int(offset)}" if offset else "")


def _when(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return to_utc(datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    return value
