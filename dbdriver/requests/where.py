"""
Where clauses (PROTOCOL.md section 4): parsed into a small tree of tuples
that any SQL dialect can render.  Parsing validates; rendering never fails.

Nodes::

    ("true",) ("false",)
    ("cmp", column, sql_operator, value)
    ("null", column, is_null)
    ("in", column, values, negated)
    ("between", column, low, high)
    ("and", [node, ...]) ("or", [node, ...]) ("not", node)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.values import identifier, scalar

Node = tuple[Any, ...]

TRUE: Node = ("true",)
FALSE: Node = ("false",)

_COMPARISONS = {
    "=": "=",
    "!=": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "like": "LIKE",
    "not like": "NOT LIKE",
}


def parse_where(where: object) -> Node:
    """
    Validate a where map and return its tree; C{None} matches every row.
    """
    if where is None:
        return TRUE
    if not isinstance(where, dict):
        raise InvalidParams("where must be a map")
    parts = [_parse_entry(key, value) for key, value in where.items()]
    return _junction("and", parts)


#: The identity and the absorbing part of each junction: C{TRUE} drops out
#: of an C{"and"} and a C{FALSE} part makes it C{FALSE}; the other way round
#: for an C{"or"}.
_JUNCTIONS = {"and": (TRUE, FALSE), "or": (FALSE, TRUE)}


def _junction(kind: str, parts: list[Node]) -> Node:
    """
    The node that joins C{parts} with C{kind} (C{"and"} or C{"or"}),
    simplified: no part that cannot change it, and one part stands alone.
    """
    identity, absorbing = _JUNCTIONS[kind]
    parts = [p for p in parts if p != identity]
    if not parts:
        return identity
    if absorbing in parts:
        return absorbing
    return parts[0] if len(parts) == 1 else (kind, parts)


def _parse_entry(key: object, value: object) -> Node:
    if key == "$and" or key == "$or":
        if not isinstance(value, list):
            raise InvalidParams(f"{key} takes an array of where maps")
        parts = [parse_where(_where_map(v, key)) for v in value]
        return _junction(key[1:], parts)
    if key == "$not":
        inner = parse_where(_where_map(value, key))
        if inner == TRUE:
            return FALSE
        if inner == FALSE:
            return TRUE
        return ("not", inner)
    if isinstance(key, str) and key.startswith("$"):
        raise InvalidParams(f"unknown where operator {key!r}")
    column = identifier(key, "column")
    if isinstance(value, dict):
        if not value:
            raise InvalidParams(f"empty operator map for column {column!r}")
        return _junction(
            "and", [_parse_op(column, op, arg) for op, arg in value.items()]
        )
    if value is None:
        return ("null", column, True)
    return ("cmp", column, "=", scalar(value, f"where.{column}"))


def _where_map(value: object, key: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise InvalidParams(f"{key} takes where maps")
    return value


def _parse_op(column: str, op: object, arg: object) -> Node:
    what = f"where.{column}.{op}"
    if op in ("=", "!=") and arg is None:
        return ("null", column, op == "=")
    if op in _COMPARISONS:
        if op in ("like", "not like") and type(arg) is not str:
            raise InvalidParams(f"{what} takes text")
        if arg is None:
            raise InvalidParams(f"{what}: null compares as unknown; use 'is null'")
        return ("cmp", column, _COMPARISONS[op], scalar(arg, what))
    if op in ("in", "not in"):
        if not isinstance(arg, list):
            raise InvalidParams(f"{what} takes an array")
        values = [scalar(v, what) for v in arg]
        if not values:
            return TRUE if op == "not in" else FALSE
        return ("in", column, values, op == "not in")
    if op == "between":
        if not isinstance(arg, list) or len(arg) != 2:
            raise InvalidParams(f"{what} takes an array of two values")
        return ("between", column, scalar(arg[0], what), scalar(arg[1], what))
    if op == "is null":
        if type(arg) is not bool:
            raise InvalidParams(f"{what} takes true or false")
        return ("null", column, arg)
    raise InvalidParams(f"unknown operator {op!r} for column {column!r}")


def where_columns(node: Node) -> list[str]:
    """
    The columns a tree names, in order (a backend checks that they exist).
    """
    kind = node[0]
    if kind in ("cmp", "null", "in", "between"):
        return [node[1]]
    if kind == "and" or kind == "or":
        return [column for part in node[1] for column in where_columns(part)]
    if kind == "not":
        return where_columns(node[1])
    return []


def render_where(
    node: Node,
    quote: Callable[[str], str],
    param: str,
    adapt: Callable[[object], object],
) -> tuple[str, list[object]]:
    """
    The SQL text (with C{param} placeholders) and the parameters of a tree.
    """
    params: list[object] = []
    sql = _render(node, quote, param, adapt, params)
    return sql, params


def _render(
    node: Node,
    quote: Callable[[str], str],
    param: str,
    adapt: Callable[[object], object],
    params: list[object],
) -> str:
    kind = node[0]
    if kind == "cmp":
        params.append(adapt(node[3]))
        return f"{quote(node[1])} {node[2]} {param}"
    if kind == "null":
        return f"{quote(node[1])} IS {'' if node[2] else 'NOT '}NULL"
    if kind == "in":
        params.extend(adapt(v) for v in node[2])
        marks = ", ".join([param] * len(node[2]))
        return f"{quote(node[1])} {'NOT IN' if node[3] else 'IN'} ({marks})"
    if kind == "between":
        params.append(adapt(node[2]))
        params.append(adapt(node[3]))
        return f"{quote(node[1])} BETWEEN {param} AND {param}"
    if kind == "and" or kind == "or":
        joiner = " AND " if kind == "and" else " OR "
        return (
            "("
            + joiner.join(_render(n, quote, param, adapt, params) for n in node[1])
            + ")"
        )
    if kind == "not":
        return f"NOT ({_render(node[1], quote, param, adapt, params)})"
    return "1=1" if kind == "true" else "1=0"
