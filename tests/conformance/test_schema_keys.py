"""
Every key of the table schema (PROTOCOL.md section 4, "Table schema") on
every backend: created, described back by C{describe_table} (the same
schema, see L{same_schema}), and enforced the same way: C{uuid} values,
C{max_length}, C{"now"} and C{"uuid"} defaults, literal defaults of the
wrong type, C{{"sql": ...}} defaults under C{--no-raw-sql}, column and
table checks, composite primary and foreign keys, partial unique indexes,
and the U+0000 rule.
"""

from __future__ import annotations

import datetime
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.appschema import same_schema
from tests.support.backends import Database
from tests.support.data import error_of
from tests.support.live import driver_on

UUID4 = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def _id() -> dict[str, Any]:
    return {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True}


async def _created(client: DriverClient, schema: dict[str, Any]) -> None:
    """Create C{schema} and check that C{describe_table} gives it back."""
    assert await client.create_table(schema) is True
    assert same_schema(await client.describe_table(schema["name"]), schema)


async def _code(call: Any) -> str:
    return (await error_of(call)).code


@pytest_twisted.ensureDeferred
async def test_uuid_column(client: DriverClient) -> None:
    schema = {
        "name": "things",
        "columns": [
            {"name": "id", "type": "uuid", "primary_key": True,
             "default": {"function": "uuid"}},
            {"name": "other", "type": "uuid"},
        ],
    }  # fmt: skip
    await _created(client, schema)
    first = await client.insert("things", {}, returning=["id"])
    second = await client.insert("things", {}, returning=["id"])
    assert UUID4.match(first["id"]) and UUID4.match(second["id"])
    assert first["id"] != second["id"]
    value = str(uuid.uuid4())
    await client.insert("things", {"id": value, "other": first["id"]})
    assert await client.select("things", {"id": value}) == [
        {"id": value, "other": first["id"]}
    ]
    for bad in ("not-a-uuid", value.upper(), value.replace("-", ""), "", 5):
        assert await _code(client.insert("things", {"other": bad})) == "invalid_params"
        update = client.update("things", {"id": value}, {"other": bad})
        assert await _code(update) == "invalid_params"
    assert await client.count("things") == 3


@pytest_twisted.ensureDeferred
async def test_max_length(client: DriverClient) -> None:
    schema = {
        "name": "names",
        "columns": [_id(), {"name": "code", "type": "text", "max_length": 5}],
    }
    await _created(client, schema)
    await client.insert_many("names", [{"code": "abcde"}, {"code": "ééééé"}])
    assert await _code(client.insert("names", {"code": "abcdef"})) == (
        "constraint_violation"
    )
    update = client.update("names", {"code": "abcde"}, {"code": "abcdefgh"})
    assert await _code(update) == "constraint_violation"
    rows = await client.select("names", columns=["code"], order_by=["id"])
    assert rows == [{"code": "abcde"}, {"code": "ééééé"}]


@pytest_twisted.ensureDeferred
async def test_now_defaults(client: DriverClient) -> None:
    now = {"function": "now"}
    schema = {
        "name": "stamps",
        "columns": [
            _id(),
            {"name": "at", "type": "timestamp", "not_null": True, "default": now},
            {"name": "unix", "type": "real", "default": now},
            {"name": "seconds", "type": "integer", "default": now},
            {"name": "big", "type": "bigint", "default": now},
        ],
    }
    await _created(client, schema)
    before = time.time()
    key = await client.insert("stamps", {})
    after = time.time()
    (row,) = await client.select("stamps", {"id": key})
    at = datetime.datetime.fromisoformat(row["at"])
    assert at.utcoffset() is not None, row["at"]
    slack = 5.0  # the database server's clock, the statement's start
    assert before - slack <= at.timestamp() <= after + slack
    assert isinstance(row["unix"], float)
    assert before - slack <= row["unix"] <= after + slack
    for name in ("seconds", "big"):
        assert isinstance(row[name], int) and not isinstance(row[name], bool)
        assert before - slack <= row[name] <= after + slack


@pytest_twisted.ensureDeferred
async def test_uuid_default_on_text(client: DriverClient) -> None:
    schema = {
        "name": "tokens",
        "columns": [_id(), {"name": "token", "type": "text", "not_null": True,
                            "default": {"function": "uuid"}}],
    }  # fmt: skip
    await _created(client, schema)
    await client.insert_many("tokens", [{}, {}])
    await client.insert("tokens", {"token": "mine"})
    tokens = [r["token"] for r in await client.select("tokens", order_by=["id"])]
    assert all(UUID4.match(t) for t in tokens[:2]) and tokens[0] != tokens[1]
    assert tokens[2] == "mine"


