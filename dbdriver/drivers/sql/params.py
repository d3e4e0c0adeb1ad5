"""
The bound parameters of rows, the hot path of bulk inserts: values that
every backend binds as they are skip the dialect's C{adapt}.  A batch whose
columns hold only such values (checked a column at a time, in C) becomes
its parameter tuples in one C{itemgetter} pass.

Every row a request writes (insert, insert_many, update, upsert) comes
through here, on every backend: first each value is checked against its
column's portable type (L{FITS}, PROTOCOL.md section 2's table), so that a
value of another type is C{invalid_params} naming the column, never
converted (SQLite would keep C{12} as C{'12'} in a text column, a server
would cast it or refuse it with its own error).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.inputs import quoted

__all__ = ["AS_IS", "FITS", "check_types", "row_groups", "rows_params"]

#: The most parameters one statement binds (SQLite's limit before 3.32).
MAX_PARAMS = 999
#: The most rows one multi-row statement writes.
MAX_ROWS = 256

#: Value types every backend binds as they are (see L{Dialect.adapt}).
AS_IS = frozenset({int, str, bytes, type(None)})
#: The same with floats, which every dialect passes on when finite.
_PLAIN = AS_IS | {float}

_NULL: frozenset[type] = frozenset({type(None)})
#: The wire types each portable column type takes (null always; a bool is
#: not an int here, nor an int a bool).  Types not listed (C{json}, which
#: takes any value; C{uuid}, checked by the dialect; a backend's own) are
#: not checked.
FITS: dict[str, frozenset[type]] = {
    "integer": _NULL | {int},
    "bigint": _NULL | {int},
    "real": _NULL | {float, int},
    "text": _NULL | {str},
    "blob": _NULL | {bytes},
    "boolean": _NULL | {bool},
    "timestamp": _NULL | {str, datetime.datetime},
}
_WIRE_NAMES = {
    int: "an integer",
    float: "a float",
    str: "text",
    bytes: "bytes",
    bool: "a boolean",
    datetime.datetime: "a datetime",
    list: "an array",
    dict: "a map",
}


def check_types(
    types: Mapping[str, str],
    columns: Sequence[str],
    rows: Sequence[Mapping[str, object]],
) -> None:
    """
    Refuse a value that does not fit its column's portable type.

    @raise InvalidParams: naming the first such column (C{details.column}).
    """
    for column in columns:
        kind = types.get(column)
        fits = FITS.get(kind) if kind is not None else None
        if fits is None:
            continue
        seen = set(map(type, map(itemgetter(column), rows)))
        if seen <= fits:
            continue
        wrong = next(t for t in seen if t not in fits)
        value = next(r[column] for r in rows if type(r[column]) is wrong)
        raise InvalidParams(
            f"column {column} is {kind}: {_WIRE_NAMES.get(wrong, wrong.__name__)} "
            f"({quoted(value, 60)}) does not fit it",
            {"column": column, "type": kind},
        )


def rows_params(
    dialect: Dialect,
    types: dict[str, str],
    columns: Sequence[str],
    rows: Sequence[Mapping[str, object]],
) -> list[Sequence[object]]:
    """
    The parameters of C{rows} for C{columns}, adapted where a column's type
    or a value's type needs it, once every value is known to fit its column
    (L{check_types}).
    """
    check_types(types, columns, rows)
    plain = _plain(dialect, types, columns, rows)
    if plain is not None:
        return plain
    adapt = dialect.adapt
    kinds = [types[c] for c in columns]
    direct = [k not in dialect.adapted_types for k in kinds]
    pairs = list(zip(columns, kinds, direct, strict=True))
    return [
        [
            v if ok and type(v) in AS_IS else adapt(v, kind)
            for c, kind, ok in pairs
            for v in (row[c],)
        ]
        for row in rows
    ]


def _plain(
    dialect: Dialect,
    types: dict[str, str],
    columns: Sequence[str],
    rows: Sequence[Mapping[str, object]],
) -> list[Sequence[object]] | None:
    """
    The rows' values as they are, or C{None} when one needs adapting (a
    column type that always does, a value of another type, a float that is
    not finite).
    """
    if len(rows) < 8 or any(types[c] in dialect.adapted_types for c in columns):
        return None  # a few rows: the general path is as quick
    for column in columns:
        values = list(map(itemgetter(column), rows))
        seen = set(map(type, values))
        if seen <= AS_IS:
            continue
        if not seen <= _PLAIN or not _finite(values):
            return None
    if len(columns) == 1:
        (column,) = columns
        return [(row[column],) for row in rows]
    return list(map(itemgetter(*columns), rows))


def _finite(values: Iterable[object]) -> bool:
    return all(map(math.isfinite, [v for v in values if type(v) is float]))


def row_groups(count: int, width: int) -> list[int]:
    """
    The row counts of the multi-row statements that write C{count} rows of
    C{width} values: the largest power of two within the limits as often as
    it fits, then the powers of two of the rest, so that few distinct
    statements (each prepared once, then cached) serve every batch size.
    """
    fits = max(1, min(MAX_ROWS, MAX_PARAMS // max(1, width)))
    biggest = 1 << (fits.bit_length() - 1)
    groups = [biggest] * (count // biggest)
    rest = count % biggest
    while rest:
        size = 1 << (rest.bit_length() - 1)
        groups.append(size)
        rest -= size
    return groups
