"""
L{dbdriver.drivers.sql.interruptible}: a request runs marked on its
connection as the one its L{Interrupter} cancels, and only while it runs.
"""

from __future__ import annotations

from typing import cast

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.interrupt import Interrupter
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.interruptible import InterruptibleOperations
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.server.config import Config


class _Connection:
    """A stand-in DB-API connection (weak references allowed)."""


class _Cursor:
    """A stand-in cursor on a L{_Connection}."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection


class _Operations(InterruptibleOperations[_Connection]):
    """Answers C{list_tables} with whether its connection is marked."""

    def table_columns(self, cursor: DBCursor, table: str) -> list[CatalogColumn]:
        return []

    def table_names(self, cursor: DBCursor) -> list[str]:
        mark = self._interrupter._marks.get(cursor.connection)
        return ["marked"] if mark is not None and mark.running else []


def test_a_request_runs_marked_on_its_connection() -> None:
    interrupter: Interrupter[_Connection] = Interrupter(lambda c: True)
    operations = _Operations(Dialect(), Config(), lambda e: None, interrupter)
    connection = _Connection()
    cursor = cast(DBCursor, _Cursor(connection))
    assert operations.perform(cursor, rq.ListTablesRequest()) == ["marked"]
    assert operations.table_names(cursor) == []
