"""
The indexes of MySQL/MariaDB tables, with what the server lacks emulated.

A non-unique partial index is a plain index over its columns (the same
answers).  A unique partial index is unique over its rows only through
invisible virtual generated columns C{_dbdriver_<index>_<i>} =
C{IF(where, column, NULL)} (comment C{dbdriver:of:<column>}) and a unique
index over them; one over the whole primary key is a plain unique index
(unique over any rows); one whose condition names the C{AUTO_INCREMENT}
key (which a generated column cannot read) is a plain index and triggers.
A full-text index is one InnoDB C{FULLTEXT} index per column (C{MATCH}
needs an index on exactly its columns) over a stored lower-case copy of
the column, C{_dbdriver_ft_<column>} (the binary collation of text would
make words case-sensitive); several columns' indexes are named
C{_dbdriver_<name>_<i>}, with the comment C{dbdriver:fulltext:<name>}.
"""

from __future__ import annotations

import hashlib

from dbdriver.drivers.mysql.sizes import (
    FULLTEXT_COMMENT,
    GENERATED,
    INDEX_COMMENT,
    OF_COMMENT,
    UNIQUE_COMMENT,
    MySQLSizes,
)
from dbdriver.requests.tableschema import Index, TableSchema
from dbdriver.requests.where import where_columns

__all__ = [
    "MySQLIndexes",
    "fulltext_column",
    "fulltext_name",
    "generated_name",
    "trigger_name",
]


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


class MySQLIndexes(MySQLSizes):
    """
    The statements that create and drop the indexes of a table schema.
    """

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
