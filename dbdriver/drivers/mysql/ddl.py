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

import hashlib
from collections.abc import Sequence

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import Column, Index, Reference, TableSchema
from dbdriver.requests.where import where_columns

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
]

INTEGER_COMMENT = "dbdriver:integer"
#: An C{integer} key declared C{autoincrement} (every single integer key is
#: C{AUTO_INCREMENT}, as SQLite's rowid).
AUTO_COMMENT = "dbdriver:integer autoincrement"
#: A text column sized for a key, without a C{max_length} of its own.
KEY_COMMENT = "dbdriver:key"
INDEX_COMMENT = "dbdriver:index"
#: A partial unique index kept by triggers.
UNIQUE_COMMENT = "dbdriver:unique"
FULLTEXT_COMMENT = "dbdriver:fulltext:"
OF_COMMENT = "dbdriver:of:"
GENERATED = "_dbdriver_"
#: The longest C{max_length} kept as a C{VARCHAR}.
VARCHAR_MAX = 1024
KEY_TEXT, KEY_BLOB = 255, 1024
#: InnoDB's longest index key, in bytes.
KEY_BYTES = 3072
_TEXT_PREFIX, _BLOB_PREFIX = 191, 255
_FIXED_BYTES = {"uuid": 16, "boolean": 1, "timestamp": 8, "real": 8}


def _short(name: str, room: int) -> str:
    if len(name) <= room:
        return name
    return name[: room - 9] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def generated_name(index: str, position: int) -> str:
    """The name of a partial unique index's C{position}th generated column."""
    return _short(f"{GENERATED}{index}", 60) + f"_{position}"


def fulltext_name(index: Index, position: int) -> str:
    """The name of the InnoDB index of the C{position}th column of C{index}."""
    if len(index.columns) == 1:
        return index.name
    return _short(f"{GENERATED}{index.name}", 60) + f"_{position}"


def trigger_name(index: str, event: str) -> str:
    """The name of the trigger that keeps a partial unique C{index}."""
    return _short(f"{GENERATED}{index}", 60) + f"_{event[0].lower()}"


def _serial_key(schema: TableSchema) -> str | None:
    """The C{AUTO_INCREMENT} column of C{schema}, if it has one."""
    if len(schema.primary_key) == 1:
        column = schema.column(schema.primary_key[0])
        if column is not None and column.type == "integer":
            return column.name
    return None


def fulltext_column(column: str) -> str:
    """The stored lower-case copy of C{column} that full-text indexes hold."""
    return _short(f"{GENERATED}ft_{column}", 64)


