"""
Validation of the pieces every request is made of: identifiers, scalar
values, row maps.  Each check returns the value (normalised where the
protocol allows two spellings) or raises L{InvalidParams}.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.inputs import MAX_NESTING, quoted, shown

__all__ = [
    "MAX_COUNT",
    "SCALAR_TYPES",
    "Row",
    "Scalar",
    "Value",
    "array",
    "boolean",
    "cell",
    "count",
    "identifier",
    "identifiers",
    "new_row",
    "row",
    "rows",
    "scalar",
    "text",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Names already found valid (the same few names arrive again and again).
_VALID: set[str] = set()

#: A value a column holds directly (a client may send a CBOR datetime for a
#: C{timestamp}).
Scalar: TypeAlias = bool | int | float | str | bytes | datetime.datetime | None
#: Every value on the wire (PROTOCOL.md section 4, "Column types"): a scalar,
#: or an array or map of values, as a C{json} column holds.
Value: TypeAlias = Scalar | list["Value"] | dict[str, "Value"]
#: One row: column name to value.
Row: TypeAlias = dict[str, Value]

SCALAR_TYPES = (type(None), bool, int, float, str, bytes, datetime.datetime)
_SCALAR_TYPE_SET = frozenset(SCALAR_TYPES)


def identifier(value: object, what: str = "identifier") -> str:
    """
    A table, column or index name: C{[A-Za-z_][A-Za-z0-9_]{0,62}}.
    """
    if type(value) is str and value in _VALID:
        return value
    if type(value) is not str or _IDENTIFIER.fullmatch(value) is None:
        raise InvalidParams(
            f"invalid {what} {quoted(value)}: must match [A-Za-z_][A-Za-z0-9_]{{0,62}}",
            {"identifier": shown(value)},
        )
    if len(_VALID) < 10000:
        _VALID.add(value)
    return value


def identifiers(value: object, what: str, *, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise InvalidParams(f"{what} must be a non-empty array of names")
    names = [identifier(v, what) for v in value]
    if len(set(names)) != len(names):
        raise InvalidParams(f"{what} names a column twice: {quoted(names)}")
    return names


def scalar(value: object, what: str) -> Scalar:
    """
    A value a column can hold directly (maps and arrays only go to C{json}
    columns, see L{row}).
    """
    if not isinstance(value, SCALAR_TYPES):
        raise InvalidParams(f"{what}: {type(value).__name__} is not a column value")
    if type(value) is str and "\x00" in value:
        _nul(what)
    return value


def _nul(what: str) -> None:
    # PostgreSQL cannot store U+0000 in text; no backend takes it.
    column = what.rsplit(".", 1)[-1]
    raise InvalidParams(f"{what}: text may not contain U+0000", {"column": column})


def _has_nul(values: Iterable[object]) -> bool:
    return any(type(v) is str and "\x00" in v for v in values)


_JSON_LEAVES = frozenset({type(None), bool, int, float, str})


def _json_able(value: object, what: str, depth: int = 1) -> None:
    if depth > MAX_NESTING:
        raise InvalidParams(
            f"{what}: JSON values nest at most {MAX_NESTING} arrays and maps deep",
            {"max_nesting": MAX_NESTING},
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidParams(f"{what}: JSON object keys must be text")
            if "\x00" in key:
                _nul(what)
            if type(item) not in _JSON_LEAVES or type(item) is str:
                _json_able(item, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if type(item) not in _JSON_LEAVES or type(item) is str:
                _json_able(item, what, depth + 1)
    elif type(value) is str:
        if "\x00" in value:
            _nul(what)
    elif not isinstance(value, (type(None), bool, int, float)):
        raise InvalidParams(f"{what}: {type(value).__name__} cannot be stored as JSON")


def cell(value: object, what: str) -> Value:
    """
    A value of a row map: a scalar, or a map/array for a C{json} column.
    """
    if isinstance(value, (dict, list)):
        _json_able(value, what)
        return value
    return scalar(value, what)


def row(value: object, what: str = "data") -> Row:
    """
    A non-empty map of column name to value.
    """
    if (
        type(value) is dict
        and value
        and _VALID.issuperset(value)
        and _SCALAR_TYPE_SET.issuperset(map(type, value.values()))
        and not _has_nul(value.values())
    ):
        return value  # names seen before, plain values: no loop in Python
    if not isinstance(value, dict) or not value:
        raise InvalidParams(f"{what} must be a non-empty map of column to value")
    for key in value:
        if key not in _VALID or type(key) is not str:
            identifier(key, "column")
    return _cells(value, what)


def new_row(value: object, what: str = "data") -> Row:
    """
    A row to insert: a map of column name to value; an empty map is a row
    of defaults.
    """
    if type(value) is dict and not value:
        return value
    return row(value, what)


def _cells(value: Row, what: str) -> Row:
    for key, item in value.items():
        if type(item) not in _SCALAR_TYPE_SET or (
            type(item) is str and "\x00" in item
        ):  # the usual case needs no call
            cell(item, f"{what}.{key}")
    return value


def rows(value: object, what: str = "rows") -> list[Row]:
    """
    An array of row maps that all name the same columns.
    """
    if not isinstance(value, list):
        raise InvalidParams(f"{what} must be an array")
    keys = None
    for i, item in enumerate(value):
        try:
            if keys is not None and type(item) is dict and item.keys() == keys:
                _cells(item, "row")  # names checked in the first row
                continue
            new_row(item, "row")
        except InvalidParams as e:
            details = {**(e.details or {}), "index": i}
            raise InvalidParams(f"{what}[{i}]: {e.message}", details) from None
        if keys is None:
            keys = item.keys()
        elif item.keys() != keys:
            raise InvalidParams(
                f"{what}[{i}] has other columns than {what}[0]", {"index": i}
            )
    return value


def boolean(value: object, what: str) -> bool:
    if type(value) is not bool:
        raise InvalidParams(f"{what} must be a boolean")
    return value


#: The largest count (C{limit}, C{offset}) a backend takes: a signed 64-bit
#: integer.
MAX_COUNT = 2**63 - 1


def count(value: object, what: str, *, minimum: int = 0) -> int:
    if type(value) is not int or not minimum <= value <= MAX_COUNT:
        raise InvalidParams(
            f"{what} must be an integer >= {minimum} and <= {MAX_COUNT}"
        )
    return value


def text(value: object, what: str) -> str:
    if type(value) is not str or not value:
        raise InvalidParams(f"{what} must be non-empty text")
    return value


def array(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidParams(f"{what} must be an array")
    return value
