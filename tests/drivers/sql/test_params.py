"""
The bound parameters of rows (L{dbdriver.drivers.sql.params}): the one-pass
path for plain batches must give exactly what adapting every value gives,
on every dialect, and leave whatever needs adapting (or refusing) to it.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest

from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.postgresql.dialect import PostgreSQLDialect
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.params import AS_IS, check_types, row_groups, rows_params
from dbdriver.exceptions import InvalidParams

DIALECTS = [Dialect(), PostgreSQLDialect(), MySQLDialect()]
TYPES = {"i": "integer", "t": "text", "r": "real", "b": "blob", "j": "json"}
TYPES |= {"ts": "timestamp", "f": "boolean", "x": "numeric"}
WHEN = datetime.datetime(2026, 11, 27, 6, 0, tzinfo=datetime.UTC)


def _adapted(dialect: Dialect, columns: list[str], rows: list[dict[str, Any]]) -> Any:
    """
    Every value through the dialect's C{adapt}, but those of the types
    bound as they are (L{AS_IS}) in columns whose type needs no adapting.
    """
    return [
        [
            r[c]
            if type(r[c]) in AS_IS and TYPES[c] not in dialect.adapted_types
            else dialect.adapt(r[c], TYPES[c])
            for c in columns
        ]
        for r in rows
    ]


def _rows(count: int, **overrides: Any) -> list[dict[str, Any]]:
    rows = [
        {"i": n, "t": f"row {n}", "r": n / 3 if n % 3 else None, "b": b"\x00" * n}
        for n in range(count)
    ]
    for key, value in overrides.items():
        rows[-1][key] = value
    return rows


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize(
    "columns, rows",
    [
        (["i", "t", "r", "b"], _rows(50)),  # plain: one pass
        (["t"], _rows(20)),  # one column
        (["i", "t", "r", "b"], _rows(3)),  # few rows: the general path
        (["i", "r"], _rows(20, r=math.inf)),  # a float that is not finite
        # a value that needs adapting
        (["i", "ts"], [{"i": n, "ts": WHEN if n == 19 else None} for n in range(20)]),
        (["i", "j"], [{"i": n, "j": [n, {"k": None}]} for n in range(20)]),
        (["i", "r"], _rows(20, r=2**70)),  # an int kept as it is
    ],
    ids=["plain", "one-column", "few", "inf", "datetime", "json", "big-int"],
)
def test_the_same_parameters_as_adapting_each_value(
    dialect: Dialect, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    try:
        expected = _adapted(dialect, columns, rows)
    except InvalidParams:
        with pytest.raises(InvalidParams):
            rows_params(dialect, TYPES, columns, rows)
        return
    assert [list(p) for p in rows_params(dialect, TYPES, columns, rows)] == expected


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_nan_is_refused_at_any_place(dialect: Dialect) -> None:
    for position in (0, 7, 19):
        rows = _rows(20)
        rows[position]["r"] = math.nan
        with pytest.raises(InvalidParams):
            rows_params(dialect, TYPES, ["i", "r"], rows)


@pytest.mark.parametrize(
    "count, width, groups",
    [
        (0, 4, []),
        (1, 4, [1]),
        (5, 4, [4, 1]),
        (1000, 4, [128] * 7 + [64, 32, 8]),
        (1000, 9, [64] * 15 + [32, 8]),
        (300, 1, [256, 32, 8, 4]),
        (3, 2000, [1, 1, 1]),
    ],
)
def test_row_groups(count: int, width: int, groups: list[int]) -> None:
    assert row_groups(count, width) == groups
    assert sum(groups) == count
    assert all(size * width <= 999 for size in groups) or groups == [1] * count


@pytest.mark.parametrize(
    ("column", "value"),
    [("t", WHEN), ("t", 1), ("i", True), ("f", 0), ("b", "x"), ("ts", 1.5)],
)
def test_a_value_that_does_not_fit_its_column(column: str, value: Any) -> None:
    rows = [{column: None}] * 20 + [{column: value}]
    with pytest.raises(InvalidParams) as caught:
        check_types(TYPES, [column], rows)
    assert caught.value.details == {"column": column, "type": TYPES[column]}
    for dialect in DIALECTS:  # and so, whatever the path
        with pytest.raises(InvalidParams):
            rows_params(dialect, TYPES, [column], rows)


def test_what_fits() -> None:
    row = {"i": 1, "r": 2, "t": "", "b": b"", "f": False, "ts": WHEN, "j": b"?"}
    check_types(TYPES, [*row, "x"], [row | {"x": "a backend's own type"}])
    check_types(TYPES, ["r", "ts"], [{"r": 1.5, "ts": "2026-11-27T06:00:00Z"}])
    long = "y" * 500
    with pytest.raises(InvalidParams) as caught:
        check_types(TYPES, ["i"], [{"i": long}])
    assert len(caught.value.message) < 120