WRONG_DEFAULTS = [
    ("integer", "abc"),
    ("integer", 1.5),
    ("bigint", "7"),
    ("real", "julianday('now')"),
    ("real", True),
    ("boolean", 1),
    ("boolean", "true"),
    ("timestamp", "CURRENT_TIMESTAMP"),
    ("text", 5),
    ("uuid", "not-a-uuid"),
    ("integer", {"function": "uuid"}),
    ("boolean", {"function": "now"}),
    ("text", {"function": "tomorrow"}),
]


@pytest.mark.parametrize(("kind", "default"), WRONG_DEFAULTS, ids=repr)
@pytest_twisted.ensureDeferred
async def test_wrong_literal_default_is_invalid_params(
    client: DriverClient, kind: str, default: Any
) -> None:
    schema = {
        "name": "wrong",
        "columns": [_id(), {"name": "c", "type": kind, "default": default}],
    }
    assert await _code(client.create_table(schema)) == "invalid_params"
    assert await client.list_tables() == []


@pytest_twisted.ensureDeferred
async def test_sql_default(
    client: DriverClient, database: Database, tmp_path: Path
) -> None:
    schema = {
        "name": "computed",
        "columns": [
            _id(),
            {"name": "n", "type": "integer", "default": {"sql": "1 + 1"}},
        ],
    }
    assert await client.create_table(schema) is True
    key = await client.insert("computed", {})
    assert await client.select("computed", {"id": key}, columns=["n"]) == [{"n": 2}]
    described = await client.describe_table("computed")
    assert set(described["columns"][1]["default"]) == {"sql"}
    async with driver_on(database, tmp_path / "noraw", no_raw_sql=True) as strict:
        other = await strict.client()
        schema = {**schema, "name": "computed2"}
        assert await _code(other.create_table(schema)) == "forbidden"
        plan = {"tables": [schema]}
        assert await _code(other.sync_schema(plan)) == "forbidden"
    assert await client.list_tables() == ["computed"]


LOCKS = {
    "name": "locks",
    "columns": [
        _id(),
        {"name": "resource", "type": "text", "not_null": True},
        {"name": "lock_mode", "type": "text", "not_null": True,
         "check": {"lock_mode": {"in": ["exclusive", "shared"]}}},
        {"name": "refcount", "type": "integer", "not_null": True, "default": 1,
         "check": {"refcount": {">": 0}}},
    ],
    "checks": [
        {"name": "locks_exclusive_once",
         "where": {"$or": [{"lock_mode": "shared"}, {"refcount": 1}]}},
        {"where": {"resource": {"!=": ""}}},
    ],
}  # fmt: skip


@pytest_twisted.ensureDeferred
async def test_checks(client: DriverClient) -> None:
    await _created(client, LOCKS)
    good = [
        {"resource": "a", "lock_mode": "exclusive", "refcount": 1},
        {"resource": "b", "lock_mode": "shared", "refcount": 3},
    ]  # (insert_many's rows name the same columns, PROTOCOL.md)
    assert await client.insert_many("locks", good) == 2
    bad = [
        {"resource": "c", "lock_mode": "EXCLUSIVE"},
        {"resource": "c", "lock_mode": "shared", "refcount": 0},
        {"resource": "c", "lock_mode": "exclusive", "refcount": 2},
        {"resource": "", "lock_mode": "shared"},
    ]
    for row in bad:
        assert await _code(client.insert("locks", row)) == "constraint_violation", row
    error = await error_of(client.update("locks", {"resource": "a"}, {"refcount": 2}))
    assert error.code == "constraint_violation"
    assert error.details["constraint"] == "locks_exclusive_once"
    assert await _code(
        client.update("locks", {"resource": "b"}, {"refcount": -1})
    ) == "constraint_violation"  # fmt: skip
    pair = [good[0] | {"resource": "d"}, bad[0] | {"refcount": 1}]
    assert await _code(client.insert_many("locks", pair)) == "constraint_violation"
    assert await client.count("locks") == 2


