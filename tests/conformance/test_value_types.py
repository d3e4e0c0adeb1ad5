"""
PROTOCOL.md section 2's value table, enforced alike on every backend: a
value that does not fit its column's portable type (an int into a text
column, text into an integer one, 0/1 into a boolean, ...) is
C{invalid_params} naming the column, for every way of writing a row
(insert, insert_many, update, upsert), and nothing is written; what does
fit comes back as written.  And what a C{real} column makes of C{-0.0}.
"""

from __future__ import annotations

import datetime
import math

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import error_of

#: A column of each portable type (but uuid, checked on its own).
TYPES = {"i": "integer", "b": "bigint", "r": "real", "t": "text", "bl": "blob"}
TYPES |= {"f": "boolean", "ts": "timestamp", "j": "json"}
T = {
    "name": "v",
    "columns": [{"name": "id", "type": "integer", "primary_key": True}]
    + [{"name": name, "type": kind} for name, kind in TYPES.items()],
}

MISFITS = [
    ("t", 12),
    ("t", -0.0),
    ("t", True),
    ("t", b"x"),
    ("t", [1]),
    ("i", "12"),
    ("i", 1.0),
    ("i", True),
    ("b", "1"),
    ("r", "1.5"),
    ("r", False),
    ("f", 1),
    ("f", 0),
    ("f", "true"),
    ("bl", "text"),
    ("ts", 12),
    ("ts", 1.5),
]


@pytest_twisted.ensureDeferred
async def test_a_value_of_another_type_is_refused_naming_its_column(
    client: DriverClient,
) -> None:
    await client.create_table(T)
    await client.insert("v", {"id": 1, "t": "kept", "i": 1})
    for column, value in MISFITS:
        writes = {
            "insert": client.insert("v", {"id": 2, column: value}),
            "insert_many": client.insert_many(
                "v", [{"id": 3, column: None}, {"id": 4, column: value}]
            ),
            "many": client.insert_many(
                "v", [{"id": 10 + n, column: value} for n in range(10)]
            ),
            "update": client.update("v", {"id": 1}, {column: value}),
            "upsert": client.insert(
                "v",
                {"id": 1, column: value},
                on_conflict={"target": ["id"], "update": [column]},
            ),
        }
        for how, call in writes.items():
            error = await error_of(call)
            assert error.code == "invalid_params", (column, value, how, error)
            assert error.details["column"] == column, (how, error.details)
            assert column in error.message
    assert await client.select("v", columns=["id", "t", "i"]) == [
        {"id": 1, "t": "kept", "i": 1}
    ]


@pytest_twisted.ensureDeferred
async def test_values_that_fit_come_back_as_written(client: DriverClient) -> None:
    await client.create_table(T)
    when = datetime.datetime(2026, 12, 2, 4, 30, tzinfo=datetime.UTC)
    rows = [
        {"id": 1, "i": 12, "b": 2**40, "r": 3, "t": "12", "bl": b"\x00"},
        {"id": 2, "f": True, "ts": when, "j": 12},
        {"id": 3, "f": False, "ts": "2026-12-02T04:30:00+00:00", "j": "12"},
        {"id": 4, "r": 1.5, "j": [1, {"a": None}], "t": ""},
    ]
    names = ["id", *TYPES]
    await client.insert_many("v", [{n: row.get(n) for n in names} for row in rows])
    found = {r["id"]: r for r in await client.select("v", order_by=["id"])}
    assert found[1]["i"] == 12 and found[1]["b"] == 2**40
    assert found[1]["r"] == 3.0 and isinstance(found[1]["r"], float)
    assert found[1]["t"] == "12" and found[1]["bl"] == b"\x00"
    assert found[2]["f"] is True and found[3]["f"] is False
    assert found[2]["ts"] == found[3]["ts"] == "2026-12-02T04:30:00+00:00"
    assert found[2]["j"] == 12 and found[3]["j"] == "12"
    assert found[4]["j"] == [1, {"a": None}] and found[4]["t"] == ""
    for row in rows:
        for column in set(row) - {"id"}:
            assert found[row["id"]][column] is not None
    assert await client.update("v", {"id": 4}, {"r": 2, "t": None}) == 1
    assert (await client.select("v", {"id": 4}))[0]["r"] == 2.0


@pytest.mark.parametrize("how", ["insert", "update"])
@pytest_twisted.ensureDeferred
async def test_negative_zero_in_a_real_column(
    client: DriverClient, backend: str, how: str
) -> None:
    """
    PostgreSQL keeps the sign of -0.0; SQLite (a REAL column stores an
    integral value as an integer) and MariaDB (its DOUBLE has no -0) return
    0.0: equal, but without the sign.  Documented in docs/schema.md.
    """
    await client.create_table(T)
    if how == "insert":
        await client.insert("v", {"id": 1, "r": -0.0})
    else:
        await client.insert("v", {"id": 1, "r": 1.0})
        await client.update("v", {"id": 1}, {"r": -0.0})
    (row,) = await client.select("v", columns=["r"])
    assert row["r"] == 0.0 and isinstance(row["r"], float)
    signed = backend == "postgresql"
    assert math.copysign(1.0, row["r"]) == (-1.0 if signed else 1.0)
    assert await client.count("v", {"r": 0.0}) == 1
