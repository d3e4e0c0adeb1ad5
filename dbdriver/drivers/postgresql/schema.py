"""
The PostgreSQL part of C{sync_schema}: the catalog through the same code as
C{get_table_info} plus C{pg_index} and C{pg_constraint}; C{CREATE TABLE},
C{CREATE INDEX} and C{ALTER TABLE ... ADD COLUMN} as they are; a change the
plan calls a rebuild is made in place with C{ALTER TABLE} (column types,
defaults, NOT NULL, the primary key, unique constraints, foreign keys,
dropped columns), which keeps the table's oid, so the foreign keys of other
tables that refer to it, its grants, views and triggers all stay.  It all
runs in one transaction (PostgreSQL's DDL is transactional): on any error
nothing is changed.
"""

from __future__ import annotations

from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.postgresql.defaults import same_default
from dbdriver.drivers.postgresql.describe import CONSTRAINTS_SQL
from dbdriver.drivers.postgresql.dialect import PostgreSQLDialect
from dbdriver.drivers.schema.backend import SchemaBackend
from dbdriver.drivers.schema.plan import (
    AddColumn,
    CreateIndex,
    ForeignKey,
    LiveTable,
    Rebuild,
    Step,
)
from dbdriver.drivers.sql.records import CatalogColumn, CatalogIndex
from dbdriver.requests.tableschema import Column, TableSchema

__all__ = ["PostgreSQLSchema"]

_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
#: The indexes made by CREATE INDEX (none backs a constraint).
_INDEXES_SQL = """
SELECT c.relname, i.indisunique, i.indpred IS NOT NULL, pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
             ORDER BY k.o)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = to_regclass(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname
"""
_CHECKS_SQL = """
SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'c'
ORDER BY conname
"""
_ADVANCE_SQL = """
SELECT setval(pg_get_serial_sequence(%s, %s), m)
FROM (SELECT max({column}) AS m FROM {table}) q WHERE m IS NOT NULL
"""


def _identity(column: Column, schema: TableSchema) -> bool:
    """Whether the dialect makes C{column} an identity key."""
    return schema.primary_key == (column.name,) and column.type == "integer"