@pytest_twisted.ensureDeferred
async def test_composite_keys(client: DriverClient) -> None:
    parent = {
        "name": "versions",
        "columns": [
            {"name": "file", "type": "text"},
            {"name": "version", "type": "integer"},
            {"name": "sha1", "type": "text", "max_length": 40},
        ],
        "primary_key": ["file", "version"],
    }
    child = {
        "name": "trees",
        "columns": [
            _id(),
            {"name": "file", "type": "text", "not_null": True},
            {"name": "version", "type": "integer", "not_null": True},
        ],
        "foreign_keys": [
            {"columns": ["file", "version"],
             "references": {"table": "versions", "columns": ["file", "version"]},
             "on_delete": "cascade"},
        ],
    }  # fmt: skip
    await _created(client, parent)
    await _created(client, child)
    rows = [{"file": "a.py", "version": 1}, {"file": "a.py", "version": 2},
            {"file": "b.py", "version": 1}]  # fmt: skip
    assert await client.insert_many("versions", rows) == 3
    duplicate = client.insert("versions", {"file": "a.py", "version": 1})
    assert await _code(duplicate) == "constraint_violation"
    assert await client.insert_many("trees", rows + rows[:1]) == 4
    for dangling in ({"file": "a.py", "version": 3}, {"file": "c.py", "version": 1}):
        assert await _code(client.insert("trees", dangling)) == "constraint_violation"
    moved = client.update("trees", {"file": "b.py"}, {"version": 2})
    assert await _code(moved) == "constraint_violation"
    assert await client.delete("versions", {"file": "a.py", "version": 1}) == 1
    assert await client.count("trees") == 2  # cascaded


@pytest_twisted.ensureDeferred
async def test_partial_indexes(client: DriverClient) -> None:
    schema = {
        "name": "entries",
        "columns": [
            _id(),
            {"name": "project", "type": "integer", "not_null": True},
            {"name": "path", "type": "text", "not_null": True},
            {"name": "deleted", "type": "integer", "not_null": True, "default": 0},
            {"name": "vector_id", "type": "integer"},
        ],
        "indexes": [
            {"name": "entries_live", "columns": ["project", "path"], "unique": True,
             "where": {"deleted": 0}},
            {"name": "entries_pending", "columns": ["project"],
             "where": {"vector_id": None}},
        ],
    }  # fmt: skip
    await _created(client, schema)
    gone = {"project": 1, "path": "a", "deleted": 1}
    assert await client.insert_many("entries", [gone, gone]) == 2
    live = await client.insert("entries", {"project": 1, "path": "a"})
    again = client.insert("entries", {"project": 1, "path": "a", "vector_id": 5})
    assert await _code(again) == "constraint_violation"
    revive = client.update("entries", {"deleted": 1}, {"deleted": 0})
    assert await _code(revive) == "constraint_violation"
    await client.insert("entries", {"project": 2, "path": "a"})
    await client.insert("entries", {"project": 1, "path": "b"})
    assert await client.update("entries", {"id": live}, {"deleted": 1}) == 1
    await client.insert("entries", {"project": 1, "path": "a"})
    assert await client.count("entries", {"project": 1, "path": "a"}) == 4
    assert await client.count("entries", {"vector_id": None}) == 6


TEXTS = {
    "name": "texts",
    "columns": [
        _id(),
        {"name": "body_text", "type": "text"},
        {"name": "data", "type": "blob"},
        {"name": "doc", "type": "json"},
    ],
}


def _names_column(error: Any, column: str) -> bool:
    details = error.details if isinstance(error.details, dict) else {}
    return details.get("column") == column or column in error.message


@pytest_twisted.ensureDeferred
async def test_nul_in_text_is_refused(client: DriverClient) -> None:
    await client.create_table(TEXTS)
    key = await client.insert("texts", {"body_text": "ok", "data": b"a\x00b"})
    assert await client.select("texts", columns=["data"]) == [{"data": b"a\x00b"}]
    error = await error_of(client.insert("texts", {"body_text": "a\x00b"}))
    assert error.code == "invalid_params" and _names_column(error, "body_text")
    error = await error_of(client.update("texts", {"id": key}, {"body_text": "\x00"}))
    assert error.code == "invalid_params" and _names_column(error, "body_text")
    rows = [{"body_text": "x"}, {"body_text": "y"}, {"body_text": "bad\x00"}]
    error = await error_of(client.insert_many("texts", rows))
    assert error.code == "invalid_params" and _names_column(error, "body_text")
    assert error.details["index"] == 2
    assert await client.select("texts", columns=["body_text"]) == [{"body_text": "ok"}]
