"""
The params the client methods take, as types, and how they go on the wire:
params left at their default are not sent, sequences become arrays and
request objects become C{{"method": m, "params": p}} maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Required, TypedDict

from dbdriver.requests.base import BaseRequest

__all__ = [
    "CallOptions",
    "ConflictClause",
    "Operation",
    "OrderItem",
    "Params",
    "RowData",
    "Where",
]

#: A where map (PROTOCOL.md section 4, "Where clauses").
Where = Mapping[str, object]
#: One row to write: column name to value.
RowData = Mapping[str, object]
#: An C{order_by} entry: a column name or C{{"column": c, "desc": bool}}.
OrderItem = str | Mapping[str, object]
#: C{on_conflict}: C{"ignore"}, C{"replace"} or
#: C{{"target": [column], "update": [column]}}.
ConflictClause = str | Mapping[str, Sequence[str]] | None
#: One operation of a C{transaction} batch: a request object or a
#: C{{"method": m, "params": p, "bind"?: b}} map.
Operation = BaseRequest | Mapping[str, object]
#: The params of one request, as sent (C{None}: none).
Params = dict[str, object] | None


class CallOptions(TypedDict, total=False):
    """
    The keyword arguments every method takes for its request's envelope
    (PROTOCOL.md section 2), declared once: C{**options: Unpack[CallOptions]}.

    @ivar priority: queue priority, 0..9 (C{None}: the server's default, 5,
        or the L{dbdriver.client.api.Transaction}'s).
    @ivar timeout: deadline in seconds (C{None}: the server's default, 30,
        or the transaction's).
    @ivar retry: client side only, never sent: a
        L{dbdriver.client.reconnecting.ReconnectingClient} sends the request
        once more, after reconnecting, if the connection is lost before its
        answer (for idempotent reads; other clients ignore it).
    """

    priority: int | None
    timeout: float | None
    retry: bool


class _Envelope(CallOptions, total=False):
    """
    The envelope of a request, as L{dbdriver.client.protocol} takes it: the
    L{CallOptions} and the C{transaction_id} it runs in.
    """

    transaction_id: str | None


class _Query(CallOptions, total=False):
    """
    The keyword arguments of C{select} and C{open_cursor}, declared once:
    the L{CallOptions}, and the C{columns} and C{order_by} (L{OrderItem}s)
    of their query of a table.
    """

    columns: Sequence[str] | None
    order_by: Sequence[OrderItem] | None


class _Conflict(CallOptions, total=False):
    """The L{CallOptions} and C{on_conflict}, which every write takes."""

    on_conflict: ConflictClause


class _Writes(_Conflict, total=False):
    """
    The keyword arguments of C{insert} and C{insert_many}, declared once:
    the L{CallOptions}, C{on_conflict} (L{ConflictClause}) and C{returning}
    (the columns to fire with, instead of the key or the count).  Their
    overloads tell the result's type by C{returning}: L{_KeysWritten}
    (none) or L{_RowsWritten} (some columns).
    """

    returning: Sequence[str] | None


class _KeysWritten(_Conflict, total=False):
    """L{_Writes} without C{returning}: the write fires with keys or a count."""

    returning: None


class _RowsWritten(_Conflict, total=False):
    """L{_Writes} with C{returning}: the write fires with those columns."""

    returning: Required[Sequence[str]]


def _params(**params: object) -> dict[str, object]:
    """
    The params that are set: C{None} and C{False} (every optional param's
    default) are left out.
    """
    return {k: v for k, v in params.items() if v is not None and v is not False}


def _operation(op: Operation) -> object:
    """
    A batch operation on the wire: request objects become
    C{{"method": m, "params": p}} maps, anything else is sent as given.
    """
    if isinstance(op, BaseRequest):
        return {"method": op.method, "params": op.to_params()}
    return op


def _query(
    table: str | None, where: Where | None, options: _Query
) -> tuple[CallOptions, dict[str, object]]:
    """
    A query of C{table} (C{select}'s or C{open_cursor}'s) with C{options}:
    the envelope's, and its params.
    """
    params = {
        "table": table,
        "where": where,
        "columns": _list(options.pop("columns", None)),
        "order_by": _list(options.pop("order_by", None)),
    }
    return options, params


def _writes(options: _Writes) -> tuple[CallOptions, dict[str, object]]:
    """C{insert}'s or C{insert_many}'s C{options}: the envelope's, and its params."""
    params = {
        "on_conflict": options.pop("on_conflict", None),
        "returning": _list(options.pop("returning", None)),
    }
    return options, params


def _list(value: Sequence[object] | None) -> object:
    """
    Tuples and other sequences as lists, which the request checks expect
    (text is no sequence of values here: it is sent as it is, and refused).
    """
    if value is None or isinstance(value, (list, str, bytes)):
        return value
    return list(value)
