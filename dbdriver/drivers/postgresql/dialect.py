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

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import Column, TableSchema
from dbdriver.requests.sqltext import Lexicon, format_placeholders

__all__ = [
    "INTEGER_COMMENT",
    "LEXICON",
    "PORTABLE",
    "PostgreSQLDialect",
    "convert_placeholders",
    "portable_default",
    "portable_type",
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
}

#: Marks the C{BIGINT} columns that a schema declared C{integer}: both
#: portable integer types are 64-bit, as on SQLite and MySQL.
INTEGER_COMMENT = "dbdriver:integer"
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
    if declared == "bigint" and comment == INTEGER_COMMENT:
        return "integer"
    return PORTABLE.get(declared, declared)


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
        return super().literal(value)

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
            f"COMMENT ON COLUMN {self.quote(schema.name)}.{self.quote(c.name)} "
            f"IS '{INTEGER_COMMENT}'"
            for c in schema.columns
            if c.type == "integer"
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
