"""
The DDL half of the MySQL/MariaDB dialect: a table schema as the
statements that create it, with what the server lacks emulated.

Column types: C{uuid} is MariaDB's native C{UUID} (10.7+; canonical lower
case text); C{text} is C{LONGTEXT}, but C{VARCHAR(max_length)} where a
C{max_length} is given (up to L{VARCHAR_MAX} characters; longer ones are
C{LONGTEXT} with a column check on C{CHAR_LENGTH}), and C{VARCHAR(255)}
(comment L{KEY_COMMENT}) for a text column used in a key or an index
without a C{max_length}.  Key and index columns of C{blob} are
C{VARBINARY(1024)}.  InnoDB keys hold at most 3,072 bytes (4 bytes a
character): a primary key or foreign key that cannot fit is
C{invalid_params} before any DDL; a unique key that does not fit is a
C{HASH} key (MariaDB does that itself); a plain index takes prefixes.

Partial indexes: a non-unique one is a plain index over its columns (the
same answers); a unique one is unique over its rows only through
invisible virtual generated columns C{_dbdriver_<index>_<i>} = C{IF(where,
column, NULL)} (comment C{dbdriver:of:<column>}) and a unique index over
them.  A full-text index is one InnoDB C{FULLTEXT} index per column
(C{MATCH} needs an index on exactly its columns); several columns' indexes
are named C{_dbdriver_<name>_<i>} with the comment C{dbdriver:fulltext:<name>}.
Every index the driver creates carries a comment (L{INDEX_COMMENT}) that
tells it from the keys the server makes for unique constraints and
foreign keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.drivers.mysql.indexes import MySQLIndexes, fulltext_column
from dbdriver.drivers.mysql.sizes import (
    AUTO_COMMENT,
    FULLTEXT_COMMENT,
    GENERATED,
    INDEX_COMMENT,
    INTEGER_COMMENT,
    KEY_COMMENT,
    OF_COMMENT,
    UNIQUE_COMMENT,
    VARCHAR_MAX,
)
from dbdriver.requests.tableschema import Column, Reference, TableSchema

__all__ = [
    "AUTO_COMMENT",
    "FULLTEXT_COMMENT",
    "GENERATED",
    "INDEX_COMMENT",
    "INTEGER_COMMENT",
    "KEY_COMMENT",
    "OF_COMMENT",
    "UNIQUE_COMMENT",
    "VARCHAR_MAX",
    "MySQLDDL",
    "fulltext_column",
]


class MySQLDDL(MySQLIndexes):
    """
    Table DDL for MariaDB 10.7+ (and MySQL 8 where it has the same).
    """

    # -- columns ---------------------------------------------------------------

    def default_sql(self, column: Column) -> str | None:
        default = column.default
        if default is not None and default.kind == "function" and column.type == "uuid":
            return self.uuid_sql()
        return super().default_sql(column)

    now_expressions = {
        "timestamp": "UTC_TIMESTAMP(6)",
        "real": "(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(6)))",
        "integer": "(UNIX_TIMESTAMP())",
    }

    def uuid_sql(self) -> str:
        # UUID() is version 1: a version-4 one from random bytes.
        return (
            "(LOWER(CONCAT(HEX(RANDOM_BYTES(4)), '-', HEX(RANDOM_BYTES(2)), "
            "'-4', SUBSTR(HEX(RANDOM_BYTES(2)), 2), '-', "
            "SUBSTR('89ab', 1 + FLOOR(RAND() * 4), 1), "
            "SUBSTR(HEX(RANDOM_BYTES(2)), 2), '-', HEX(RANDOM_BYTES(6)))))"
        )

    def length_sql(self, column: Column) -> str:
        return ""

    def column_def(self, column: Column, schema: TableSchema, inline_key: bool) -> str:
        """
        One column's definition; C{inline_key}: a single primary key is
        declared with it.
        """
        kind, comment = self.sized(column, column.name in self.keyed_columns(schema))
        parts = [self.quote(column.name), kind]
        if column.not_null or column.primary_key:
            parts.append("NOT NULL")
        single = len(schema.primary_key) == 1
        if column.primary_key and single and column.type == "integer":
            parts.append("AUTO_INCREMENT")
        if column.primary_key and single and inline_key:
            parts.append("PRIMARY KEY")
        default = self.default_sql(column)
        if default is not None:
            parts.append("DEFAULT " + default)
        if kind == "LONGTEXT" and column.max_length is not None:
            name = self.quote(column.name)
            parts.append(f"CHECK (CHAR_LENGTH({name}) <= {int(column.max_length)})")
        if comment:
            parts.append(f"COMMENT '{comment}'")
        return " ".join(parts)

    def references_sql(self, ref: Reference, columns: Sequence[str] = ()) -> str:
        # An unset action reads back as RESTRICT: NO ACTION is said outright.
        return super().references_sql(
            Reference(
                ref.table,
                ref.columns,
                ref.on_delete or "no action",
                ref.on_update or "no action",
            ),
            columns,
        )

    # -- tables and indexes ----------------------------------------------------

    def create_table(self, schema: TableSchema, if_not_exists: bool) -> list[str]:
        self.check_sizes(schema)
        lines = [self.column_def(c, schema, True) for c in schema.columns]
        if len(schema.primary_key) > 1:
            lines.append(f"PRIMARY KEY ({self.names(schema.primary_key)})")
        lines.extend(f"UNIQUE ({self.names(u)})" for u in schema.all_unique())
        # (MariaDB ignores a column's REFERENCES: every key is the table's)
        lines.extend(
            self.references_sql(f.reference, f.columns)
            for f in schema.all_foreign_keys()
        )
        lines.extend(self.check_sql(c) for c in schema.all_checks())
        exists = "IF NOT EXISTS " if if_not_exists else ""
        statements = [
            f"CREATE TABLE {exists}{self.quote(schema.name)} ({', '.join(lines)}) "
            f"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={self.collation}"
        ]
        for index in schema.indexes:
            statements.extend(self.index_sql(schema, index))
        return statements
