"""
Values on the wire (PROTOCOL.md section 4) are the same on every backend:
each portable type round trips with its CBOR type, NULLs everywhere; both
integer types are 64-bit.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import VALUE_COLUMNS, VALUES, error_of, full

TEXT = "héllo ✓ 日本語 🎉 'quoted' \"double\" \\ back\nline\ttab %s ? $1"
BLOB = bytes(range(256)) + b"\x00tail"
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
MINUS5 = datetime.timezone(datetime.timedelta(hours=-5))
ROWS: list[dict[str, Any]] = [
    {
        "i": -(2**63),
        "big": 2**62,
        "r": 3.25,
        "t": TEXT,
        "bl": BLOB,
        "flag": True,
        "doc": {"a": [1, 2.5, "x", None, True], "ü": {"nested": {}}},
    },
    {
        "i": 2**63 - 1,
        "big": -(2**63),
        "r": -1e300,
        "t": "",
        "bl": b"",
        "flag": False,
        "doc": [1, "two", [3], {"four": 4}],
    },
    {"i": 0, "big": 2**63 - 1, "r": 0.1, "t": "0", "bl": b"0", "flag": False},
    {"doc": "just text"},
    {"doc": 42},
    {"doc": -2.5},
    {"doc": False},
    {"doc": []},
    {"doc": {"big": 2**62}},
]


@pytest_twisted.async_fixture()
async def values(client: DriverClient) -> DriverClient:
    await client.create_table(VALUES)
    return client


@pytest_twisted.ensureDeferred
async def test_round_trip(values: DriverClient) -> None:
    ids = [await values.insert("v", row) for row in ROWS]
    got = await values.select("v", order_by=["id"])
    assert got == [full(r) | {"id": i} for r, i in zip(ROWS, ids, strict=True)]
    for row in got[:3]:
        assert type(row["i"]) is int
        assert type(row["big"]) is int
        assert type(row["r"]) is float
        assert type(row["flag"]) is bool
        assert type(row["bl"]) is bytes
    assert type(got[6]["doc"]) is bool
    assert type(got[4]["doc"]) is int
    assert type(got[3]["doc"]) is str


@pytest_twisted.ensureDeferred
async def test_nulls(values: DriverClient) -> None:
    row = {c: None for c in VALUE_COLUMNS if c != "id"}
    key = await values.insert("v", row)
    assert await values.select("v") == [row | {"id": key}]
    assert await values.count("v", {"doc": None, "flag": None, "bl": None}) == 1
    assert await values.count("v", {"t": {"!=": None}}) == 0
    result = await values.execute("SELECT t, bl, doc FROM v")
    assert result["rows"] == [[None, None, None]]


@pytest_twisted.ensureDeferred
async def test_timestamps(values: DriverClient) -> None:
    sent: list[datetime.datetime | str] = [
        datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=PLUS2),
        datetime.datetime(2026, 1, 2, 1, 4, 5, tzinfo=datetime.UTC),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 5, tzinfo=MINUS5),
        "2026-11-27T02:19:20.123456+00:00",
    ]
    ids = [await values.insert("v", {"at": at}) for at in sent]
    got = await values.select("v", columns=["id", "at"], order_by=["id"])
    assert [r["id"] for r in got] == ids
    for row, at in zip(got, sent, strict=True):
        assert isinstance(row["at"], str)  # ISO 8601 text, with its offset
        back = datetime.datetime.fromisoformat(row["at"])
        assert back.tzinfo is not None, row["at"]
        if isinstance(at, str):
            at = datetime.datetime.fromisoformat(at)
        expected = at
        assert back == expected  # the same instant, to the microsecond
    # a datetime in a where clause finds the row written with it
    assert await values.count("v", {"at": sent[0]}) == 1
    assert await values.update("v", {"id": ids[1]}, {"at": sent[0]}) == 1
    assert await values.count("v", {"at": sent[0]}) == 2
    returned = await values.insert("v", {"at": sent[1]}, returning=["at"])
    assert datetime.datetime.fromisoformat(returned["at"]) == sent[1]


@pytest_twisted.ensureDeferred
async def test_json_values(values: DriverClient) -> None:
    docs = [{"k": "v"}, [1, [2]], "text", 7, -1.5, True, {"ü": ["✓", None]}]
    ids = [await values.insert("v", {"doc": doc}) for doc in docs]
    got = await values.select("v", columns=["doc"], order_by=["id"])
    assert got == [{"doc": d} for d in docs]
    assert type(got[5]["doc"]) is bool
    await values.update("v", {"id": ids[0]}, {"doc": {"k": ["changed"]}})
    assert await values.select("v", {"id": ids[0]}, columns=["doc"]) == [
        {"doc": {"k": ["changed"]}}
    ]
    returned = await values.insert("v", {"doc": {"r": 1}}, returning=["doc"])
    assert returned == {"doc": {"r": 1}}


@pytest_twisted.ensureDeferred
async def test_where_on_typed_values(values: DriverClient) -> None:
    await values.insert_many("v", [full(r) for r in ROWS[:3]][:3])
    assert await values.count("v", {"flag": True}) == 1
    assert await values.count("v", {"flag": False}) == 2
    assert await values.count("v", {"bl": BLOB}) == 1
    assert await values.count("v", {"t": TEXT}) == 1
    assert await values.count("v", {"big": 2**62}) == 1
    assert await values.count("v", {"big": {">": 2**62}}) == 1
    assert await values.count("v", {"r": {">": -1.0, "<": 1.0}}) == 1
    assert await values.count("v", {"i": {"between": [-(2**63), 0]}}) == 2


@pytest_twisted.ensureDeferred
async def test_text_compares_exactly(values: DriverClient) -> None:
    await values.insert_many("v", [{"t": t} for t in ("abc", "Abc", "ABC", "abc ")])
    assert await values.count("v", {"t": "abc"}) == 1
    assert await values.count("v", {"t": {"in": ["Abc", "x"]}}) == 1
    assert await values.count("v", {"t": "abc "}) == 1
    assert await values.count("v", {"t": {"like": "ab%"}}) >= 1


@pytest_twisted.ensureDeferred
async def test_floats(values: DriverClient) -> None:
    floats = [0.1, 1 / 3, -2.5e-10, 1e300, 123456789.125, -0.0, 2.0**53]
    ids = [await values.insert("v", {"r": f}) for f in floats]
    got = await values.select("v", columns=["r"], order_by=["id"])
    assert [r["r"] for r in got] == floats
    assert all(type(r["r"]) is float for r in got)
    assert await values.count("v", {"r": 1 / 3}) == 1
    assert len(ids) == len(floats)


@pytest_twisted.ensureDeferred
async def test_integers_out_of_range(values: DriverClient) -> None:
    for value in (2**63, -(2**63) - 1, 2**100):
        for column in ("i", "big"):
            error = await error_of(values.insert("v", {column: value}))
            assert error.code == "invalid_params", (column, value)
        error = await error_of(values.count("v", {"big": value}))
        assert error.code == "invalid_params", value
    await values.insert("v", {"big": 2**63 - 1, "i": -(2**63)})
    assert await values.count("v") == 1
