"""
Checks of the params that several request types share, as attrs validators
(a request class declares each param with the check it needs, see
L{checked}), and the shared checks themselves: conflict clauses, returning
lists, where clauses of writes, ordering, raw SQL statements.

A validator runs when the request is built, in the order the params are
declared, so the first bad param is the one reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.sqltext import leading_keyword
from dbdriver.requests.values import Value
from dbdriver.requests.where import parse_where

__all__ = [
    "ALL_ROWS",
    "COUNT",
    "FLAG",
    "NAMES",
    "ON_CONFLICT",
    "ORDER_BY",
    "RETURNING",
    "TRANSACTION_CONTROL",
    "WHERE",
    "ConflictClause",
    "OrderBy",
    "all_rows",
    "checked",
    "deriving",
    "leading_keyword",
    "on_conflict",
    "order_by",
    "raw_statement",
    "returning",
    "statement",
    "statement_params",
]

_T = TypeVar("_T")

#: C{on_conflict}: C{"ignore"}, C{"replace"} or
#: C{{"target": [column], "update": [column]}}.
ConflictClause = str | dict[str, list[str]] | None
#: C{order_by}: column names, or C{{"column": name, "desc": bool}} maps.
OrderBy = list[str | dict[str, Value]]


def checked(
    check_value: Callable[[object, str], object],
) -> Callable[[object, attrs.Attribute[_T], _T], None]:
    """
    An attrs validator that runs C{check_value(value, name)}, C{name} being
    the param's name (which the error message names).

    @param check_value: a check of L{dbdriver.requests.values} (or one of
        this module) that raises L{InvalidParams}.
    """

    def validate(request: object, attribute: attrs.Attribute[_T], value: _T) -> None:
        check_value(value, attribute.name)

    return validate


def deriving(
    name: str, parse: Callable[[object], object]
) -> Callable[[object, attrs.Attribute[_T], _T], None]:
    """
    An attrs validator that parses a param into the request's field C{name}
    (an C{init=False} field: C{where} gives C{where_node}), so that the
    drivers read the parsed form and the wire keeps the param as sent.

    @param parse: validates the param and returns its parsed form.
    """

    def validate(request: object, attribute: attrs.Attribute[_T], value: _T) -> None:
        setattr(request, name, parse(value))

    return validate


class _Filtered(Protocol):
    method: str
    where: object


def all_rows(request: _Filtered, attribute: attrs.Attribute[bool], value: bool) -> None:
    """
    The validator of a write's C{all_rows}: a write without a where clause
    must say C{"all_rows": true}.
    """
    check.boolean(value, "all_rows")
    if not request.where and not value:
        raise InvalidParams(
            f'{request.method} without a where clause needs "all_rows": true',
            {"all_rows": False},
        )


def on_conflict(value: object, what: str = "on_conflict") -> None:
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


def returning(value: object, what: str = "returning") -> None:
    if value is not None:
        check.identifiers(value, what)


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


def statement(sql: object, what: str = "sql") -> None:
    """
    Raw SQL: one statement, no transaction control (transactions belong to
    the driver).
    """
    if leading_keyword(check.text(sql, what)) in TRANSACTION_CONTROL:
        raise InvalidParams(
            "transaction control statements are not allowed in execute: "
            "use begin_transaction/commit_transaction/rollback_transaction"
        )


def statement_params(params: object, what: str = "params") -> None:
    """
    The params of raw SQL with C{?} placeholders: column values.
    """
    if params is not None:
        for i, value in enumerate(check.array(params, what)):
            check.cell(value, f"{what}[{i}]")


def raw_statement(sql: object, params: object) -> None:
    """
    Raw SQL with C{?} placeholders and its params (L{statement},
    L{statement_params}).
    """
    statement(sql)
    statement_params(params)


# The params several request classes take, declared once: a class names
# one as its field's default (C{on_conflict: ConflictClause = ON_CONFLICT}).

#: C{on_conflict} of an insert (L{on_conflict}).
ON_CONFLICT: ConflictClause = attrs.field(default=None, validator=checked(on_conflict))
#: C{returning} of an insert (L{returning}).
RETURNING: list[str] | None = attrs.field(default=None, validator=checked(returning))
#: C{where}, parsed into the request's C{where_node}.
WHERE: dict[str, Value] | None = attrs.field(
    default=None, validator=deriving("where_node", parse_where)
)
#: C{all_rows} of a write (L{all_rows}).
ALL_ROWS: bool = attrs.field(default=False, validator=all_rows)
#: C{order_by}, parsed into the request's C{order} (L{order_by}).
ORDER_BY: OrderBy | None = attrs.field(
    default=None, validator=deriving("order", order_by)
)
#: An optional list of column names (C{columns}).
NAMES: list[str] | None = attrs.field(
    default=None, validator=attrs.validators.optional(checked(check.identifiers))
)
#: An optional count of rows (C{limit}, C{offset}).
COUNT: int | None = attrs.field(
    default=None, validator=attrs.validators.optional(checked(check.count))
)
#: A boolean that is C{False} unless sent (C{if_exists}, C{dry_run}, ...).
FLAG: bool = attrs.field(default=False, validator=checked(check.boolean))
