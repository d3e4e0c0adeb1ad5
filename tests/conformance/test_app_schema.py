"""
The realistic code-analysis schema (L{tests.support.appschema}) through
C{sync_schema} on every backend (PROTOCOL.md section 4, the C{sync_schema}
paragraphs): V1 created and filled, evolved V1 -> V2 -> V3 with a backup
and every row kept, each version re-applied as a no-op, described as
given; C{dry_run} shows a plan and changes nothing.  On MariaDB/MySQL, a
sync whose new foreign key a dangling value violates fails naming the step,
and once the data is fixed the same sync completes, with one backup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.server.config import Config
from dbdriver.testing import RunningDriver
from tests.support.appschema import TABLES, V1, V2, V3, counts, fill, same_schema
from tests.support.backends import Database
from tests.support.data import error_of
from tests.support.live import driver_on


def _options(tmp_path: Path) -> dict[str, Any]:
    """The backup root (PROTOCOL.md section 9) in the test's directory."""
    root = tmp_path / "backups"
    root.mkdir(exist_ok=True)
    if "backup_root" in attrs.fields_dict(Config):
        return {"backup_root": str(root)}
    return {}


@pytest_twisted.async_yield_fixture()
async def app(database: Database, tmp_path: Path) -> AsyncIterator[RunningDriver]:
    """A driver whose backups go below C{tmp_path}/backups."""
    async with driver_on(database, tmp_path / "app", **_options(tmp_path)) as started:
        yield started


async def _described(client: DriverClient) -> dict[str, Any]:
    return {t: await client.describe_table(t) for t in TABLES}


async def _check_version(client: DriverClient, version: dict[str, Any]) -> None:
    for table in version["tables"]:
        described = await client.describe_table(table["name"])
        assert same_schema(described, table), table["name"]
    for dry_run in (True, False):
        report = await client.sync_schema(version, dry_run=dry_run)
        assert report["changed"] is False, report["plan"]
        assert report["backup"] is None


async def _files(client: DriverClient) -> list[dict[str, Any]]:
    return await client.select(
        "files", columns=["id", "project_id", "path", "sha1", "size"], order_by=["id"]
    )


@pytest_twisted.ensureDeferred
async def test_create_fill_evolve(app: RunningDriver, tmp_path: Path) -> None:
    client = await app.client()
    report = await client.sync_schema(V1)
    assert report["changed"] is True
    assert sorted(report["created_tables"]) == sorted(TABLES)
    written = await fill(client)
    assert sum(written.values()) >= 300
    assert await counts(client) == written
    await _check_version(client, V1)
    files = await _files(client)
    assert len({f["project_id"] for f in files}) == 2
    hits = await client.count("files", {"content": {"match": "import"}})
    assert 0 < hits <= len(files)

    for number, version in ((2, V2), (3, V3)):
        before = await _described(client)
        plan = await client.sync_schema(version, dry_run=True)
        assert plan["changed"] is True and plan["plan"], number
        assert await _described(client) == before
        assert await counts(client) == written
        backups = tmp_path / "backups" / f"v{number}"
        report = await client.sync_schema(version, backup_dir=str(backups))
        assert report["changed"] is True, number
        assert report["backup"] is not None
        assert Path(report["backup"]).exists()
        assert await counts(client) == written, number
        assert await _files(client) == files
        await _check_version(client, version)

    assert await client.count("files", {"language": "python"}) == written["files"]
    some = await client.select("classes", columns=["id"], order_by=["id"], limit=1)
    await client.update("classes", {"id": some[0]["id"]}, {"docstring": "gizmo base"})
    rows = await client.select("classes", {"docstring": {"match": "gizmo"}})
    assert [r["id"] for r in rows] == [some[0]["id"]]
    assert "is_async" not in (await client.select("functions", limit=1))[0]