class MySQLDDL(Dialect):
    """
    Table DDL for MariaDB 10.7+ (and MySQL 8 where it has the same).
    """

    types = {
        "integer": "BIGINT",
        "bigint": "BIGINT",
        "real": "DOUBLE",
        "text": "LONGTEXT",
        "blob": "LONGBLOB",
        "boolean": "BOOLEAN",
        "timestamp": "DATETIME(6)",
        "json": "JSON",
        "uuid": "UUID",
    }
    collation = "utf8mb4_nopad_bin"
    length_function = "CHAR_LENGTH"

    # -- sizes -----------------------------------------------------------------

    @staticmethod
    def keyed_columns(schema: TableSchema) -> set[str]:
        """The columns of every key and btree index of C{schema}."""
        names = set(schema.primary_key)
        names |= {n for u in schema.all_unique() for n in u}
        names |= {n for f in schema.all_foreign_keys() for n in f.columns}
        names |= {n for i in schema.indexes if not i.fulltext for n in i.columns}
        return names

    def sized(self, column: Column, keyed: bool) -> tuple[str, str | None]:
        """
        A column's type and comment (C{None}: none).
        """
        if column.type == "text":
            if column.max_length is not None:
                if keyed or column.max_length <= VARCHAR_MAX:
                    return f"VARCHAR({column.max_length})", None
                return "LONGTEXT", None
            if keyed:
                return f"VARCHAR({KEY_TEXT})", KEY_COMMENT
        if column.type == "blob" and keyed:
            return f"VARBINARY({KEY_BLOB})", None
        if column.type == "integer":
            return "BIGINT", AUTO_COMMENT if column.autoincrement else INTEGER_COMMENT
        return self.types[column.type], None

    @staticmethod
    def key_bytes(column: Column, keyed: bool) -> int:
        """The most bytes a value of C{column} takes in a key."""
        if column.type == "text":
            size = column.max_length or KEY_TEXT
            return 4 * size + 2 if (keyed or size <= VARCHAR_MAX) else 4 * size
        if column.type == "blob":
            return KEY_BLOB + 2
        return _FIXED_BYTES.get(column.type, 8)

    def check_sizes(self, schema: TableSchema) -> None:
        """
        L{InvalidParams} naming the first primary or foreign key that InnoDB
        cannot hold (over 3,072 bytes), before any DDL runs.
        """
        keyed = self.keyed_columns(schema)
        columns = {c.name: c for c in schema.columns}
        keys = [("primary key", schema.primary_key)]
        keys += [
            (f"foreign key ({', '.join(f.columns)})", f.columns)
            for f in schema.all_foreign_keys()
        ]
        for what, names in keys:
            size = sum(self.key_bytes(columns[n], n in keyed) for n in names)
            if size > KEY_BYTES:
                raise InvalidParams(
                    f"table {schema.name}: the {what} needs {size} bytes; "
                    f"MariaDB keys hold {KEY_BYTES} (a text column in a key "
                    f"without max_length takes {4 * KEY_TEXT + 2}): give its "
                    "text columns a smaller max_length",
                    {"table": schema.name, "index": what},
                )

    def index_parts(
        self,
        schema: TableSchema,
        columns: Sequence[str],
        live: dict[str, str] | None = None,
    ) -> str:
        """
        A non-unique index's columns, with prefixes where the whole key
        would be longer than InnoDB's (the same rows are found); C{live}:
        the column types as they are (an index added to a table).
        """
        keyed = self.keyed_columns(schema)
        if live is not None:
            keyed = {n for n in columns if not live.get(n, "").startswith("long")}
        found = {c.name: c for c in schema.columns}
        known = [found[n] for n in columns if n in found]
        total = sum(self.key_bytes(c, c.name in keyed) for c in known)
        parts = []
        for name in columns:
            column = found.get(name)
            prefix = ""
            if column is not None and column.type in ("text", "blob", "json"):
                long = column.type == "json" or (
                    column.name not in keyed
                    and (column.max_length or VARCHAR_MAX + 1) > VARCHAR_MAX
                )
                if long or total > KEY_BYTES:
                    size = _BLOB_PREFIX if column.type == "blob" else _TEXT_PREFIX
                    prefix = f"({size})"
            parts.append(self.quote(name) + prefix)
        return ", ".join(parts)

    # -- columns ---------------------------------------------------------------

    def default_sql(self, column: Column) -> str | None:
        default = column.default
        if default is not None and default.kind == "function" and column.type == "uuid":
            return self.uuid_sql()
        return super().default_sql(column)

    def now_sql(self, column_type: str) -> str:
        if column_type == "timestamp":
            return "UTC_TIMESTAMP(6)"
        if column_type == "real":
            return "(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(6)))"
        return "(UNIX_TIMESTAMP())"

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

    def index_sql(self, schema: TableSchema, index: Index) -> list[str]:
        return self.live_index_sql(schema, index, None)

    def live_index_sql(
        self, schema: TableSchema, index: Index, live: dict[str, str] | None
    ) -> list[str]:
        """
        The statements of one index; C{live}: the column types as they are
        (lower case), for an index added to an existing table.
        """
        if index.fulltext:
            return self.fulltext_sql(schema, index)
        table = self.quote(schema.name)
        comment = f" COMMENT '{INDEX_COMMENT}'"
        if not index.unique:
            # A partial index that is not unique finds the same rows whole.
            parts = self.index_parts(schema, index.columns, live)
            return [
                f"CREATE INDEX {self.quote(index.name)} ON {table} ({parts}){comment}"
            ]
        if index.node is None or set(schema.primary_key) <= set(index.columns):
            # (an index over the whole primary key is unique over any rows)
            return [
                f"CREATE UNIQUE INDEX {self.quote(index.name)} ON {table} "
                f"({self.names(index.columns)}){comment}"
            ]
        serial = _serial_key(schema)
        if serial is not None and serial in where_columns(index.node):
            return self._trigger_unique(schema, index, live)
        condition = self.literal_where(index.node)
        keyed = self.keyed_columns(schema)
        clauses, names = [], []
        for position, name in enumerate(index.columns):
            column = schema.column(name)
            assert column is not None  # (the parser checked)
            kind = self.sized(column, name in keyed)[0]
            if live is not None and name in live:
                kind = live[name].upper()
            generated = generated_name(index.name, position)
            names.append(generated)
            clauses.append(
                f"ADD COLUMN IF NOT EXISTS {self.quote(generated)} {kind} "
                f"AS (IF({condition}, {self.quote(name)}, NULL)) VIRTUAL INVISIBLE "
                f"COMMENT '{OF_COMMENT}{name}'"
            )
        clauses.append(
            f"ADD UNIQUE INDEX {self.quote(index.name)} ({self.names(names)}){comment}"
        )
        return [f"ALTER TABLE {table} {', '.join(clauses)}"]

    def _trigger_unique(
        self, schema: TableSchema, index: Index, live: dict[str, str] | None
    ) -> list[str]:
        """
        A partial unique index whose condition names the C{AUTO_INCREMENT}
        key (which a generated column cannot read): a plain index, and
        triggers after each insert and update that refuse a second row of
        the same values among the index's rows (error 1062, as a unique
        key's).  Concurrent transactions are not kept apart (READ
        COMMITTED), as a unique key would.
        """
        assert index.node is not None
        q = self.quote
        table = q(schema.name)
        parts = self.index_parts(schema, index.columns, live)
        same = " AND ".join(f"{q(c)} = NEW.{q(c)}" for c in index.columns)
        message = f"Duplicate entry for key ''{index.name}''"
        statements = [
            f"CREATE INDEX {q(index.name)} ON {table} ({parts}) "
            f"COMMENT '{UNIQUE_COMMENT}'"
        ]
        for event in ("INSERT", "UPDATE"):
            statements.append(
                f"CREATE TRIGGER {q(trigger_name(index.name, event))} AFTER {event} "
                f"ON {table} FOR EACH ROW IF (SELECT COUNT(*) FROM {table} WHERE "
                f"({self.literal_where(index.node)}) AND {same}) > 1 THEN "
                f"SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = '{message}', "
                "MYSQL_ERRNO = 1062; END IF"
            )
        return statements

    def fulltext_sql(self, schema: TableSchema, index: Index) -> list[str]:
        # Over a stored lower-case copy of each column: the binary collation
        # of text would make the words case-sensitive.
        table = self.quote(schema.name)
        comment = f"{FULLTEXT_COMMENT}{index.name}"
        statements = []
        for i, name in enumerate(index.columns):
            copy = self.quote(fulltext_column(name))
            statements += [
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {copy} LONGTEXT "
                f"AS (LOWER({self.quote(name)})) STORED INVISIBLE "
                f"COMMENT '{OF_COMMENT}{name}'",
                f"CREATE FULLTEXT INDEX {self.quote(fulltext_name(index, i))} "
                f"ON {table} ({copy}) COMMENT '{comment}'",
            ]
        return statements

    def drop_index_sql(self, table: str, index: Index) -> list[str]:
        """
        The statements that drop an index the driver made (its generated
        columns or per-column full-text indexes too).
        """
        q = self.quote
        if index.fulltext:
            return [
                f"DROP INDEX IF EXISTS {q(fulltext_name(index, i))} ON {q(table)}"
                for i in range(len(index.columns))
            ]  # (the columns' copies stay: another index may use them)
        triggers = [
            f"DROP TRIGGER IF EXISTS {q(trigger_name(index.name, event))}"
            for event in ("INSERT", "UPDATE")
        ]
        clauses = [f"DROP INDEX IF EXISTS {q(index.name)}"]
        if index.unique and index.partial:
            clauses += [
                f"DROP COLUMN IF EXISTS {q(generated_name(index.name, i))}"
                for i in range(len(index.columns))
            ]
        return [*triggers, f"ALTER TABLE {q(table)} {', '.join(clauses)}"]
