"""
The SQLite part of C{sync_schema}: the catalog through the same code as
C{get_table_info} plus C{pragma_index_list}, C{pragma_index_info},
C{pragma_foreign_key_list} and the table's SQL; C{ALTER TABLE ... ADD
COLUMN} where SQLite can; everything else by rebuilding the table the way
sqlite-utils does (the 12 steps of https://sqlite.org/lang_altertable.html),
all in one C{BEGIN IMMEDIATE} transaction with foreign keys off and
C{PRAGMA foreign_key_check} verified before the commit.
"""

from __future__ import annotations

import os
import re
import sqlite3
from typing import Any, Protocol

import attrs

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema.backend import SchemaBackend, SchemaHost
from dbdriver.drivers.schema.backup import backup_sqlite
from dbdriver.drivers.schema.plan import (
    CreateIndex,
    ForeignKey,
    LiveTable,
    Plan,
    Rebuild,
    Step,
)
from dbdriver.drivers.sql.records import CatalogIndex
from dbdriver.drivers.sqlite.checks import check_json, verify_foreign_keys
from dbdriver.drivers.sqlite.describe import fulltext_indexes
from dbdriver.drivers.sqlite.dialect import SQLiteDialect
from dbdriver.exceptions import Busy, InternalError
from dbdriver.requests.tableschema import Column, Index, TableSchema

__all__ = ["SQLiteFile", "SQLiteHost", "SQLiteSchema"]

#: String literals and quoted identifiers, blanked before looking for keywords.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]")
_AUTOINCREMENT = re.compile(r"\bAUTOINCREMENT\b", re.IGNORECASE)


def _no_null(text: str | None) -> str | None:
    if text is None or text.strip().upper() == "NULL":
        return None
    return text.strip()


def _rebuild_name(table: str) -> str:
    return f"_dbdriver_rebuild_{table}"


@attrs.frozen
class SQLiteFile:
    """
    The database a SQLite driver opens, as its backup reads it.

    @ivar path: the C{--database} path, or C{":memory:"}.
    @ivar uri: what C{sqlite3.connect(uri, uri=True)} opens it with.
    @ivar busy_timeout: seconds a connection waits for a lock.
    """

    path: str
    uri: str
    busy_timeout: float

    @property
    def memory(self) -> bool:
        return self.path == ":memory:"


class SQLiteHost(SchemaHost, Protocol):
    """
    What L{SQLiteSchema} needs of its host besides a L{SchemaHost}'s: the
    database file, which its backup copies.
    """

    @property
    def file(self) -> SQLiteFile:
        """The database the driver opens."""


