"""
The table-level operations, as they run on a database thread: each takes a
DB-API cursor (adbapi's L{Transaction}) and a request, builds its SQL with
the backend's L{Dialect} and returns the wire result.

Each backend subclasses L{TableOperations} and overrides only what its SQL
cannot express the common way (catalog queries, C{RETURNING}, ...); the
object is the L{SchemaHost} its C{sync_schema} runs for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, ClassVar

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor, DriverSettings
from dbdriver.drivers.schema.backup import backup_root
from dbdriver.drivers.schema.sync import sync_schema
from dbdriver.drivers.sql.catalog import Row, RowWrite, TableCatalog, TableInfo
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.notes import Notes
from dbdriver.drivers.sql.params import row_groups, rows_params
from dbdriver.drivers.sql.rawsql import RawStatements
from dbdriver.exceptions import (
    DriverError,
    InternalError,
    InvalidParams,
    NoSuchTable,
    ResultTooLarge,
)
from dbdriver.requests.binds import apply_binds
from dbdriver.requests.sqltext import Lexicon, SessionRules
from dbdriver.requests.values import Value
from dbdriver.wire.cbor import CHUNK, Encoded, encode_rows

if TYPE_CHECKING:
    from dbdriver.drivers.schema.backend import SchemaBackend

__all__ = [
    "Row",
    "RowWrite",
    "TableInfo",
    "TableOperations",
    "Translation",
]

#: A backend's own error translation: the protocol error, or C{None}.
Translation = Callable[[BaseException], DriverError | None]


class TableOperations(TableCatalog, RawStatements):
    """
    In-thread implementations of the data methods of PROTOCOL.md section 4.

    @cvar backend: the backend's name (C{server_info}'s C{backend}).
    @cvar schema_backend: the backend's part of C{sync_schema} (C{None}:
        not supported).
    @cvar statement_atomic: whether a failed statement undoes only itself,
        leaving the transaction usable (then single statements need no
        savepoint).
    @cvar session_rules: how raw SQL changes the session, and the lexicon
        that reads it (C{None}: the backend refuses it by itself).
    @ivar dialect: the backend's SQL.
    @ivar backup_root: where C{sync_schema}'s backups may go (absolute).
    """

    backend: ClassVar[str] = ""
    schema_backend: ClassVar[type[SchemaBackend] | None] = None
    statement_atomic: ClassVar[bool] = False
    session_rules: ClassVar[tuple[SessionRules, Lexicon] | None] = None

    def __init__(
        self, dialect: Dialect, settings: DriverSettings, translation: Translation
    ) -> None:
        super().__init__()
        self.dialect = dialect
        self.notes = Notes(dialect, self.table_columns)
        self.max_rows = settings.max_rows
        self.max_message_size = settings.max_message_size
        self.read_only = settings.read_only
        self.backup_root = backup_root(settings.database, settings.backup_root)
        self.allow_session_sql = settings.allow_session_sql
        self._translation = translation
        self._handlers: dict[type[rq.BaseRequest], Callable[[DBCursor, Any], object]]
        self._handlers = {
            rq.CreateTableRequest: self._create_table,
            rq.DropTableRequest: self._drop_table,
            rq.InsertRequest: self._insert,
            rq.InsertManyRequest: self._insert_many,
            rq.UpdateRequest: self._update,
            rq.DeleteRequest: self._delete,
            rq.SelectRequest: self._select,
            rq.CountRequest: self._count,
            rq.ExecuteRequest: self._execute,
            rq.TransactionRequest: self._transaction,
            rq.GetTableInfoRequest: self._get_table_info,
            rq.DescribeTableRequest: self._describe_table,
            rq.ListTablesRequest: self._list_tables,
            rq.SyncSchemaRequest: self._sync_schema,
        }

    def perform(self, cursor: DBCursor, request: rq.BaseRequest) -> object:
        """
        Run one request on C{cursor}; its result as sent on the wire.
        """
        return self._handlers[type(request)](cursor, request)

    def translate(self, error: BaseException) -> DriverError:
        """
        The protocol error for any exception a request raised.
        """
        if isinstance(error, DriverError):
            return error
        if isinstance(error, OverflowError):
            return InvalidParams(f"value out of range: {error}")
        translated = self._translation(error)
        if translated is not None:
            return translated
        return InternalError(f"{type(error).__name__}: {error}")

    # -- how requests run -------------------------------------------------------

    def needs_savepoint(self, request: rq.BaseRequest) -> bool:
        """
        Whether a request runs under a savepoint of its own, to fail alone.
        Not where the backend undoes a failed statement by itself (SQLite,
        InnoDB) and the request is a read or a single statement, unless that
        statement returns rows: an answer too large must undo its write.
        """
        if not self.statement_atomic or getattr(request, "returning", None):
            return True
        return not (request.reads or request.single_statement)

    def runs_alone(self, request: rq.BaseRequest) -> bool:
        """
        Whether a write runs alone, outside any group: the request's own
        C{alone}, or what the backend adds (MySQL: DDL, which commits).
        """
        return request.alone

    # -- backend hooks --------------------------------------------------------

    def _row_params(
        self, types: dict[str, str], columns: Sequence[str], row: Row
    ) -> list[object]:
        return list(self._rows_params(types, columns, (row,))[0])

    def _rows_params(
        self, types: dict[str, str], columns: Sequence[str], rows: Sequence[Row]
    ) -> list[Sequence[object]]:
        """
        The bound parameters of rows (L{rows_params}).
        """
        return rows_params(self.dialect, types, columns, rows)

    # -- schema ---------------------------------------------------------------

    def _create_table(self, cursor: DBCursor, request: rq.CreateTableRequest) -> bool:
        schema = request.table_schema
        if request.if_not_exists and self.table_columns(cursor, schema.name):
            return False
        self.forget_tables()
        for statement in self.dialect.create_table(schema, False):
            cursor.execute(statement)
        self.notes.write(cursor, schema)
        return True

    def _drop_table(self, cursor: DBCursor, request: rq.DropTableRequest) -> bool:
        if not self.table_columns(cursor, request.table):
            if request.if_exists:
                return False
            raise NoSuchTable(
                f"no such table: {request.table}", {"table": request.table}
            )
        self.forget_tables()
        cursor.execute(self.dialect.drop_table(request.table))
        self.notes.forget(cursor, request.table)
        return True

    def _describe_table(
        self, cursor: DBCursor, request: rq.DescribeTableRequest
    ) -> dict[str, Value]:
        return self.describe(cursor, request.table).to_wire()

    def _get_table_info(
        self, cursor: DBCursor, request: rq.GetTableInfoRequest
    ) -> list[dict[str, object]]:
        info = self.table_info(cursor, request.table, fresh=True)
        return [column.to_wire() for column in info.columns]

    def _list_tables(
        self, cursor: DBCursor, request: rq.ListTablesRequest
    ) -> list[str]:
        return self.table_names(cursor)

    def _sync_schema(
        self, cursor: DBCursor, request: rq.SyncSchemaRequest
    ) -> dict[str, Any]:
        return sync_schema(self, cursor, request)

    # -- rows -----------------------------------------------------------------

    def insert_row(self, cursor: DBCursor, write: RowWrite) -> object:
        """
        Insert one row; its integer key, or its C{returning} columns, or
        C{None} (no integer key, or the row was ignored).
        """
        wanted = write.wanted
        columns = write.columns
        cursor.execute(
            self.dialect.insert(write.table, columns, write.on_conflict, wanted),
            self._row_params(write.types, columns, write.row),
        )
        if not wanted:
            return None
        # Step RETURNING to completion: SQLite keeps the statement (and its
        # transaction) open until then.
        return write.answer(cursor.fetchall())

    def _insert(self, cursor: DBCursor, request: rq.InsertRequest) -> object:
        return self.insert_row(cursor, self.row_write(cursor, request, request.data))

    def _insert_many(self, cursor: DBCursor, request: rq.InsertManyRequest) -> object:
        if not request.rows:
            return [] if request.returning else 0
        first = self.row_write(cursor, request, request.rows[0])
        if request.returning:
            return [self.insert_row(cursor, first.with_row(r)) for r in request.rows]
        columns = first.columns
        params = self._rows_params(first.types, columns, request.rows)
        # Several rows a statement: fewer statements, and far fewer GIL
        # hand-overs (one per statement) while the reactor thread is busy.
        statements: dict[int, str] = {}  # one text per group size
        written = start = 0
        for size in row_groups(len(params), len(columns)):
            sql = statements.get(size)
            if sql is None:
                sql = statements[size] = self.dialect.insert_rows(
                    request.table, columns, request.on_conflict, None, size
                )
            cursor.execute(sql, list(chain.from_iterable(params[start : start + size])))
            written += cursor.rowcount
            start += size
        return written

    def _update(self, cursor: DBCursor, request: rq.UpdateRequest) -> int:
        columns = list(request.data)
        types, where = self.where_for(
            cursor, request.table, request.where_node, columns
        )
        sql, params = self.dialect.update(request.table, columns, where)
        cursor.execute(sql, self._row_params(types, columns, request.data) + params)
        return int(cursor.rowcount)

    def _delete(self, cursor: DBCursor, request: rq.DeleteRequest) -> int:
        _, where = self.where_for(cursor, request.table, request.where_node)
        sql, params = self.dialect.delete(request.table, where)
        cursor.execute(sql, params)
        return int(cursor.rowcount)

    def select_sql(
        self,
        cursor: DBCursor,
        request: rq.SelectRequest | rq.OpenCursorRequest,
        limit: int | None = None,
    ) -> tuple[str, list[object]]:
        """
        The statement of a table query (C{select}, or a table cursor),
        after checking every column it names exists.
        """
        table = request.table
        assert table is not None  # (a table cursor's)
        named = [*(request.columns or ()), *(c for c, _ in request.order)]
        _, where = self.where_for(cursor, table, request.where_node, named)
        return self.dialect.select(
            table,
            request.columns,
            where,
            request.order,
            limit,
            getattr(request, "offset", None),
        )

    def row_maps(
        self, names: list[str], rows: Iterable[Sequence[object]]
    ) -> list[dict[str, object]]:
        """
        Rows as maps of column to wire value (a row has one value per name:
        the names come from the cursor's own description).
        """
        return list(map(dict, map(zip, repeat(names), rows)))

    def _select(self, cursor: DBCursor, request: rq.SelectRequest) -> Encoded:
        limit = request.limit
        if self.max_rows > 0 and (limit is None or limit > self.max_rows):
            limit = self.max_rows + 1
        sql, params = self.select_sql(cursor, request, limit)
        if self.streams and (limit is None or limit > 1):
            return self._select_streamed(cursor, sql, params)
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return encode_rows(
            cursor.fetchmany,
            lambda rows: self.row_maps(names, rows),
            max_bytes=self.max_message_size,
            max_rows=self.max_rows,
        )

    def _select_streamed(
        self, cursor: DBCursor, sql: str, params: list[object]
    ) -> Encoded:
        """
        A C{select} whose rows are streamed within the answer's budget
        (L{fetch_rows}), then encoded.
        """
        with self.raw_cursor(cursor, sql, params) as raw:
            names = [str(d[0]) for d in raw.description or ()]
            try:
                rows = self.fetch_rows(raw)
            except ResultTooLarge as e:
                details = e.details if isinstance(e.details, dict) else {}
                count, limit = details.get("rows", 0), self.max_message_size
                raise ResultTooLarge(
                    f"the result exceeds --max-message-size={limit} bytes after "
                    f"{count} rows; page with limit/offset or read it through a "
                    "cursor",
                    {"rows": count, "limit": limit},
                ) from e
        chunks = iter([rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)])
        return encode_rows(
            lambda _size: next(chunks, []),
            lambda chunk: self.row_maps(names, chunk),
            max_bytes=self.max_message_size,
            max_rows=self.max_rows,
        )

    def _count(self, cursor: DBCursor, request: rq.CountRequest) -> int:
        _, where = self.where_for(cursor, request.table, request.where_node)
        sql, params = self.dialect.count(request.table, where)
        cursor.execute(sql, params)
        return int(cursor.fetchall()[0][0])

    def _transaction(
        self, cursor: DBCursor, request: rq.TransactionRequest
    ) -> list[object]:
        results: list[object] = []
        for index, operation in enumerate(request.requests):
            try:
                binds = request.binds[index]
                if binds:
                    apply_binds(operation, binds, results)
                results.append(self.perform(cursor, operation))
            except Exception as e:
                error = self.translate(e)
                details = error.details if isinstance(error.details, dict) else {}
                error.details = {**details, "index": index}
                raise error from e
        return results
