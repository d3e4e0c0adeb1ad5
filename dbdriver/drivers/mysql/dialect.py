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

from dbdriver.drivers.mysql.ddl import INTEGER_COMMENT, MySQLDDL, fulltext_column
from dbdriver.drivers.sql.dialect import to_json
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams
from dbdriver.requests import sqltext
from dbdriver.requests.literals import canonical_uuid
from dbdriver.requests.sqltext import Lexicon, format_placeholders
from dbdriver.requests.where import Node, Terms

__all__ = [
    "INTEGER_COMMENT",
    "LEXICON",
    "MySQLDialect",
    "convert_placeholders",
    "leading_words",
    "strip_literals",
    "to_utc",
]

_INT64 = (-(2**63), 2**63)
_NO_LIMIT = 18446744073709551615

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


class MySQLDialect(MySQLDDL):
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

    #: Integers too: one beyond 64 bits is invalid_params, as on SQLite
    #: (the server would only fail it if a row is written).
    adapted_types = MySQLDDL.adapted_types | {"integer", "bigint"}

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
        if column_type == "uuid":
            return canonical_uuid(value, "a uuid column")
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

    # -- patterns and full text ---------------------------------------------------

    def render_like(
        self, column: str, pattern: str, negated: bool, insensitive: bool
    ) -> tuple[str, list[object]]:
        """
        C{LIKE} under a binary collation (character-wise, case-sensitive),
        or over C{LOWER} of both sides; the server's escape character is
        always the backslash, so each is doubled in the bound pattern.
        """
        not_ = "NOT " if negated else ""
        pattern = pattern.replace("\\", "\\\\")
        if insensitive:
            return (
                f"LOWER({column}) {not_}LIKE (LOWER({self.param}) COLLATE utf8mb4_bin)",
                [pattern],
            )
        return f"{column} {not_}LIKE ({self.param} COLLATE utf8mb4_bin)", [pattern]

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        """
        C{MATCH ... AGAINST} in boolean mode over C{target} (the column the
        full-text index holds): every term required, a prefix term with
        C{*}.
        """
        query = " ".join(f"+{word}{'*' if prefix else ''}" for word, prefix in terms)
        # (the shared renderer passes the column's name, not its target)
        searched = self.quote(target or fulltext_column(column))
        return f"MATCH ({searched}) AGAINST ({self.param} IN BOOLEAN MODE)", [query]

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
