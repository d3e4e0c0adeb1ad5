"""
Values on the wire (PROTOCOL.md section 4, "Values on the wire"): every
portable column type round trips through the real server unchanged, and is
stored the way a plain sqlite3 connection expects.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.live import error_of, query, running_driver

VALUES: dict[str, Any] = {
    "name": "v",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "i", "type": "integer"},
        {"name": "big", "type": "bigint"},
        {"name": "r", "type": "real"},
        {"name": "t", "type": "text"},
        {"name": "bl", "type": "blob"},
        {"name": "flag", "type": "boolean"},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
    ],
}
COLUMNS = [c["name"] for c in VALUES["columns"]]
TEXT = "héllo ✓ 日本語 🎉 'quoted' \"double\" \\ back\nline"
BLOB = bytes(range(256)) + b"\x00tail"
ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "i": -(2**63),
        "big": 2**62,
        "r": 3.25,
        "t": TEXT,
        "bl": BLOB,
        "flag": True,
        "at": "2026-11-27T02:19:20.123456+00:00",
        "doc": {"a": [1, 2.5, "x", None, True], "ü": {"nested": {}}},
    },
    {
        "id": 2,
        "i": 2**63 - 1,
        "big": -(2**62),
        "r": -0.5,
        "t": "",
        "bl": b"",
        "flag": False,
        "at": "1999-12-31T23:59:59-05:00",
        "doc": [1, "two", [3], {"four": 4}],
    },
    {"id": 3, "i": 0, "big": 0, "r": 0.0, "t": "0", "bl": b"0", "flag": False}
    | {"at": None, "doc": "just text"},
    {"id": 4, "doc": 42},
    {"id": 5, "doc": 2.5},
    {"id": 6, "doc": False},
    {"id": 7, "doc": []},
]


def _full(row: dict[str, Any]) -> dict[str, Any]:
    return {c: row.get(c) for c in COLUMNS}


@pytest_twisted.async_yield_fixture()
async def client(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(VALUES)
        yield client


@pytest_twisted.ensureDeferred
async def test_round_trip(client: DriverClient) -> None:
    for row in ROWS:
        assert await client.insert("v", row) == row["id"]
    got = await client.select("v", order_by=["id"])
    assert got == [_full(r) for r in ROWS]
    for row in got[:3]:
        assert type(row["i"]) is int
        assert type(row["r"]) is float
        assert type(row["flag"]) is bool
    assert got[0]["flag"] is True
    assert got[1]["flag"] is False


@pytest_twisted.ensureDeferred
async def test_nulls(client: DriverClient, tmp_path: Path) -> None:
    row = {c: None for c in COLUMNS} | {"id": 1}
    assert await client.insert("v", row) == 1
    assert await client.select("v") == [row]
    stored = query(tmp_path, "SELECT * FROM v")
    assert stored == [(1, *[None] * (len(COLUMNS) - 1))]
    assert await client.count("v", {"doc": None, "flag": None, "bl": None}) == 1


@pytest_twisted.ensureDeferred
async def test_storage_as_sqlite_sees_it(client: DriverClient, tmp_path: Path) -> None:
    await client.insert_many("v", [_full(r) for r in ROWS[:2]])
    stored = query(
        tmp_path,
        "SELECT big, typeof(r), t, bl, flag, typeof(flag), at, doc, typeof(doc) "
        "FROM v ORDER BY id",
    )
    assert stored[0] == (
        2**62,
        "real",
        TEXT,
        BLOB,
        1,
        "integer",
        "2026-11-27T02:19:20.123456+00:00",
        '{"a":[1,2.5,"x",null,true],"ü":{"nested":{}}}',
        "text",
    )
    assert stored[1][4] == 0
    assert stored[1][7] == '[1,"two",[3],{"four":4}]'


@pytest_twisted.ensureDeferred
async def test_datetime_sent_by_the_client(
    client: DriverClient, tmp_path: Path
) -> None:
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    sent = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=plus2)
    utc = datetime.datetime(2026, 1, 2, 1, 4, 5, tzinfo=datetime.UTC)
    await client.insert("v", {"id": 1, "at": sent})
    await client.insert("v", {"id": 2, "at": utc})
    got = await client.select("v", columns=["at"], order_by=["id"])
    assert got == [
        {"at": "2026-01-02T03:04:05.678901+02:00"},
        {"at": "2026-01-02T01:04:05+00:00"},
    ]
    assert query(tmp_path, "SELECT at FROM v WHERE id = 1") == [
        ("2026-01-02T03:04:05.678901+02:00",)
    ]
    # a datetime in a where clause compares as the same text
    assert await client.count("v", {"at": sent}) == 1
    assert await client.update("v", {"id": 2}, {"at": sent}) == 1
    assert await client.count("v", {"at": "2026-01-02T03:04:05.678901+02:00"}) == 2


@pytest_twisted.ensureDeferred
async def test_json_values(client: DriverClient) -> None:
    docs = [{"k": "v"}, [1, [2]], "text", 7, -1.5, True, {"big": 2**70}]
    for n, doc in enumerate(docs, 1):
        await client.insert("v", {"id": n, "doc": doc})
    got = await client.select("v", columns=["doc"], order_by=["id"])
    assert got == [{"doc": d} for d in docs]
    assert type(got[5]["doc"]) is bool
    await client.update("v", {"id": 1}, {"doc": {"k": ["changed"]}})
    assert await client.select("v", {"id": 1}, columns=["doc"]) == [
        {"doc": {"k": ["changed"]}}
    ]


@pytest_twisted.ensureDeferred
async def test_returning_and_execute_decode_types(client: DriverClient) -> None:
    row = _full(ROWS[0])
    returned = await client.insert("v", row, returning=COLUMNS)
    assert returned == row
    assert returned["flag"] is True
    many = await client.insert_many(
        "v", [_full(ROWS[1])], returning=["id", "flag", "doc"]
    )
    assert many == [{"id": 2, "flag": False, "doc": ROWS[1]["doc"]}]
    assert many[0]["flag"] is False
    result = await client.execute("SELECT flag, doc, bl FROM v ORDER BY id")
    assert result["rows"] == [[True, row["doc"], BLOB], [False, ROWS[1]["doc"], b""]]
    assert result["rows"][1][0] is False


@pytest_twisted.ensureDeferred
async def test_where_on_typed_values(client: DriverClient) -> None:
    await client.insert_many("v", [_full(r) for r in ROWS[:3]])
    assert await client.count("v", {"flag": True}) == 1
    assert await client.count("v", {"flag": False}) == 2
    assert await client.count("v", {"bl": BLOB}) == 1
    assert await client.count("v", {"t": TEXT}) == 1
    assert await client.count("v", {"big": 2**62}) == 1
    assert await client.count("v", {"r": {">": -1.0, "<": 1.0}}) == 2
    assert await client.count("v", {"big": {"between": [-(2**62), 0]}}) == 2


@pytest_twisted.ensureDeferred
async def test_integers_beyond_64_bits(client: DriverClient, tmp_path: Path) -> None:
    for value in (2**63, -(2**63) - 1, 2**100):
        error = await error_of(client.insert("v", {"id": 1, "i": value}))
        assert error.code == "invalid_params", value
        error = await error_of(client.insert("v", {"id": 1, "big": value}))
        assert error.code == "invalid_params", value
    await client.insert("v", {"id": 1, "i": 5})
    for call in (
        client.update("v", {"id": 1}, {"i": 2**64}),
        client.select("v", {"i": 2**64}),
        client.execute("SELECT ?", [2**64]),
        client.insert_many("v", [{"id": 2, "i": 1}, {"id": 3, "i": 2**64}]),
    ):
        error = await error_of(call)
        assert error.code == "invalid_params"
    assert query(tmp_path, "SELECT id, i FROM v") == [(1, 5)]


@pytest_twisted.ensureDeferred
async def test_non_finite_floats(client: DriverClient, tmp_path: Path) -> None:
    await client.insert_many("v", [{"id": 1, "r": math.inf}, {"id": 2, "r": -math.inf}])
    assert await client.select("v", columns=["r"], order_by=["id"]) == [
        {"r": math.inf},
        {"r": -math.inf},
    ]
    # SQLite cannot hold NaN (it would store NULL), JSON has no NaN nor infinity
    for call in (
        client.insert("v", {"id": 3, "r": math.nan}),
        client.update("v", {"id": 1}, {"r": math.nan}),
        client.insert("v", {"id": 3, "doc": math.nan}),
        client.insert("v", {"id": 3, "doc": {"a": [math.inf]}}),
        client.insert_many("v", [{"id": 3, "doc": 1}, {"id": 4, "doc": -math.inf}]),
        client.update("v", {"id": 1}, {"doc": [math.nan]}),
        client.execute("SELECT ?", [math.nan]),
        client.execute("SELECT ?", [{"a": math.inf}]),
    ):
        error = await error_of(call)
        assert error.code == "invalid_params"
    assert query(tmp_path, "SELECT id, doc FROM v ORDER BY id") == [
        (1, None),
        (2, None),
    ]