class PostgreSQLSchema(SchemaBackend):
    """
    PostgreSQL: every change in place, in one transaction.
    """

    #: The constraint names of the table last read: (kind, columns) -> name.
    _names: dict[tuple[str, tuple[str, ...]], str]
    #: The cursor of the sync, for L{same_default}.
    _cursor: Any = None

    # -- rules ---------------------------------------------------------------------

    def expected_not_null(self, column: Column, schema: TableSchema) -> bool:
        # An identity key reads as nullable (as SQLite's rowid does).
        if _identity(column, schema):
            return False
        return column.not_null or column.primary_key

    def same_default(self, live: str | None, column: Column) -> bool:
        return same_default(self._cursor, self.dialect, live, column)

    # -- catalog -------------------------------------------------------------------

    def read_table(self, cursor: DBCursor, name: str) -> LiveTable | None:
        self._cursor = cursor
        columns = self.operations.table_columns(cursor, name)
        if not columns:
            return None
        quoted = self.dialect.quote(name)
        cursor.execute(CONSTRAINTS_SQL, [quoted])
        self._names = {}
        key: tuple[str, ...] = ()
        uniques: set[tuple[str, ...]] = set()
        foreign_keys: set[ForeignKey] = set()
        for row in cursor.fetchall():
            conname, kind, names, target, targets, on_delete, on_update = row
            if kind == "c":
                continue  # (checks: the described table has them)
            names = tuple(names)
            self._names[(kind, names)] = conname
            if kind == "p":
                key = names
            elif kind == "u":
                uniques.add(names)
            else:
                fk = ForeignKey(
                    names,
                    target,
                    tuple(targets),
                    _ACTIONS[on_delete],
                    _ACTIONS[on_update],
                )
                self._names[("f", (repr(fk),))] = conname
                foreign_keys.add(fk)
        cursor.execute(_INDEXES_SQL, [quoted])
        indexes = tuple(
            CatalogIndex(index, tuple(names), bool(unique), bool(partial), sql)
            for index, unique, partial, sql, names in cursor.fetchall()
        )
        return LiveTable(
            name,
            tuple(columns),
            key,
            None,  # an identity key hands out each id once, either way
            frozenset(uniques),
            indexes,
            frozenset(foreign_keys),
        )

    # -- transaction ---------------------------------------------------------------

    def begin(self, cursor: DBCursor, write: bool) -> None:
        # psycopg opens the transaction before the first statement.
        if cursor.connection.info.transaction_status:
            cursor.connection.rollback()

    # -- changes -------------------------------------------------------------------

    def apply(self, cursor: DBCursor, step: Step) -> None:
        super().apply(cursor, step)
        if isinstance(step, AddColumn):
            self._comment(cursor, step.table, step.column)

    def _comment(self, cursor: DBCursor, table: str, column: Column) -> None:
        """Mark an C{integer} column, C{autoincrement}, an C{sql} default."""
        dialect = self.dialect
        assert isinstance(dialect, PostgreSQLDialect)
        cursor.execute(dialect.comment_sql(table, column))

    def rebuild(self, cursor: DBCursor, step: Rebuild) -> None:
        """
        What the plan calls a rebuild, as C{ALTER TABLE} statements on the
        table itself (its rows, and other tables' references to it, stay).
        """
        schema, live = step.schema, step.live
        name = schema.name
        q = self.dialect.quote
        table = q(name)
        self.read_table(cursor, name)  # the constraint names
        described = live.described
        lengths = (
            {}
            if described is None
            else {c.name: c.max_length for c in described.columns}
        )
        for conname in self._check_names(cursor, name):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(conname)}")
        for dropped in step.dropped:
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN {q(dropped)}")
        new_key = schema.primary_key != live.primary_key
        if new_key:
            old = self._names.get(("p", live.primary_key))
            if old is not None:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(old)}")
        for column in schema.columns:
            have = live.column(column.name)
            if have is not None and column.name not in step.dropped:
                length = lengths.get(column.name)
                self._alter_column(cursor, schema, column, have, new_key, length)
        for column in schema.columns:
            if column.name in step.added:
                sql = self.dialect.column_sql(column, False)
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN {sql}")
            self._comment(cursor, name, column)
        if new_key and schema.primary_key:
            cursor.execute(
                f"ALTER TABLE {table} ADD PRIMARY KEY "
                f"({self.dialect.names(schema.primary_key)})"
            )
        for column in schema.columns:
            if _identity(column, schema):
                self._ensure_identity(cursor, name, column)
        self._constraints(cursor, schema)
        have_checks = set(self._check_names(cursor, name))
        for check in schema.all_checks():
            if check.name not in have_checks:
                sql = self.dialect.check_sql(check)
                cursor.execute(f"ALTER TABLE {table} ADD {sql}")
        self._indexes(cursor, schema)

    def _check_names(self, cursor: DBCursor, table: str) -> list[str]:
        """The names of the check constraints of C{table}."""
        cursor.execute(_CHECKS_SQL, [self.dialect.quote(table)])
        return [name for (name,) in cursor.fetchall()]

    def _alter_column(
        self,
        cursor: DBCursor,
        schema: TableSchema,
        column: Column,
        have: CatalogColumn,
        new_key: bool,
        length: int | None = None,
    ) -> None:
        q = self.dialect.quote
        alter = f"ALTER TABLE {q(schema.name)} ALTER COLUMN {q(column.name)}"
        declared = self.dialect.column_type(column)
        was = self.dialect.types.get(have.type, have.type).upper()
        if have.type == "text" and length is not None:
            was = f"VARCHAR({length})"
        default_changed = not self.same_default(have.default, column)
        if declared != was:
            if have.default is not None:
                cursor.execute(f"{alter} DROP DEFAULT")
            using = f"{q(column.name)}::{declared}"
            if declared.startswith("VARCHAR"):
                # An assignment, not a cast (which would cut longer texts).
                using = q(column.name)
            elif declared == "BOOLEAN" and was == "BIGINT":
                using = f"{q(column.name)} <> 0"
            elif declared == "BIGINT" and was == "BOOLEAN":
                using = f"{q(column.name)}::INTEGER"
            cursor.execute(f"{alter} TYPE {declared} USING {using}")
            default_changed = True
        if default_changed:
            default = self.dialect.default_sql(column)
            if default is not None:
                cursor.execute(f"{alter} SET DEFAULT {default}")
            elif have.default is not None:
                cursor.execute(f"{alter} DROP DEFAULT")
        if new_key and not _identity(column, schema):
            cursor.execute(f"{alter} DROP IDENTITY IF EXISTS")
        if _identity(column, schema) or (column.primary_key and not new_key):
            return  # the key's constraint decides
        not_null = self.expected_not_null(column, schema)
        if bool(have.not_null) != not_null or new_key:
            cursor.execute(f"{alter} {'SET' if not_null else 'DROP'} NOT NULL")

    def _ensure_identity(self, cursor: DBCursor, table: str, column: Column) -> None:
        q = self.dialect.quote
        cursor.execute(
            "SELECT attidentity FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = %s",
            [q(table), column.name],
        )
        row = cursor.fetchone()
        if row is not None and row[0]:
            return
        cursor.execute(
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(column.name)} "
            "ADD GENERATED BY DEFAULT AS IDENTITY"
        )
        cursor.execute(
            _ADVANCE_SQL.format(column=q(column.name), table=q(table)),
            [q(table), column.name],
        )

    def _constraints(self, cursor: DBCursor, schema: TableSchema) -> None:
        """The definition's unique constraints and foreign keys, no others."""
        live = self.read_table(cursor, schema.name)
        assert live is not None
        q = self.dialect.quote
        table = q(schema.name)
        ours = {c.name for c in schema.columns}
        wanted = {(c.name,) for c in schema.columns if c.unique} | set(schema.unique)
        wanted.discard(schema.primary_key)
        have = {u for u in live.uniques if set(u) <= ours} - {live.primary_key}
        for unique in sorted(have - wanted):
            conname = self._names[("u", unique)]
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(conname)}")
        for unique in sorted(wanted - have):
            cursor.execute(
                f"ALTER TABLE {table} ADD UNIQUE ({self.dialect.names(unique)})"
            )
        want_fks = {ForeignKey.of_key(f) for f in schema.all_foreign_keys()}
        live_fks = {k for k in live.foreign_keys if set(k.columns) <= ours}
        for key in sorted(live_fks - want_fks, key=repr):
            conname = self._names[("f", (repr(key),))]
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(conname)}")
        names = self.dialect.names
        for key in sorted(want_fks - live_fks, key=repr):
            targets = [c or "" for c in key.references]
            cursor.execute(
                f"ALTER TABLE {table} ADD FOREIGN KEY ({names(key.columns)}) "
                f"REFERENCES {q(key.table)} ({names(targets)}) "
                f"ON DELETE {key.on_delete} ON UPDATE {key.on_update}"
            )

    def _indexes(self, cursor: DBCursor, schema: TableSchema) -> None:
        """The definition's indexes, each as it is defined."""
        live = self.read_table(cursor, schema.name)
        assert live is not None
        have = {i.name: i for i in live.indexes}
        described = self.operations.describe(cursor, schema.name).index_map()
        for index in schema.indexes:
            found = have.get(index.name)
            if described.get(index.name) == index:
                continue
            if found is not None:
                cursor.execute(self.drop_index_sql(schema.name, index.name))
            cursor.execute(self.index_sql(schema.name, CreateIndex(schema.name, index)))
