"""
Checks of the params that several request types share: conflict clauses,
returning lists, where clauses of writes, ordering, raw SQL statements.
"""

from __future__ import annotations

from typing import Any

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.sqltext import leading_keyword
from dbdriver.requests.where import Node, parse_where

__all__ = [
    "TRANSACTION_CONTROL",
    "leading_keyword",
    "on_conflict",
    "order_by",
    "raw_statement",
    "returning",
    "write_where",
]


def on_conflict(value: object) -> None:
    if value is None or value in ("ignore", "replace"):
        return
    if isinstance(value, dict) and set(value) <= {"target", "update"}:
        check.identifiers(value.get("target"), "on_conflict.target")
        check.identifiers(
            value.get("update", []), "on_conflict.update", allow_empty=True
        )
        return
    raise InvalidParams(
        'on_conflict must be "ignore", "replace" or {"target": [...], "update": [...]}'
    )


def returning(value: object) -> None:
    if value is not None:
        check.identifiers(value, "returning")


def write_where(where: object, all_rows: bool, method: str) -> Node:
    node = parse_where(where)
    check.boolean(all_rows, "all_rows")
    if not where and not all_rows:
        raise InvalidParams(
            f'{method} without a where clause needs "all_rows": true',
            {"all_rows": False},
        )
    return node


def order_by(value: object) -> list[tuple[str, bool]]:
    if value is None:
        return []
    order = []
    for item in check.array(value, "order_by"):
        if isinstance(item, dict):
            if not set(item) <= {"column", "desc"}:
                raise InvalidParams('order_by entries are "col" or {"column", "desc"}')
            order.append(
                (
                    check.identifier(item.get("column"), "order_by column"),
                    check.boolean(item.get("desc", False), "order_by desc"),
                )
            )
        else:
            order.append((check.identifier(item, "order_by column"), False))
    return order


TRANSACTION_CONTROL = frozenset(
    {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "START"}
)


def raw_statement(sql: Any, params: Any) -> None:
    """
    Raw SQL with C{?} placeholders: one statement, no transaction control
    (transactions belong to the driver), params that are column values.
    """
    check.text(sql, "sql")
    if leading_keyword(sql) in TRANSACTION_CONTROL:
        raise InvalidParams(
            "transaction control statements are not allowed in execute: "
            "use begin_transaction/commit_transaction/rollback_transaction"
        )
    if params is not None:
        for i, value in enumerate(check.array(params, "params")):
            check.cell(value, f"params[{i}]")
