"""
Validation of the pieces every request is made of: identifiers, scalar
values, row maps.  Each check returns the value (normalised where the
protocol allows two spellings) or raises L{InvalidParams}.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from dbdriver.exceptions import InvalidParams

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Names already found valid (the same few names arrive again and again).
_VALID: set[str] = set()

SCALAR_TYPES = (type(None), bool, int, float, str, bytes, datetime.datetime)
_SCALAR_TYPE_SET = frozenset(SCALAR_TYPES)


def identifier(value: Any, what: str = "identifier") -> str:
    """
    A table, column or index name: C{[A-Za-z_][A-Za-z0-9_]{0,62}}.
    """
    if value in _VALID and type(value) is str:
        return value
    if type(value) is not str or _IDENTIFIER.fullmatch(value) is None:
        raise InvalidParams(
            f"invalid {what} {value!r}: must match [A-Za-z_][A-Za-z0-9_]{{0,62}}",
            {"identifier": value if isinstance(value, str) else repr(value)},
        )
    if len(_VALID) < 10000:
        _VALID.add(value)
    return value


def identifiers(value: Any, what: str, *, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise InvalidParams(f"{what} must be a non-empty array of names")
    names = [identifier(v, what) for v in value]
    if len(set(names)) != len(names):
        raise InvalidParams(f"{what} names a column twice: {names!r}")
    return names


def scalar(value: Any, what: str) -> Any:
    """
    A value a column can hold directly (maps and arrays only go to C{json}
    columns, see L{row}).
    """
    if not isinstance(value, SCALAR_TYPES):
        raise InvalidParams(f"{what}: {type(value).__name__} is not a column value")
    return value


_JSON_LEAVES = frozenset({type(None), bool, int, float, str})


def _json_able(value: Any, what: str) -> Any:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidParams(f"{what}: JSON object keys must be text")
            if type(item) not in _JSON_LEAVES:
                _json_able(item, what)
    elif isinstance(value, list):
        for item in value:
            if type(item) not in _JSON_LEAVES:
                _json_able(item, what)
    elif not isinstance(value, (type(None), bool, int, float, str)):
        raise InvalidParams(f"{what}: {type(value).__name__} cannot be stored as JSON")
    return value


def cell(value: Any, what: str) -> Any:
    """
    A value of a row map: a scalar, or a map/array for a C{json} column.
    """
    if isinstance(value, (dict, list)):
        return _json_able(value, what)
    return scalar(value, what)


def row(value: Any, what: str = "data") -> dict[str, Any]:
    """
    A non-empty map of column name to value.
    """
    if (
        type(value) is dict
        and value
        and _VALID.issuperset(value)
        and _SCALAR_TYPE_SET.issuperset(map(type, value.values()))
    ):
        return value  # names seen before, plain values: no loop in Python
    if not isinstance(value, dict) or not value:
        raise InvalidParams(f"{what} must be a non-empty map of column to value")
    for key in value:
        if key not in _VALID or type(key) is not str:
            identifier(key, "column")
    return _cells(value, what)


def _cells(value: dict[str, Any], what: str) -> dict[str, Any]:
    for key, item in value.items():
        if type(item) not in _SCALAR_TYPE_SET:  # the usual case needs no call
            cell(item, f"{what}.{key}")
    return value


def rows(value: Any, what: str = "rows") -> list[dict[str, Any]]:
    """
    An array of row maps that all name the same columns.
    """
    keys = None
    for i, item in enumerate(array(value, what)):
        try:
            if keys is not None and type(item) is dict and item.keys() == keys:
                _cells(item, "row")  # names checked in the first row
                continue
            row(item, "row")
        except InvalidParams as e:
            raise InvalidParams(f"{what}[{i}]: {e.message}", {"index": i}) from None
        if keys is None:
            keys = item.keys()
        elif item.keys() != keys:
            raise InvalidParams(
                f"{what}[{i}] has other columns than {what}[0]", {"index": i}
            )
    return value  # type: ignore[no-any-return]


def boolean(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise InvalidParams(f"{what} must be a boolean")
    return value


def count(value: Any, what: str, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidParams(f"{what} must be an integer >= {minimum}")
    return value


def text(value: Any, what: str) -> str:
    if type(value) is not str or not value:
        raise InvalidParams(f"{what} must be non-empty text")
    return value


def array(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidParams(f"{what} must be an array")
    return value