class SQLiteSchema(SchemaBackend):
    """
    SQLite: DDL is transactional; C{ADD COLUMN} cannot add a key, a unique
    or a NOT NULL column without a default; all else needs a rebuild.

    @ivar file: the database, which L{backup} copies.
    """

    _restore: tuple[int, int] | None = None
    dialect: SQLiteDialect

    def __init__(self, operations: SQLiteHost) -> None:
        super().__init__(operations)
        self.file = operations.file

    # -- rules ---------------------------------------------------------------------

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        # As Dialect.column_sql: a key other than the rowid gets NOT NULL.
        single = len(schema.primary_key) == 1
        if column.primary_key and single and column.type == "integer":
            return False
        return column.not_null or column.primary_key

    def same_default(self, live: str | None, column: Column) -> bool:
        # The catalog holds a default as written, an expression without its
        # outer parentheses.
        expected = self.dialect.default_sql(column)
        if expected is not None and expected.startswith("("):
            expected = expected[1:-1]
        return _no_null(live) == _no_null(expected)

    def can_add(self, column: Column, schema: TableSchema) -> bool:
        null_default = not column.has_default or column.default is None
        if column.not_null and null_default:
            return False
        # With foreign keys on, SQLite adds a REFERENCES column only if its
        # default is NULL.
        return column.references is None or null_default

    # -- catalog -------------------------------------------------------------------

    def read_table(self, cursor: DBCursor, name: str) -> LiveTable | None:
        columns = self.operations.table_columns(cursor, name)
        if not columns:
            return None
        cursor.execute(
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (name,)
        )
        key = tuple(n for (n,) in cursor.fetchall())
        sql = self._sql(cursor, "table", name) or ""
        uniques: set[tuple[str, ...]] = set()
        indexes = []
        cursor.execute(
            'SELECT name, "unique", origin, partial FROM pragma_index_list(?)', (name,)
        )
        for index, unique, origin, partial in cursor.fetchall():
            cursor.execute(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)
            )
            names = tuple(n for (n,) in cursor.fetchall())
            if origin == "u":
                uniques.add(names)  # type: ignore[arg-type]
            elif origin == "c":
                indexes.append(
                    CatalogIndex(
                        index,
                        names,
                        bool(unique),
                        bool(partial),
                        self._sql(cursor, "index", index),
                    )
                )
        indexes += [
            CatalogIndex(index, tuple(names), False, False, None)
            for index, _, names in fulltext_indexes(cursor, self.dialect, name)
        ]
        return LiveTable(
            name,
            tuple(columns),
            key,
            bool(_AUTOINCREMENT.search(_QUOTED.sub(" ", sql))),
            frozenset(uniques),
            tuple(sorted(indexes, key=lambda i: i.name)),
            self._foreign_keys(cursor, name),
        )

    def _sql(self, cursor: DBCursor, kind: str, name: str) -> str | None:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)
        )
        row = cursor.fetchone()
        return None if row is None else row[0]

    def _foreign_keys(self, cursor: DBCursor, name: str) -> frozenset[ForeignKey]:
        cursor.execute(
            'SELECT id, "table", "from", "to", on_delete, on_update '
            "FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            (name,),
        )
        groups: dict[int, list[Any]] = {}
        for key, table, source, target, on_delete, on_update in cursor.fetchall():
            group = groups.setdefault(key, [[], table, [], on_delete, on_update])
            group[0].append(source)
            group[2].append(target)
        return frozenset(
            ForeignKey(tuple(s), t, tuple(r), d.upper(), u.upper())
            for s, t, r, d, u in groups.values()
        )

    # -- transaction ---------------------------------------------------------------

    def begin(self, cursor: DBCursor, write: bool) -> None:
        if not write:
            cursor.execute("BEGIN")
            return
        connection = cursor.connection
        if connection.in_transaction:
            raise InternalError("sync_schema must start outside a transaction")
        # Both settings are ignored inside a transaction: set them first.
        # Foreign keys off: dropping the old table of a rebuild must not
        # cascade to (or fail for) the rows that refer to it.  The legacy
        # rename: a view that names the table must not stop the rename.
        cursor.execute("PRAGMA foreign_keys")
        foreign_keys = cursor.fetchone()[0]
        cursor.execute("PRAGMA legacy_alter_table")
        legacy = cursor.fetchone()[0]
        self._restore = (foreign_keys, legacy)
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA legacy_alter_table = ON")
        cursor.execute("BEGIN IMMEDIATE")

    def commit(self, cursor: DBCursor) -> None:
        cursor.execute("COMMIT")

    def rollback(self, cursor: DBCursor) -> None:
        if cursor.connection.in_transaction:
            cursor.execute("ROLLBACK")

    def end(self, cursor: DBCursor) -> None:
        if self._restore is not None:
            foreign_keys, legacy = self._restore
            self._restore = None
            cursor.execute(f"PRAGMA legacy_alter_table = {int(legacy)}")
            cursor.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")

    # -- backup --------------------------------------------------------------------

    def backup(self, cursor: DBCursor, plan: Plan, backup_dir: str) -> str:
        file = self.file
        timeout = file.busy_timeout
        stem = "memory" if file.memory else os.path.basename(file.path)
        stem = os.path.splitext(stem)[0] or "database"
        if not file.memory:
            # A second connection reads the last commit, which is what this
            # one sees: it holds the write lock and has not written yet, so
            # the copy is exactly the database the steps start from.
            source = sqlite3.connect(file.uri, uri=True, timeout=timeout)
            try:
                return backup_sqlite(source, backup_dir, stem, timeout)
            finally:
                source.close()
        # A shared-cache memory database cannot be read by another
        # connection while this one holds the write lock, nor copied by a
        # connection in a write transaction: copy between two transactions
        # and make sure no other connection committed in between.
        version = self._data_version(cursor)
        cursor.execute("ROLLBACK")
        path = backup_sqlite(cursor.connection, backup_dir, stem, timeout)
        cursor.execute("BEGIN IMMEDIATE")
        if self._data_version(cursor) != version:
            os.unlink(path)
            raise Busy("the database changed while it was backed up; try again")
        return path

    def _data_version(self, cursor: DBCursor) -> int:
        cursor.execute("PRAGMA data_version")
        return int(cursor.fetchone()[0])

    # -- changes ---------------------------------------------------------------------

    def apply(self, cursor: DBCursor, step: Step) -> None:
        """
        As the base; an index is created by all of the dialect's statements
        (a full-text index: its FTS5 table and triggers), and one replaced
        is dropped whatever its kind.
        """
        if not isinstance(step, CreateIndex):
            super().apply(cursor, step)
            return
        if step.replace:
            self.drop_index(cursor, step.table, step.index.name)
        stub = TableSchema(step.table, (Column("_", "integer"),))
        for statement in self.dialect.index_sql(stub, step.index):
            cursor.execute(statement)

    def drop_index(self, cursor: DBCursor, table: str, name: str) -> None:
        """
        Drop the index C{name} of C{table}: a full-text one's FTS5 table and
        triggers, or a plain one.
        """
        fulltext = [n for n, _, _ in fulltext_indexes(cursor, self.dialect, table)]
        if name not in fulltext:
            cursor.execute(self.drop_index_sql(table, name))
            return
        for statement in self.dialect.drop_fulltext_sql(table, name):
            cursor.execute(statement)

    # -- the rebuild -----------------------------------------------------------------

    def rebuild(self, cursor: DBCursor, step: Rebuild) -> None:
        dialect = self.dialect
        name = step.schema.name
        quote = dialect.quote
        temporary = _rebuild_name(name)
        check_json(cursor, dialect, step)
        create = dialect.create_table(
            attrs.evolve(step.schema, name=temporary, indexes=()), False
        )[0]
        if step.keep:
            # Kept columns go after the definition's, before table constraints.
            single = len(step.schema.primary_key) == 1
            columns = ", ".join(
                dialect.column_sql(c, single) for c in step.schema.columns
            )
            kept = ", ".join(self.dialect.live_column_sql(c) for c in step.keep)
            assert columns in create
            create = create.replace(columns, f"{columns}, {kept}", 1)
        extras = [f"UNIQUE ({dialect.names(u)})" for u in step.keep_uniques]
        extras += [self._foreign_key_sql(k) for k in step.keep_foreign_keys]
        if extras:
            assert create.endswith(")")
            create = f"{create[:-1]}, {', '.join(extras)})"
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            "AND sql IS NOT NULL AND name NOT LIKE '\\_dbdriver\\_%' ESCAPE '\\' "
            "ORDER BY name",
            (name,),
        )
        triggers = [sql for (sql,) in cursor.fetchall()]
        # The full-text indexes are made again over the new table (their
        # triggers go with the old one).
        fulltext = fulltext_indexes(cursor, dialect, name)
        for index_name, _, _ in fulltext:
            for statement in dialect.drop_fulltext_sql(name, index_name):
                cursor.execute(statement)
        sequence = self._sequence(cursor, name)
        cursor.execute(create)
        if step.copy:
            columns = dialect.names(step.copy)
            cursor.execute(
                f"INSERT INTO {quote(temporary)} ({columns}) "
                f"SELECT {columns} FROM {quote(name)}"
            )
        cursor.execute(dialect.drop_table(name))
        cursor.execute(f"ALTER TABLE {quote(temporary)} RENAME TO {quote(name)}")
        for statement in dialect.create_table(step.schema, False)[1:]:
            cursor.execute(statement)
        kept_fulltext = {n: columns for n, _, columns in fulltext}
        for index in step.keep_indexes:
            if index.name in kept_fulltext and index.sql is None:
                again = Index(
                    index.name, tuple(kept_fulltext[index.name]), kind="fulltext"
                )
                for statement in dialect.fulltext_sql(step.schema, again):
                    cursor.execute(statement)
                continue
            assert index.sql is not None  # an index is kept by its SQL
            cursor.execute(index.sql)
        for sql in triggers:
            cursor.execute(sql)
        if sequence is not None and any(c.autoincrement for c in step.schema.columns):
            # Ids of deleted rows stay unused, as AUTOINCREMENT promises.
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?",
                (sequence, name),
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                    (name, sequence),
                )

    def _sequence(self, cursor: DBCursor, name: str) -> int | None:
        if self._sql(cursor, "table", "sqlite_sequence") is None:
            return None
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,))
        row = cursor.fetchone()
        return None if row is None else int(row[0])

    def _foreign_key_sql(self, key: ForeignKey) -> str:
        sql = (
            f"FOREIGN KEY ({self.dialect.names(key.columns)}) "
            f"REFERENCES {self.dialect.quote(key.table)}"
        )
        if all(key.references):
            sql += f" ({self.dialect.names(key.references)})"  # type: ignore[arg-type]
        return sql + f" ON DELETE {key.on_delete} ON UPDATE {key.on_update}"

    # -- verification ----------------------------------------------------------------

    def verify(self, cursor: DBCursor, plan: Plan) -> None:
        """
        The foreign keys of every rebuilt table, and of every table that
        refers to one, hold (they went unchecked with foreign keys off).
        """
        verify_foreign_keys(cursor, self.table_names(cursor), plan)