@pytest_twisted.ensureDeferred
async def test_v3_over_v1_directly(app: RunningDriver, tmp_path: Path) -> None:
    client = await app.client()
    await client.sync_schema(V1)
    written = await fill(client, files=5)
    report = await client.sync_schema(V3, backup_dir=str(tmp_path / "backups" / "x"))
    assert report["changed"] is True
    assert await counts(client) == written
    await _check_version(client, V3)


@pytest_twisted.ensureDeferred
async def test_dry_run_changes_nothing(app: RunningDriver) -> None:
    client = await app.client()
    report = await client.sync_schema(V1, dry_run=True)
    assert report["changed"] is True and report["plan"]
    assert sorted(report["created_tables"]) == sorted(TABLES)
    assert report["backup"] is None
    assert await client.list_tables() == []
    await client.sync_schema(V1)
    await client.insert("projects", {"name": "p"})
    report = await client.sync_schema(V2, dry_run=True)
    assert report["changed"] is True and report["plan"]
    assert {"table": "files", "column": "language"} in report["added_columns"]
    assert "classes_docstring" in report["created_indexes"]
    assert await client.count("projects") == 1
    await _check_version(client, V1)


PARENT = {
    "name": "parent",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "label", "type": "text", "max_length": 20},
    ],
}
CHILD = {
    "name": "child",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "parent_id", "type": "integer"},
        {"name": "code", "type": "text"},
    ],
}


def _evolved() -> dict[str, Any]:
    parent = {
        **PARENT,
        "columns": [*PARENT["columns"], {"name": "extra", "type": "text"}],
    }
    parent["indexes"] = [{"name": "parent_label", "columns": ["label"]}]
    columns = [dict(c) for c in CHILD["columns"]]
    columns[1]["references"] = {"table": "parent", "column": "id"}
    child = {
        **CHILD,
        "columns": columns,
        "checks": [{"name": "child_code", "where": {"code": {"!=": ""}}}],
        "indexes": [{"name": "child_code_live", "columns": ["code", "parent_id"],
                     "unique": True, "where": {"parent_id": {"!=": None}}}],
    }  # fmt: skip
    return {"tables": [parent, child]}


@pytest.mark.servers
@pytest_twisted.ensureDeferred
async def test_mysql_failed_sync_is_rerun_to_completion(
    app: RunningDriver, backend: str, tmp_path: Path
) -> None:
    if backend != "mysql":
        pytest.skip("MariaDB/MySQL only: DDL there commits implicitly")
    client = await app.client()
    await client.sync_schema({"tables": [PARENT, CHILD]})
    parents = [{"id": 1, "label": "a"}, {"id": 2, "label": None}]
    await client.insert_many("parent", parents)
    rows = [{"id": 1, "parent_id": 1, "code": "x"},
            {"id": 2, "parent_id": 2, "code": None},
            {"id": 3, "parent_id": 99, "code": "y"}]  # fmt: skip
    await client.insert_many("child", rows)
    evolved = _evolved()
    backups = tmp_path / "backups" / "retries"
    for _ in range(2):  # the same failure each time, nothing piles up
        error = await error_of(client.sync_schema(evolved, backup_dir=str(backups)))
        assert error.code in ("constraint_violation", "invalid_params"), error
        assert isinstance(error.details, dict) and "step" in error.details, error
        assert error.details["step"] not in (None, "")
        assert await client.count("child") == 3
        assert await client.count("parent") == 2
    assert await client.delete("child", {"parent_id": 99}) == 1
    report = await client.sync_schema(evolved, backup_dir=str(backups))
    assert report["changed"] is True
    for table in evolved["tables"]:
        assert same_schema(await client.describe_table(table["name"]), table)
    report = await client.sync_schema(evolved, backup_dir=str(backups))
    assert report["changed"] is False
    assert len(list(backups.iterdir())) == 1
    assert await client.count("child") == 2
    dangling = client.insert("child", {"id": 4, "parent_id": 98})
    assert (await error_of(dangling)).code == "constraint_violation"
