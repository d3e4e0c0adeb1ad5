"""
PostgreSQL's SQL: the L{Dialect} of the table operations, the conversion of
raw SQL's C{?} placeholders to psycopg's C{%s}, and the catalog's column
types and defaults as C{get_table_info} reports them.

Nothing here touches a connection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dbdriver.drivers.sql.dialect import Dialect, to_json
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.sqltext import Lexicon, format_placeholders
from dbdriver.requests.tableschema import Column, Index, TableSchema
from dbdriver.requests.where import Terms

__all__ = [
    "AUTOINCREMENT_TAG",
    "INTEGER_COMMENT",
    "LEXICON",
    "NOW_SQL",
    "PORTABLE",
    "SQL_DEFAULT_TAG",
    "UUID_SQL",
    "PostgreSQLDialect",
    "column_comment",
    "comment_tags",
    "convert_placeholders",
    "portable_default",
    "portable_type",
    "tsvector_sql",
    "varchar_length",
]

#: The catalog's name of each portable type (C{format_type}), reversed.
PORTABLE = {
    "integer": "integer",
    "bigint": "bigint",
    "double precision": "real",
    "text": "text",
    "bytea": "blob",
    "boolean": "boolean",
    "timestamp with time zone": "timestamp",
    "jsonb": "json",
    "uuid": "uuid",
}

#: Marks the C{BIGINT} columns that a schema declared C{integer}: both
#: portable integer types are 64-bit, as on SQLite and MySQL.
INTEGER_COMMENT = "dbdriver:integer"
#: The other tags of a column's comment (C{dbdriver:tag tag ...}): a
#: schema's C{autoincrement} flag (every single integer key is an identity
#: column here) and an C{{"sql": ...}} default (told from a literal one).
AUTOINCREMENT_TAG = "autoincrement"
SQL_DEFAULT_TAG = "sql-default"
_TAG_PREFIX = "dbdriver:"
#: C{{"function": "now"}} by column type, as rendered (the catalog's
#: spelling, C{pg_get_expr}, is L{NOW_CATALOG}).
NOW_SQL = {
    "timestamp": "CURRENT_TIMESTAMP",
    "real": "(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)::double precision)",
    "integer": "(floor(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP))::bigint)",
    "bigint": "(floor(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP))::bigint)",
}
#: C{{"function": "uuid"}} by column type.
UUID_SQL = {"uuid": "gen_random_uuid()", "text": "(gen_random_uuid()::text)"}
_VARCHAR = re.compile(r"^character varying\((\d+)\)$")
_NUMBER_TYPES = frozenset(
    {"smallint", "integer", "bigint", "real", "double precision", "numeric"}
)
_CAST_LITERAL = re.compile(r"^'((?:[^']|'')*)'::([a-z ]+)(?:\(\d+(?:,\d+)?\))?$", re.S)
_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def portable_type(declared: str, comment: str | None = None) -> str:
    """
    The portable name of a catalog type (C{format_type} text), else the
    type itself in lower case; a C{bigint} column commented
    L{INTEGER_COMMENT} is an C{integer} one.
    """
    declared = declared.lower()
    if declared == "bigint" and "integer" in comment_tags(comment):
        return "integer"
    if _VARCHAR.match(declared):
        return "text"
    return PORTABLE.get(declared, declared)


def varchar_length(declared: str) -> int | None:
    """
    The length of a C{character varying(n)} type (a C{max_length}), else
    C{None}.
    """
    match = _VARCHAR.match(declared.lower())
    return int(match.group(1)) if match else None


def comment_tags(comment: str | None) -> set[str]:
    """
    The driver's tags in a column's comment (L{INTEGER_COMMENT} and the
    others); none in a comment the driver did not write.
    """
    if not comment or not comment.startswith(_TAG_PREFIX):
        return set()
    return set(comment[len(_TAG_PREFIX) :].split())


def column_comment(column: Column) -> str | None:
    """
    The comment that marks C{column}'s portable facts the catalog cannot
    hold: an C{integer} type (both are C{BIGINT}), C{autoincrement}, an
    C{sql} default; C{None} if there are none.
    """
    tags = []
    if column.type == "integer":
        tags.append("integer")
    if column.autoincrement:
        tags.append(AUTOINCREMENT_TAG)
    if column.default is not None and column.default.kind == "sql":
        tags.append(SQL_DEFAULT_TAG)
    return _TAG_PREFIX + " ".join(tags) if tags else None


def tsvector_sql(quoted: str) -> str:
    """
    The document of a full-text index on a quoted column: its text with
    every run of characters other than letters and digits made a space
    (so that words split as SQLite's C{unicode61} splits them, not by the
    parser's rules for host names, paths and the like), as C{simple}
    lexemes (lower case, no stemming, no stop words).  The index and the
    queries use this same expression.
    """
    return (
        f"to_tsvector('simple', regexp_replace(COALESCE({quoted}, ''), "
        "'[^[:alnum:]]+', ' ', 'g'))"
    )


def portable_default(expression: str | None) -> str | None:
    """
    A column default as the catalog holds it (C{pg_get_expr}), with the
    casts PostgreSQL adds to plain literals taken off, so that the same
    schema reads the same on every backend: C{'x'::text} is C{'x'},
    C{'-1'::integer} is C{-1}, C{true} is C{1} (as SQLite and MariaDB hold
    it).  Any other expression is returned as it is.
    """
    if expression is None:
        return None
    if expression in ("true", "false"):
        return "1" if expression == "true" else "0"
    match = _CAST_LITERAL.match(expression)
    if match is None:
        return expression
    literal, cast = match.groups()
    if cast in _NUMBER_TYPES and _NUMBER.match(literal):
        return literal
    return f"'{literal}'"


# -- placeholders ----------------------------------------------------------------

#: How PostgreSQL reads SQL text: C{E'...'} strings, dollar quotes, nested
#: comments.
LEXICON = Lexicon(escape_strings=True, dollar_quotes=True, nested_comments=True)


def convert_placeholders(sql: str) -> str:
    """
    Raw SQL with C{?} placeholders as psycopg takes it: each C{?} outside
    string literals, quoted identifiers, dollar-quoted strings and comments
    becomes C{%s}, and every literal C{%} (psycopg reads them anywhere)
    becomes C{%%}.

    @raise SQLError: the text holds more than one statement (as SQLite's
        C{execute} refuses it; a second statement could end the driver's
        transaction).
    """
    return format_placeholders(sql, LEXICON, one_statement=True)[0]


# -- the dialect -----------------------------------------------------------------


class PostgreSQLDialect(Dialect):
    """
    PostgreSQL: C{"} quotes, C{%s} parameters, C{ON CONFLICT}, C{RETURNING},
    identity columns for integer keys; C{integer} and C{bigint} are both
    C{BIGINT}.
    """

    name = "postgresql"
    quote_char = '"'
    param = "%s"
    types = {
        "integer": "BIGINT",
        "bigint": "BIGINT",
        "real": "DOUBLE PRECISION",
        "text": "TEXT",
        "blob": "BYTEA",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMPTZ",
        "json": "JSONB",
        "uuid": "UUID",
    }

    #: Numbers go through L{adapt} too, for its range check.
    adapted_types = Dialect.adapted_types | {"integer", "bigint", "real"}

    def adapt(self, value: Any, column_type: str | None = None) -> Any:
        """
        A wire value as a parameter; an integer beyond 64 bits is
        L{InvalidParams}, as on SQLite (psycopg would send it as a
        C{numeric}, which no integer column takes).
        """
        if type(value) is int and not -(2**63) <= value < 2**63:
            raise InvalidParams(f"value out of range: {value} does not fit in 64 bits")
        return super().adapt(value, column_type)

    def literal(self, value: object) -> str:
        if value is True or value is False:
            return "TRUE" if value else "FALSE"
        if isinstance(value, bytes):
            return f"'\\x{value.hex()}'::bytea"
        return super().literal(value)

    def typed_literal(self, value: object, column_type: str) -> str:
        """
        A literal default, cast where the type is not the literal's own.
        """
        cast = {"json": "jsonb", "uuid": "uuid", "timestamp": "timestamptz"}
        if value is None or column_type not in cast:
            return self.literal(value)
        if column_type == "json" and not isinstance(value, str):
            value = to_json(value)
        return f"{self.literal(value)}::{cast[column_type]}"

    def column_type(self, column: Column) -> str:
        """
        A column's type; a C{max_length} text is C{VARCHAR(n)}, which
        refuses a longer value (C{22001}, a C{constraint_violation}).
        """
        if column.type == "text" and column.max_length is not None:
            return f"VARCHAR({int(column.max_length)})"
        return self.types[column.type]

    def length_sql(self, column: Column) -> str:
        return ""  # in the type

    def default_sql(self, column: Column) -> str | None:
        default = column.default
        if default is not None and default.kind == "function":
            table = NOW_SQL if default.value == "now" else UUID_SQL
            return table[column.type]
        return super().default_sql(column)

    def render_like(
        self, column: str, pattern: str, negated: bool, insensitive: bool
    ) -> tuple[str, list[object]]:
        """
        C{LIKE} (case-sensitive) or C{ILIKE}, with no escape character
        (PostgreSQL's default one is a backslash).
        """
        op = ("NOT " if negated else "") + ("ILIKE" if insensitive else "LIKE")
        return f"{column} {op} {self.param} ESCAPE ''", [pattern]

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        """
        A full-text match: the index's own expression (L{tsvector_sql}) and
        a C{tsquery} of every term (quoted lexemes; C{:*} for a prefix).
        """
        query = " & ".join(
            "'"
            + word.replace("'", "''").replace("\\", "\\\\")
            + "'"
            + (":*" if prefix else "")
            for word, prefix in terms
        )
        sql = (
            f"{tsvector_sql(self.quote(column))} @@ to_tsquery('simple', {self.param})"
        )
        return sql, [query]

    def fulltext_sql(self, schema: TableSchema, index: Index) -> list[str]:
        """
        A GIN index of one L{tsvector_sql} expression per column.
        """
        parts = ", ".join(f"({tsvector_sql(self.quote(c))})" for c in index.columns)
        return [
            f"CREATE INDEX {self.quote(index.name)} ON {self.quote(schema.name)} "
            f"USING gin ({parts})"
        ]

    def comment_sql(self, table: str, column: Column) -> str:
        """
        The statement that sets C{column}'s comment (L{column_comment}).
        """
        comment = column_comment(column)
        text = "NULL" if comment is None else self.literal(comment)
        return (
            f"COMMENT ON COLUMN {self.quote(table)}.{self.quote(column.name)} IS {text}"
        )

    def column_sql(self, column: Column, single_pk: bool) -> str:
        """
        A column's definition.  A single integer primary key is an identity
        column (like SQLite's rowid: left out or null, it takes the next
        id, with or without C{autoincrement}).
        """
        parts = [self.quote(column.name), self.column_type(column)]
        identity = single_pk and column.primary_key and column.type == "integer"
        if column.primary_key and single_pk:
            parts.append("PRIMARY KEY")
            if identity:
                parts.append("GENERATED BY DEFAULT AS IDENTITY")
        elif column.not_null or column.primary_key:
            parts.append("NOT NULL")
        return " ".join(parts + self.constraints_sql(column))

    def create_table(self, schema: TableSchema, if_not_exists: bool) -> list[str]:
        """
        The table, its indexes, and a comment on each C{integer} column (so
        that the catalog tells it from a C{bigint} one).
        """
        statements = super().create_table(schema, if_not_exists)
        statements.extend(
            self.comment_sql(schema.name, c)
            for c in schema.columns
            if column_comment(c) is not None
        )
        return statements

    def insert_verb(self, on_conflict: object) -> str:
        # "replace" runs as a delete of the conflicting rows before a plain
        # insert, which is what this renders for it.
        return "INSERT"

    def values_sql(self, columns: Sequence[str], rows: int) -> str:
        return super().values_sql(columns, rows) if columns else "DEFAULT VALUES"

    def conflict_sql(self, on_conflict: object, keep_id: str | None) -> str:
        if on_conflict == "ignore":
            return " ON CONFLICT DO NOTHING"
        return super().conflict_sql(on_conflict, keep_id)

    def limit(self, limit: int | None, offset: int | None) -> str:
        sql = "" if limit is None else f" LIMIT {int(limit)}"
        return sql + (f" OFFSET {int(offset)}" if offset else "")
