"""
Result references inside a C{transaction} batch (an additive extension of
PROTOCOL.md section 4): an C{insert} or C{insert_many} operation may carry
C{"bind": {column: index}}, where operation C{index} is an earlier
C{insert} without C{returning}: the integer id it returned is written into
C{column} of the row(s).  A parent row and its children then go in one
round trip and one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.rows import InsertManyRequest, InsertRequest

__all__ = ["BINDABLE", "apply_binds", "check_binds"]

#: The operations that take C{bind}: the ids go into the rows they write.
BINDABLE = frozenset({"insert", "insert_many"})


def check_binds(
    value: object, request: BaseRequest, earlier: Sequence[BaseRequest]
) -> dict[str, int] | None:
    """
    The checked C{bind} map of C{request}: identifiers mapped to the index of
    an C{insert} (without C{returning}) among the C{earlier} operations; the
    column must not also be in the rows.
    """
    if value is None:
        return None
    if not isinstance(request, (InsertRequest, InsertManyRequest)):
        raise InvalidParams(
            f"bind works on insert and insert_many, not {request.method}"
        )
    if not isinstance(value, dict) or not value:
        raise InvalidParams("bind must be a non-empty map {column: operation index}")
    rows = [request.data] if isinstance(request, InsertRequest) else request.rows
    for column, source in value.items():
        check.identifier(column, "bind column")
        if type(source) is not int or not 0 <= source < len(earlier):
            raise InvalidParams(
                f"bind.{column} must be the index of an earlier operation",
                {"bind": column},
            )
        origin = earlier[source]
        if not isinstance(origin, InsertRequest) or origin.returning:
            raise InvalidParams(
                f"bind.{column}: operation {source} is no insert that returns an id",
                {"bind": column},
            )
        if rows and column in rows[0]:
            raise InvalidParams(
                f"bind.{column}: the column is also given in the row", {"bind": column}
            )
    return value


def apply_binds(
    request: BaseRequest, binds: dict[str, int], results: Sequence[object]
) -> None:
    """
    Write the ids of earlier results into the rows of C{request} (new row
    maps: the maps it was built from stay as they were); an insert that
    returned no id (a row ignored on conflict, a table without an integer
    key) is L{InvalidParams}.
    """
    values: dict[str, int] = {}
    for column, source in binds.items():
        value = results[source]
        if type(value) is not int:
            raise InvalidParams(
                f"bind.{column}: operation {source} returned "
                f"{type(value).__name__}, not an integer id",
                {"bind": column},
            )
        values[column] = value
    if isinstance(request, InsertRequest):
        request.data = {**request.data, **values}
    elif isinstance(request, InsertManyRequest):
        request.rows = [{**row, **values} for row in request.rows]
