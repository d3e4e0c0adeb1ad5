"""
The table-level interface of the seed's C{BaseDatabaseDriver}, for code that
embeds a driver in its own process (and for tests): each method builds the
request type and runs it on the pool, returning a L{Deferred}.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred

from dbdriver import requests as rq
from dbdriver.requests.rows import OrderBy
from dbdriver.requests.values import Row, Value

__all__ = ["TableAPI"]


class TableAPI(ABC):
    """
    C{create_table}, C{insert}, C{select}, ... as L{Deferred}s, all through
    L{run} (so they are validated exactly as requests from the wire).
    """

    @abstractmethod
    def run(self, request: rq.BaseRequest) -> Deferred[Any]:
        """
        Run one request on the pool (L{BaseDatabaseDriver.run}, which also
        takes a deadline, a transaction and what to apply to the result).
        """

    def create_table(
        self, schema: dict[str, Value], if_not_exists: bool = False
    ) -> Deferred[bool]:
        return self.run(
            rq.CreateTableRequest(schema=schema, if_not_exists=if_not_exists)
        )

    def drop_table(self, table_name: str, if_exists: bool = False) -> Deferred[bool]:
        return self.run(rq.DropTableRequest(table=table_name, if_exists=if_exists))

    def insert(self, table_name: str, data: Row, **options: Any) -> Deferred[object]:
        return self.run(rq.InsertRequest(table=table_name, data=data, **options))

    def update(
        self,
        table_name: str,
        where: Row | None,
        data: Row,
        all_rows: bool = False,
    ) -> Deferred[int]:
        return self.run(
            rq.UpdateRequest(
                table=table_name, where=where, data=data, all_rows=all_rows
            )
        )

    def delete(
        self, table_name: str, where: Row | None, all_rows: bool = False
    ) -> Deferred[int]:
        return self.run(
            rq.DeleteRequest(table=table_name, where=where, all_rows=all_rows)
        )

    def select(
        self,
        table_name: str,
        where: Row | None = None,
        columns: list[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        order_by: OrderBy | None = None,
    ) -> Deferred[list[dict[str, object]]]:
        return self.run(
            rq.SelectRequest(
                table=table_name,
                where=where,
                columns=columns,
                order_by=order_by,
                limit=limit,
                offset=offset,
            )
        )

    def execute(self, sql: str, params: Sequence[Value] = ()) -> Deferred[object]:
        return self.run(rq.ExecuteRequest(sql=sql, params=list(params)))

    def get_table_info(self, table_name: str) -> Deferred[list[dict[str, object]]]:
        return self.run(rq.GetTableInfoRequest(table=table_name))

    def describe_table(self, table_name: str) -> Deferred[dict[str, object]]:
        return self.run(rq.DescribeTableRequest(table=table_name))
