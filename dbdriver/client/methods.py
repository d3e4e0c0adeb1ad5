"""
One Deferred-returning method per method of PROTOCOL.md section 4.

L{_Methods} is shared by L{dbdriver.client.api.DriverClient} and
L{dbdriver.client.api.Transaction}; each supplies the connection.  Params
left at their default are not sent, so the wire stays minimal
(L{dbdriver.client.params}).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Unpack, overload

from twisted.internet.defer import Deferred

from dbdriver.client.cursors import _CursorMethods
from dbdriver.client.params import (
    CallOptions,
    Operation,
    RowData,
    Where,
    _KeysWritten,
    _list,
    _operation,
    _Query,
    _query,
    _RowsWritten,
    _Writes,
    _writes,
)
from dbdriver.requests.values import Row, Value
from dbdriver.wire.results import ExecuteResult

__all__: list[str] = []


class _Methods(_CursorMethods):
    """
    The protocol's methods, each with the keyword-only L{CallOptions}
    (C{priority}, C{timeout}) passed through to the request envelope.
    """

    # --- answered by the server ---------------------------------------------

    def ping(self, **options: Unpack[CallOptions]) -> Deferred[str]:
        """Fires with C{"pong"}."""
        return self._send("ping", options)

    def server_info(self, **options: Unpack[CallOptions]) -> Deferred[dict[str, Value]]:
        """Fires with the server's protocol, version, backend and limits."""
        return self._send("server_info", options)

    def stats(self, **options: Unpack[CallOptions]) -> Deferred[dict[str, Value]]:
        """Fires with the server's queue, request and latency counters."""
        return self._send("stats", options)

    # --- schema ----------------------------------------------------------------

    def create_table(
        self,
        schema: Mapping[str, object],
        if_not_exists: bool = False,
        **options: Unpack[CallOptions],
    ) -> Deferred[bool]:
        """
        Fires with C{True} if created, C{False} if it existed (and
        C{if_not_exists}).
        """
        return self._send(
            "create_table", options, schema=schema, if_not_exists=if_not_exists
        )

    def drop_table(
        self, table: str, if_exists: bool = False, **options: Unpack[CallOptions]
    ) -> Deferred[bool]:
        """Fires with C{True} if dropped, C{False} if absent (and C{if_exists})."""
        return self._send("drop_table", options, table=table, if_exists=if_exists)

    def get_table_info(
        self, table: str, **options: Unpack[CallOptions]
    ) -> Deferred[list[dict[str, Value]]]:
        """Fires with the table's columns, in order."""
        return self._send("get_table_info", options, table=table)

    def describe_table(
        self, table: str, **options: Unpack[CallOptions]
    ) -> Deferred[dict[str, Value]]:
        """Fires with the table's whole schema, in the table-schema format."""
        return self._send("describe_table", options, table=table)

    def list_tables(self, **options: Unpack[CallOptions]) -> Deferred[list[str]]:
        """Fires with the names of the tables."""
        return self._send("list_tables", options)

    def sync_schema(
        self,
        schema_definition: Mapping[str, object],
        *,
        backup_dir: str | None = None,
        dry_run: bool = False,
        **options: Unpack[CallOptions],
    ) -> Deferred[dict[str, Value]]:
        """Bring the database to C{schema_definition}; fires with the report."""
        return self._send(
            "sync_schema",
            options,
            schema_definition=schema_definition,
            backup_dir=backup_dir,
            dry_run=dry_run,
        )

    # --- rows ------------------------------------------------------------------

    @overload
    def insert(
        self, table: str, data: RowData, **options: Unpack[_KeysWritten]
    ) -> Deferred[int | None]: ...

    @overload
    def insert(
        self, table: str, data: RowData, **options: Unpack[_RowsWritten]
    ) -> Deferred[Row | None]: ...

    def insert(
        self, table: str, data: RowData, **options: Unpack[_Writes]
    ) -> Deferred[int | None] | Deferred[Row | None]:
        """
        Fires with the row's integer primary key, or with the C{returning}
        columns as a map; with C{None} where the table has no such key or
        the row was ignored on conflict.
        """
        envelope, params = _writes(options)
        return self._send("insert", envelope, table=table, data=data, **params)

    @overload
    def insert_many(
        self, table: str, rows: Sequence[RowData], **options: Unpack[_KeysWritten]
    ) -> Deferred[int]: ...

    @overload
    def insert_many(
        self, table: str, rows: Sequence[RowData], **options: Unpack[_RowsWritten]
    ) -> Deferred[list[Row | None]]: ...

    def insert_many(
        self, table: str, rows: Sequence[RowData], **options: Unpack[_Writes]
    ) -> Deferred[int] | Deferred[list[Row | None]]:
        """
        Fires with the number of rows written, or with the C{returning}
        columns of each row (C{None} for a row ignored on conflict).
        """
        envelope, params = _writes(options)
        return self._send(
            "insert_many", envelope, table=table, rows=_list(rows), **params
        )

    def update(
        self,
        table: str,
        where: Where | None,
        data: RowData,
        *,
        all_rows: bool = False,
        **options: Unpack[CallOptions],
    ) -> Deferred[int]:
        """
        Set C{data} on the rows matching C{where} (C{None} with C{all_rows}
        for every row); fires with the number of rows changed.
        """
        return self._send(
            "update", options, table=table, where=where, data=data, all_rows=all_rows
        )

    def delete(
        self,
        table: str,
        where: Where | None = None,
        *,
        all_rows: bool = False,
        **options: Unpack[CallOptions],
    ) -> Deferred[int]:
        """Fires with the number of rows deleted."""
        return self._send(
            "delete", options, table=table, where=where, all_rows=all_rows
        )

    def select(
        self,
        table: str,
        where: Where | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        **options: Unpack[_Query],
    ) -> Deferred[list[Row]]:
        """Fires with the matching rows as maps of column to value."""
        envelope, query = _query(table, where, options)
        return self._send("select", envelope, **query, limit=limit, offset=offset)

    def count(
        self, table: str, where: Where | None = None, **options: Unpack[CallOptions]
    ) -> Deferred[int]:
        """Fires with the number of matching rows."""
        return self._send("count", options, table=table, where=where)

    def execute(
        self,
        sql: str,
        params: Sequence[object] | None = None,
        **options: Unpack[CallOptions],
    ) -> Deferred[ExecuteResult]:
        """
        Run one statement with C{?} placeholders; fires with
        C{{"columns", "rows", "rowcount", "lastrowid"}}.
        """
        return self._send("execute", options, sql=sql, params=_list(params))

    # --- transactions ----------------------------------------------------------

    def batch(
        self, operations: Sequence[Operation], **options: Unpack[CallOptions]
    ) -> Deferred[list[Value]]:
        """
        Run C{operations} (C{{"method": m, "params": p}} maps, or request
        objects) in one database transaction, in one round trip (the
        protocol's C{transaction} method); fires with their results.  An
        C{insert}/C{insert_many} map may add C{"bind": {column: index}}: the
        id the earlier C{insert} at C{index} returned goes into that column
        of its rows (L{dbdriver.requests.binds}).
        """
        batch = [_operation(op) for op in operations]
        return self._send("transaction", options, operations=batch)

    def begin_transaction(self, **options: Unpack[CallOptions]) -> Deferred[str]:
        """Fires with the id of a new transaction."""
        return self._send("begin_transaction", options)

    def commit_transaction(
        self, transaction_id: str, **options: Unpack[CallOptions]
    ) -> Deferred[bool]:
        """Fires with C{True} once committed."""
        return self._send("commit_transaction", options, transaction_id=transaction_id)

    def rollback_transaction(
        self, transaction_id: str, **options: Unpack[CallOptions]
    ) -> Deferred[bool]:
        """Fires with C{True} once rolled back."""
        return self._send(
            "rollback_transaction", options, transaction_id=transaction_id
        )
