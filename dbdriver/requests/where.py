"""
Where clauses (PROTOCOL.md section 4): parsed into a small tree of tuples
that any SQL dialect can render.  Parsing validates; rendering never fails.

Nodes::

    ("true",) ("false",)
    ("cmp", column, sql_operator, value)
    ("null", column, is_null)
    ("in", column, values, negated)
    ("between", column, low, high)
    ("like", column, pattern, negated, insensitive)
    ("match", column, ((word, prefix), ...))
    ("and", [node, ...]) ("or", [node, ...]) ("not", node)

C{like} and C{match} depend on the backend, so L{render_where} asks its
L{WhereDialect} to render them; the rest is the same SQL everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.inputs import MAX_NESTING, quoted, shown
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
}
#: The wire name of each comparison, for L{where_to_wire}.
_WIRE = {sql: op for op, sql in _COMPARISONS.items()}
#: The pattern operators: (negated, case-insensitive).
_LIKES = {
    "like": (False, False),
    "not like": (True, False),
    "ilike": (False, True),
    "not ilike": (True, True),
}
_LIKE_NAMES = {flags: op for op, flags in _LIKES.items()}
#: What separates the words of a C{match} operand: anything but letters,
#: digits and a term's final C{*}.
_WORD = re.compile(r"[^\W_]+\*?")

Terms = tuple[tuple[str, bool], ...]


class WhereDialect(Protocol):
    """
    What L{render_where} needs of a backend's SQL.
    """

    @property
    def param(self) -> str:
        """The placeholder of a bound parameter."""

    def quote(self, name: str) -> str: ...

    def adapt(self, value: object) -> object: ...

    def render_like(
        self, column: str, pattern: str, negated: bool, insensitive: bool
    ) -> tuple[str, list[object]]:
        """
        SQL for a C{like} family comparison of the quoted C{column}: the
        pattern's C{%} and C{_} are wildcards, nothing escapes.
        """

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        """
        SQL for a full-text C{match} on C{column} (through the index
        C{target}, which the catalog resolved): every term occurs, a
        C{prefix} term as the start of a word.
        """


def parse_where(where: object) -> Node:
    """
    Validate a where map and return its tree; C{None} matches every row.
    """
    return _parse(where, 0)


def _parse(where: object, depth: int) -> Node:
    if where is None:
        return TRUE
    if not isinstance(where, dict):
        raise InvalidParams("where must be a map")
    parts = [_parse_entry(key, value, depth) for key, value in where.items()]
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


def _parse_entry(key: object, value: object, depth: int) -> Node:
    if key in ("$and", "$or", "$not") and depth >= MAX_NESTING:
        raise InvalidParams(
            f"where clauses nest at most {MAX_NESTING} $and/$or/$not deep",
            {"max_nesting": MAX_NESTING},
        )
    if key == "$and" or key == "$or":
        if not isinstance(value, list):
            raise InvalidParams(f"{key} takes an array of where maps")
        parts = [_parse(_where_map(v, key), depth + 1) for v in value]
        return _junction(key[1:], parts)
    if key == "$not":
        inner = _parse(_where_map(value, key), depth + 1)
        if inner == TRUE:
            return FALSE
        if inner == FALSE:
            return TRUE
        return ("not", inner)
    if isinstance(key, str) and key.startswith("$"):
        raise InvalidParams(f"unknown where operator {quoted(key)}")
    column = identifier(key, "column")
    if isinstance(value, dict):
        if not value:
            raise InvalidParams(f"empty operator map for column {quoted(column)}")
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
    if type(op) is not str:
        raise InvalidParams(f"unknown operator {quoted(op)} for column {column!r}")
    what = f"where.{column}.{shown(op)}"
    if op in ("=", "!=") and arg is None:
        return ("null", column, op == "=")
    if op in _LIKES:
        if type(arg) is not str:
            raise InvalidParams(f"{what} takes text")
        return ("like", column, scalar(arg, f"where.{column}"), *_LIKES[op])
    if op == "match":
        return ("match", column, match_terms(arg, what))
    if op in _COMPARISONS:
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
    raise InvalidParams(f"unknown operator {quoted(op)} for column {quoted(column)}")


def match_terms(arg: object, what: str) -> Terms:
    """
    The terms of a C{match} operand: words, each perhaps a prefix.
    """
    if type(arg) is not str:
        raise InvalidParams(f"{what} takes text")
    terms = []
    for word in _WORD.findall(arg):
        prefix = word.endswith("*")
        terms.append((word.rstrip("*").lower(), prefix))
    if not terms:
        raise InvalidParams(f"{what} needs at least one word")
    return tuple(terms)


def match_columns(node: Node) -> list[str]:
    """
    The columns a tree searches with C{match} (each needs a full-text index).
    """
    kind = node[0]
    if kind == "match":
        return [node[1]]
    if kind == "and" or kind == "or":
        return [column for part in node[1] for column in match_columns(part)]
    if kind == "not":
        return match_columns(node[1])
    return []


def where_to_wire(node: Node) -> dict[str, object]:
    """
    The canonical where map of a tree: C{parse_where(where_to_wire(n))}
    is C{n}, and equal trees give equal maps.
    """
    kind = node[0]
    if kind == "true":
        return {}
    if kind == "false":
        return {"$or": []}
    if kind == "and":
        return _and_to_wire(node[1])
    if kind == "or":
        return {"$or": [where_to_wire(p) for p in node[1]]}
    if kind == "not":
        return {"$not": where_to_wire(node[1])}
    return {node[1]: _operand_to_wire(node)}


def _and_to_wire(parts: list[Node]) -> dict[str, object]:
    # One map where the parts name distinct columns, or the same column
    # with distinct operators; C{$and} otherwise.
    merged: dict[str, object] = {}
    for part in parts:
        for key, value in where_to_wire(part).items():
            if key.startswith("$"):
                return {"$and": [where_to_wire(p) for p in parts]}
            if key not in merged:
                merged[key] = value
                continue
            old = merged[key]
            if not (isinstance(old, dict) and isinstance(value, dict)) or (
                old.keys() & value.keys()
            ):
                return {"$and": [where_to_wire(p) for p in parts]}
            merged[key] = {**old, **value}
    return merged


def _operand_to_wire(node: Node) -> object:
    kind = node[0]
    if kind == "cmp":
        return node[3] if node[2] == "=" else {_WIRE[node[2]]: node[3]}
    if kind == "null":
        return None if node[2] else {"is null": False}
    if kind == "in":
        return {"not in" if node[3] else "in": list(node[2])}
    if kind == "between":
        return {"between": [node[2], node[3]]}
    if kind == "like":
        return {_LIKE_NAMES[(node[3], node[4])]: node[2]}
    words = " ".join(word + ("*" if prefix else "") for word, prefix in node[2])
    return {"match": words}


def where_columns(node: Node) -> list[str]:
    """
    The columns a tree names, in order (a backend checks that they exist).
    """
    kind = node[0]
    if kind in ("cmp", "null", "in", "between", "like", "match"):
        return [node[1]]
    if kind == "and" or kind == "or":
        return [column for part in node[1] for column in where_columns(part)]
    if kind == "not":
        return where_columns(node[1])
    return []


def render_where(node: Node, dialect: WhereDialect) -> tuple[str, list[object]]:
    """
    The SQL text (with the dialect's placeholders) and the parameters of a
    tree.
    """
    params: list[object] = []
    sql = _render(node, dialect, params)
    return sql, params


def _render(node: Node, dialect: WhereDialect, params: list[object]) -> str:
    kind = node[0]
    quote, param, adapt = dialect.quote, dialect.param, dialect.adapt
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
    if kind == "like" or kind == "match":
        if kind == "like":
            sql, more = dialect.render_like(quote(node[1]), *node[2:])
        else:
            sql, more = dialect.render_match(node[1], node[2], *node[3:])
        params.extend(more)
        return sql
    if kind == "and" or kind == "or":
        joiner = " AND " if kind == "and" else " OR "
        return "(" + joiner.join(_render(n, dialect, params) for n in node[1]) + ")"
    if kind == "not":
        return f"NOT ({_render(node[1], dialect, params)})"
    return "1=1" if kind == "true" else "1=0"
