"""
Every error code a backend produces, the same on each (PROTOCOL.md
section 3): the backend's own errors mapped to the protocol's codes.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted

from dbdriver.client import DriverClient
from tests.conformance.conftest import driver_on
from tests.support.backends import Database
from tests.support.data import FILES, PROJECTS, error_of


async def _tables(client: DriverClient) -> int:
    await client.create_table(PROJECTS)
    await client.create_table(FILES)
    project = await client.insert("projects", {"name": "a"})
    await client.insert("files", {"project_id": project, "path": "x"})
    return int(project)


@pytest_twisted.ensureDeferred
async def test_constraint_violations(client: DriverClient) -> None:
    project = await _tables(client)
    cases = [
        client.insert("projects", {"name": "a"}),  # unique
        client.insert("projects", {"id": project, "name": "b"}),  # primary key
        client.insert("files", {"project_id": project}),  # not null
        client.insert("files", {"project_id": project + 99, "path": "y"}),  # FK
        client.insert("files", {"project_id": project, "path": "x"}),  # unique pair
        client.update("projects", {"id": project}, {"name": None}),
        client.insert_many("projects", [{"name": "c"}, {"name": "c"}]),
    ]
    for case in cases:
        assert (await error_of(case)).code == "constraint_violation"
    assert await client.count("projects") == 1  # insert_many is all or nothing
    assert await client.count("files") == 1


@pytest_twisted.ensureDeferred
async def test_no_such_table(client: DriverClient) -> None:
    await _tables(client)
    cases = [
        client.select("nope"),
        client.insert("nope", {"a": 1}),
        client.insert_many("nope", [{"a": 1}]),
        client.update("nope", {"a": 1}, {"a": 2}),
        client.delete("nope", {"a": 1}),
        client.count("nope"),
        client.get_table_info("nope"),
        client.drop_table("nope"),
        client.execute("SELECT * FROM nope"),
    ]
    for case in cases:
        error = await error_of(case)
        assert error.code == "no_such_table", error


@pytest_twisted.ensureDeferred
async def test_no_such_column(client: DriverClient) -> None:
    await _tables(client)
    cases = [
        client.select("files", {"nope": 1}),
        client.select("files", columns=["nope"]),
        client.select("files", order_by=["nope"]),
        client.insert("files", {"project_id": 1, "path": "y", "nope": 1}),
        client.update("files", {"path": "x"}, {"nope": 1}),
        client.delete("files", {"nope": None}),
        client.count("files", {"$or": [{"path": "x"}, {"nope": 2}]}),
        client.execute("SELECT nope FROM files"),
    ]
    for case in cases:
        error = await error_of(case)
        assert error.code == "no_such_column", error
    assert await client.count("files") == 1


@pytest_twisted.ensureDeferred
async def test_sql_errors(client: DriverClient) -> None:
    await _tables(client)
    for case in (
        client.create_table(PROJECTS),
        client.execute("SELEC 1"),
        client.execute("SELECT 1; SELECT 2"),
    ):
        error = await error_of(case)
        assert error.code == "sql_error", error
        assert error.message
    error = await error_of(client.execute("SELECT ?", [1, 2]))
    assert error.code in ("invalid_params", "sql_error")
    assert (await error_of(client.execute("ROLLBACK"))).code == "invalid_params"


@pytest_twisted.ensureDeferred
async def test_busy_while_another_transaction_holds_the_row(
    database: Database, tmp_path: Path
) -> None:
    async with driver_on(database, tmp_path / "d", busy_timeout=0.5) as running:
        first, second = await running.client(), await running.client()
        project = await _tables(first)
        tx = await first.transaction().begin()
        await tx.update("projects", {"id": project}, {"name": "held"})
        error = await error_of(
            second.update("projects", {"id": project}, {"name": "b"})
        )
        assert error.code == "busy"
        await tx.commit()
        assert await second.update("projects", {"id": project}, {"name": "b"}) == 1
        assert await second.select("projects", columns=["name"]) == [{"name": "b"}]


@pytest_twisted.ensureDeferred
async def test_read_only(database: Database, tmp_path: Path) -> None:
    async with driver_on(database, tmp_path / "rw") as writer:
        await _tables(await writer.client())
    async with driver_on(database, tmp_path / "ro", read_only=True) as reader:
        client = await reader.client()
        assert (await client.server_info())["read_only"] is True
        assert await client.count("projects") == 1
        assert await client.select("projects", columns=["name"]) == [{"name": "a"}]
        for case in (
            client.insert("projects", {"name": "b"}),
            client.execute("INSERT INTO projects (name) VALUES (?)", ["b"]),
            client.execute("UPDATE projects SET name = 'c'"),
            client.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)"),
            client.execute("DELETE FROM files"),
        ):
            assert (await error_of(case)).code == "read_only"
        result = await client.execute("SELECT name FROM projects")
        assert result["rows"] == [["a"]]
        assert await client.count("projects") == 1


@pytest_twisted.ensureDeferred
async def test_result_too_large(database: Database, tmp_path: Path) -> None:
    async with driver_on(database, tmp_path / "d", max_rows=3) as running:
        client = await running.client()
        await client.create_table(PROJECTS)
        await client.insert_many("projects", [{"name": str(n)} for n in range(5)])
        error = await error_of(client.select("projects"))
        assert error.code == "result_too_large"
        assert len(await client.select("projects", limit=3)) == 3
        assert await client.count("projects") == 5


@pytest_twisted.ensureDeferred
async def test_unknown_transaction(running: object, client: DriverClient) -> None:
    await _tables(client)
    tx = await client.transaction().begin()
    assert tx.transaction_id is not None
    other = await running.client()  # type: ignore[attr-defined]
    error = await error_of(
        other.protocol.call(
            "count", {"table": "projects"}, transaction_id=tx.transaction_id
        )
    )
    assert error.code == "unknown_transaction"
    error = await error_of(other.commit_transaction(tx.transaction_id))
    assert error.code == "unknown_transaction"
    await tx.commit()
    error = await error_of(client.commit_transaction(tx.transaction_id))
    assert error.code == "unknown_transaction"
