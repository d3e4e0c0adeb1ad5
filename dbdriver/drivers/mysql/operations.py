"""
The row writes the MySQL backend does its own way: inserts that skip
duplicates without C{INSERT IGNORE} (which would turn other errors into
warnings), C{"replace"} as a delete of the conflicting rows and an insert
(C{REPLACE} may turn its last conflict into an update, which then collides
with another unique key), ids and C{returning} without C{RETURNING} on MySQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import attrs
import pymysql

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql import catalog as catalog
from dbdriver.drivers.mysql.connection import errno_of
from dbdriver.drivers.mysql.statements import MySQLStatements
from dbdriver.drivers.sql.catalog import RowWrite, UniqueKey
from dbdriver.exceptions import SQLError

__all__ = ["DUPLICATE", "MySQLOperations"]

#: Duplicate key errors: what C{"ignore"} skips.
DUPLICATE = frozenset({1062, 1022, 1169, 1586})
_MANY = "dbdriver_many"
_REPLACE = "dbdriver_replace"


def _skips(on_conflict: object) -> bool:
    """
    Whether a conflict skips the row (C{"ignore"}, an upsert without C{update}).
    """
    if on_conflict == "ignore":
        return True
    return isinstance(on_conflict, dict) and not on_conflict.get("update")


class MySQLOperations(MySQLStatements):
    """
    The table operations on MySQL/MariaDB.
    """

    # -- writes -------------------------------------------------------------------

    def insert_row(self, cursor: DBCursor, write: RowWrite) -> object:
        if write.on_conflict == "replace":
            return self._replace_row(cursor, write)
        key = write.info.integer_key
        wanted = write.wanted
        native = self.sql.returning
        skips = _skips(write.on_conflict)
        columns = write.columns
        sql = self.sql.insert(
            write.table,
            columns,
            None if skips else write.on_conflict,
            wanted,
            keep_id=None if native else key,
        )
        params = self._row_params(write.types, columns, write.row)
        if not self._insert_or_skip(cursor, sql, params, skips):
            return None
        if not wanted:
            return None
        if native:
            return write.answer(list(cursor.fetchall()))
        return write.answer(self._read_back(cursor, write, wanted))

    def _replace_row(self, cursor: DBCursor, write: RowWrite) -> object:
        """
        C{"replace"}, as SQLite does it: delete the rows the new one conflicts
        with on any unique key (the primary key included), then insert it
        plainly; both or neither (a savepoint).
        """
        cursor.execute(self.sql.savepoint(_REPLACE))
        try:
            self.delete_conflicting(cursor, write)
            result = self.insert_row(cursor, attrs.evolve(write, on_conflict=None))
        except BaseException:
            # (if that fails too, the transaction is gone with its changes)
            with contextlib.suppress(pymysql.Error):
                cursor.execute(self.sql.rollback_to(_REPLACE))
            raise
        cursor.execute(self.sql.release(_REPLACE))
        return result

    def read_unique_keys(self, cursor: DBCursor, table: str) -> list[UniqueKey]:
        return catalog.unique_keys(cursor, table)

    def key_term(self, column: str, prefix: int | None) -> str:
        if prefix is None:
            return super().key_term(column, prefix)
        # A prefix index: the first characters (or bytes) collide.
        return f"LEFT({self.sql.quote(column)}, {prefix}) = LEFT(%s, {prefix})"

    def _insert_or_skip(
        self, cursor: DBCursor, sql: str, params: Sequence[object], skips: bool
    ) -> bool:
        """
        Run an insert; C{False} if C{skips} and it hit a duplicate key (the
        server rolled back that statement alone).
        """
        try:
            cursor.execute(sql, params)
        except pymysql.IntegrityError as e:
            if skips and errno_of(e) in DUPLICATE:
                return False
            raise
        return True

    def _read_back(
        self, cursor: DBCursor, write: RowWrite, wanted: list[str]
    ) -> list[Sequence[object]]:
        """
        The written row's C{wanted} columns, where the server has no
        C{RETURNING}: by its integer key (C{LAST_INSERT_ID}), else by its
        primary key or upsert target values.
        """
        info, row, on_conflict = write.info, write.row, write.on_conflict
        key = info.integer_key
        if key is not None:
            found = getattr(cursor, "lastrowid", None) or row.get(key)
            if wanted == [key] or found is None:
                return [(found,)]
            match = {key: found}
        else:
            primary = [c.name for c in info.columns if c.primary_key]
            target = on_conflict["target"] if isinstance(on_conflict, dict) else []
            names = next(
                (n for n in (primary, target) if n and all(c in row for c in n)), None
            )
            if names is None:
                raise SQLError(
                    "returning needs the row's primary key on this server "
                    "(it has no INSERT ... RETURNING)"
                )
            match = {c: row[c] for c in names}
        types = info.types
        condition = " AND ".join(f"{self.sql.quote(c)} = %s" for c in match)
        cursor.execute(
            f"SELECT {self.sql.names(wanted)} FROM {self.sql.quote(info.name)} "
            f"WHERE {condition}",
            [self.sql.adapt(v, types.get(c)) for c, v in match.items()],
        )
        return list(cursor.fetchall())

    def _insert_many(self, cursor: DBCursor, request: rq.InsertManyRequest) -> object:
        if not request.rows or request.returning:
            return super()._insert_many(cursor, request)
        first = self.row_write(cursor, request, request.rows[0])
        columns = first.columns
        params = self._rows_params(first.types, columns, request.rows)
        conflict = request.on_conflict
        if conflict == "replace":
            # Row by row: a delete before each (every row is written).
            for row in request.rows:
                self._replace_row(cursor, first.with_row(row))
            return len(request.rows)
        if not _skips(conflict):
            sql = self.sql.insert(first.table, columns, conflict, None)
            cursor.executemany(sql, params)
            # an upsert writes every row (rowcount counts an update twice)
            return len(params) if conflict is not None else int(cursor.rowcount)
        sql = self.sql.insert(first.table, columns, None, None)
        cursor.execute(self.sql.savepoint(_MANY))
        try:
            cursor.executemany(sql, params)
            written = int(cursor.rowcount)
        except pymysql.IntegrityError as e:
            if errno_of(e) not in DUPLICATE:
                raise
            # one by one, skipping the duplicates
            cursor.execute(self.sql.rollback_to(_MANY))
            written = sum(self._insert_or_skip(cursor, sql, p, True) for p in params)
        cursor.execute(self.sql.release(_MANY))
        return written
