"""
Every method of PROTOCOL.md section 4 (but sync_schema and cursors) gives
the same results on every backend.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import FILES, PROJECTS, error_of


async def _projects(client: DriverClient) -> list[int]:
    assert await client.create_table(PROJECTS) is True
    assert await client.create_table(FILES) is True
    ids = [await client.insert("projects", {"name": n}) for n in ("a", "b")]
    rows = [
        {"project_id": ids[0], "path": "setup.py", "size": 10},
        {"project_id": ids[0], "path": "README", "size": 200},
        {"project_id": ids[0], "path": "src/x.py", "size": None},
        {"project_id": ids[1], "path": "setup.py", "size": 30},
    ]
    assert await client.insert_many("files", rows) == 4
    return ids


@pytest_twisted.ensureDeferred
async def test_server_methods(client: DriverClient, backend: str) -> None:
    assert await client.ping() == "pong"
    info = await client.server_info()
    assert info["backend"] == backend
    assert (info["protocol"], info["read_only"]) == (1, False)
    assert set(info["limits"]) == {
        "max_message_size",
        "queue_size",
        "request_timeout",
        "max_rows",
    }
    stats = await client.stats()
    assert stats["connections"] >= 1
    assert stats["transactions_open"] == 0


@pytest_twisted.ensureDeferred
async def test_create_and_drop_table(client: DriverClient) -> None:
    assert await client.list_tables() == []
    assert await client.create_table(PROJECTS) is True
    assert await client.create_table(PROJECTS, if_not_exists=True) is False
    error = await error_of(client.create_table(PROJECTS))
    assert error.code == "sql_error"
    assert await client.create_table(FILES) is True
    assert await client.list_tables() == ["files", "projects"]
    assert await client.drop_table("files") is True
    assert await client.drop_table("files", if_exists=True) is False
    assert (await error_of(client.drop_table("files"))).code == "no_such_table"
    assert await client.list_tables() == ["projects"]


@pytest_twisted.ensureDeferred
async def test_insert_returns_ids_and_defaults_apply(client: DriverClient) -> None:
    a, b = await _projects(client)
    assert isinstance(a, int) and isinstance(b, int) and a != b
    rows = await client.select("files", {"path": "setup.py"}, order_by=["project_id"])
    assert [(r["project_id"], r["size"], r["kind"]) for r in rows] == [
        (a, 10, "file"),
        (b, 30, "file"),
    ]
    got = await client.insert(
        "files", {"project_id": b, "path": "n"}, returning=["path", "size", "kind"]
    )
    assert got == {"path": "n", "size": 0, "kind": "file"}
    assert await client.insert_many("files", []) == 0


@pytest_twisted.ensureDeferred
async def test_select_where_order_limit(client: DriverClient) -> None:
    a, b = await _projects(client)

    async def paths(where: Any = None, **options: Any) -> list[str]:
        rows = await client.select(
            "files", where, columns=["path"], order_by=["id"], **options
        )
        return [r["path"] for r in rows]

    assert await paths() == ["setup.py", "README", "src/x.py", "setup.py"]
    assert await paths({"project_id": a, "size": {">": 10}}) == ["README"]
    assert await paths({"size": None}) == ["src/x.py"]
    assert await paths({"size": {"!=": None}}) == ["setup.py", "README", "setup.py"]
    assert await paths({"size": {"is null": True}}) == ["src/x.py"]
    assert await paths({"size": {"in": [10, 30]}}) == ["setup.py", "setup.py"]
    assert await paths({"size": {"not in": [10, 30]}}) == ["README"]
    assert await paths({"size": {"in": []}}) == []
    assert await paths({"size": {"between": [10, 30]}}) == ["setup.py", "setup.py"]
    assert await paths({"path": {"like": "%.py"}}) == [
        "setup.py",
        "src/x.py",
        "setup.py",
    ]
    assert await paths({"path": {"not like": "%.py"}}) == ["README"]
    assert await paths({"$or": [{"size": 200}, {"size": None}]}) == [
        "README",
        "src/x.py",
    ]
    assert await paths({"$and": [{"project_id": b}, {"size": 30}]}) == ["setup.py"]
    assert await paths({"$not": {"project_id": a}}) == ["setup.py"]
    assert await paths({"$or": []}) == []
    assert await paths({"$and": []}) == ["setup.py", "README", "src/x.py", "setup.py"]
    assert await paths(limit=2) == ["setup.py", "README"]
    assert await paths(limit=2, offset=1) == ["README", "src/x.py"]
    assert await paths(offset=3) == ["setup.py"]
    rows = await client.select(
        "files",
        {"size": {"!=": None}},
        columns=["size", "path"],
        order_by=[{"column": "size", "desc": True}, "path"],
    )
    assert rows == [
        {"size": 200, "path": "README"},
        {"size": 30, "path": "setup.py"},
        {"size": 10, "path": "setup.py"},
    ]
    assert list(rows[0]) == ["size", "path"]  # the order asked for
    assert await client.count("files") == 4
    assert await client.count("files", {"project_id": a}) == 3
    assert await client.count("files", {"size": {"in": []}}) == 0


@pytest_twisted.ensureDeferred
async def test_update_and_delete(client: DriverClient) -> None:
    a, b = await _projects(client)
    assert await client.update("files", {"project_id": a}, {"size": 1}) == 3
    assert await client.update("files", {"path": "nope"}, {"size": 2}) == 0
    assert (await error_of(client.update("files", {}, {"size": 2}))).code == (
        "invalid_params"
    )
    assert await client.update("files", None, {"kind": "x"}, all_rows=True) == 4
    assert await client.count("files", {"kind": "x", "size": 1}) == 3
    assert await client.delete("files", {"project_id": b}) == 1
    assert (await error_of(client.delete("files", None))).code == "invalid_params"
    # the foreign key cascades
    assert await client.delete("projects", {"id": a}) == 1
    assert await client.count("files") == 0
    assert await client.delete("projects", None, all_rows=True) == 1


@pytest_twisted.ensureDeferred
async def test_execute(client: DriverClient) -> None:
    await _projects(client)
    result = await client.execute(
        "SELECT path, size FROM files WHERE size > ? AND path <> '?' ORDER BY size",
        [15],
    )
    assert result == {
        "columns": ["path", "size"],
        "rows": [["setup.py", 30], ["README", 200]],
        "rowcount": 2,
        "lastrowid": None,
    }
    # a "?" and a "%" inside literals and comments are not placeholders
    result = await client.execute(
        "SELECT count(*) AS n FROM files -- where is ?\n"
        "WHERE path LIKE '%.py' AND kind <> 'what?' AND size >= ?",
        [0],
    )
    assert result["columns"] == ["n"]
    assert result["rows"] == [[2]]
    changed = await client.execute("UPDATE files SET size = ? WHERE size IS NULL", [5])
    assert (changed["columns"], changed["rows"], changed["rowcount"]) == ([], [], 1)
    created = await client.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")
    assert created["columns"] == []
    assert "extra" in await client.list_tables()
    error = await error_of(client.execute("SELECT 1; SELECT 2"))
    assert error.code == "sql_error"
    error = await error_of(client.execute("COMMIT"))
    assert error.code == "invalid_params"
    assert (await error_of(client.execute("SELEC 1"))).code == "sql_error"


@pytest_twisted.ensureDeferred
async def test_transaction_batch(client: DriverClient) -> None:
    a, _ = await _projects(client)
    results = await client.batch(
        [
            {
                "method": "insert",
                "params": {"table": "projects", "data": {"name": "c"}},
            },
            {
                "method": "update",
                "params": {
                    "table": "files",
                    "where": {"size": 10},
                    "data": {"size": 11},
                },
            },
            {"method": "count", "params": {"table": "files", "where": {"size": 11}}},
            {
                "method": "select",
                "params": {"table": "projects", "where": {"name": "c"}},
            },
        ]
    )
    assert results[1:3] == [1, 1]
    assert results[3] == [{"id": results[0], "name": "c"}]
    error = await error_of(
        client.batch(
            [
                {"method": "delete", "params": {"table": "files", "all_rows": True}},
                {
                    "method": "insert",
                    "params": {"table": "projects", "data": {"name": "a"}},
                },
            ]
        )
    )
    assert error.code == "constraint_violation"
    assert error.details["index"] == 1
    assert await client.count("files") == 4  # nothing of it was applied
    assert await client.count("projects", {"id": a}) == 1
