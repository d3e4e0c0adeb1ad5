"""
The table operations of the server backends (PostgreSQL, MySQL), whose
statements a deadline cancels from another connection.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from dbdriver import requests as rq
from dbdriver.drivers.interfaces import DBCursor, DriverSettings
from dbdriver.drivers.interrupt import Interrupter
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.operations import TableOperations, Translation

__all__ = ["InterruptibleOperations"]

#: The DB-API connection class of a backend.
C = TypeVar("C")


class InterruptibleOperations(TableOperations, Generic[C]):
    """
    Table operations whose requests an L{Interrupter} may cancel: each runs
    marked on its connection as the one a deadline cancels.
    """

    def __init__(
        self,
        dialect: Dialect,
        settings: DriverSettings,
        translation: Translation,
        interrupter: Interrupter[C],
    ) -> None:
        super().__init__(dialect, settings, translation)
        self._interrupter = interrupter

    def perform(self, cursor: DBCursor, request: rq.BaseRequest) -> object:
        """
        Run a request, marked on its connection as the one a deadline may
        cancel.
        """
        with self._interrupter.running(cursor.connection):
            return super().perform(cursor, request)
