"""
C{sync_schema} on PostgreSQL, through the real server and client, on a
schema of its own (the conformance suite's fixtures): the code-analysis
schema from L{V1} to L{V2} with real rows, its backup export, dry runs,
idempotence, and the refusal of a destructive plan without a backup_dir.
"""

from __future__ import annotations

import os

import pytest
import pytest_twisted

from dbdriver.drivers.schema.backup import read_export
from dbdriver.exceptions import InvalidParams
from tests.conformance.conftest import (  # noqa: F401
    client,
    database,
    driver_on,
    running,
)
from tests.support.codeindex import parse_tree
from tests.support.live import error_of
from tests.support.schema_versions import (
    REF,
    SOURCE,
    TABLES,
    V1,
    V2,
    V2_REPORT,
    col,
    index_files,
    variant,
)

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

FILES = parse_tree(SOURCE, limit=12)


def report_of(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("backup", "plan")}


def counts(database) -> dict[str, int]:  # noqa: F811
    return {t: database.sql(f'SELECT count(*) FROM "{t}"')[0][0] for t in TABLES}


def foreign_keys(database, table: str) -> set[tuple]:  # noqa: F811
    return set(
        database.sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
            [table],
        )
    )


@pytest_twisted.ensureDeferred
async def test_v1_to_v2(database, client, tmp_path):  # noqa: F811
    created = await client.sync_schema(V1)
    assert created["created_tables"] == TABLES
    assert (await client.sync_schema(V1))["changed"] is False
    assert (await client.sync_schema(V1, dry_run=True))["changed"] is False
    project_id = await index_files(client, "twisted", FILES)
    before = counts(database)
    assert before["files"] == len(FILES) and before["functions"] > 0
    files = database.sql("SELECT id, project_id, path, size, sha1 FROM files")

    # a dry run plans, changes nothing
    dry = await client.sync_schema(V2, dry_run=True)
    assert {k: v for k, v in dry.items() if k not in ("plan", "backup")} == V2_REPORT
    assert dry["plan"][-1].startswith("a backup_dir is needed")
    assert database.sql("SELECT to_regclass('symbols')") == [(None,)]

    # destructive without a backup_dir: refused, nothing changed
    error = await error_of(client.sync_schema(V2))
    assert isinstance(error, InvalidParams)
    assert database.sql("SELECT to_regclass('symbols')") == [(None,)]

    backups = tmp_path / "backups"
    result = await client.sync_schema(V2, backup_dir=str(backups))
    assert report_of(result) == V2_REPORT
    backup = result["backup"]
    assert os.path.dirname(backup) == str(backups)
    assert result["plan"][0] == f"back up the database to {backup}"
    exported = {name: (cols, list(rows)) for name, cols, rows in read_export(backup)}
    assert sorted(exported) == [
        "ast_trees",
        "files",
        "functions",
        "imports",
        "projects",
    ]
    assert len(exported["files"][1]) == before["files"]
    assert "dump" in exported["ast_trees"][1][0]
    assert {(r["id"], r["path"]) for r in exported["files"][1]} == {
        (f[0], f[2]) for f in files
    }

    # rows, keys and foreign keys kept
    assert counts(database) == before
    assert database.sql("SELECT id, project_id, path, size, sha1 FROM files") == files
    assert database.sql("SELECT DISTINCT language FROM files") == [("python",)]
    assert foreign_keys(database, "classes") == {
        ("FOREIGN KEY (file_id) REFERENCES files(id) ON DELETE CASCADE",)
    }
    assert foreign_keys(database, "functions") == {
        ("FOREIGN KEY (file_id) REFERENCES files(id) ON DELETE CASCADE",),
        ("FOREIGN KEY (class_id) REFERENCES classes(id) ON DELETE SET NULL",),
    }
    info = {c["name"]: c for c in await client.get_table_info("files")}
    assert info["size"]["type"] == "bigint" and info["size"]["default"] == "0"
    assert info["language"]["type"] == "text" and info["language"]["not_null"]
    assert [c["name"] for c in await client.get_table_info("ast_trees")] == [
        "id",
        "file_id",
        "tree",
    ]
    new = await client.insert(
        "files", {"project_id": project_id, "path": "new.py", "size": 2**40}
    )
    assert new > max(f[0] for f in files)
    function = await client.insert("functions", {"file_id": new, "name": "f"})
    assert (await client.select("functions", {"id": function}))[0]["args"] == []
    await client.insert("symbols", {"file_id": new, "name": "f", "kind": "def"})

    # idempotent
    again = await client.sync_schema(V2, backup_dir=str(backups))
    assert again["changed"] is False and again["backup"] is None
    assert (await client.sync_schema(V2, dry_run=True))["changed"] is False
    assert len(os.listdir(backups)) == 1
    assert (await client.server_info())["schema"]["hash"]


CASCADE = {**REF, "on_delete": "cascade"}
P = {"name": "p", "columns": [{"name": "id", "type": "integer", "primary_key": True}]}


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize(
    "changes",
    [
        {"columns": [{"name": "size", "type": "text", "default": "0"}]},
        {"columns": [{"name": "name", "type": "text"}]},
        {"columns": [{"name": "tag", "type": "text", "unique": True}]},
        {"columns": [{"name": "flag", "type": "boolean", "default": True}]},
        {"columns": [{"name": "uniq", "type": "integer", "unique": True}]},
        {"columns": [{"name": "ref", "type": "integer"}]},
        {"unique": [["name", "tag"]]},
        {"without": "tag", "drop_columns": True},
        {"indexes": [{"name": "t_by_name", "columns": ["name", "tag"]}]},
        {"columns": [{"name": "data", "type": "json"}]},
        {
            "columns": [
                {
                    "name": "doc",
                    "type": "json",
                    "not_null": True,
                    "default": '{"b": [1],  "a": 2}',
                }
            ]
        },
        {"columns": [col("at", "timestamp", default="2020-01-01T00:00:00Z")]},
        {"columns": [col("size", "real", default=1.5)]},
        {"columns": [col("size", "boolean", default=False)]},
        {"indexes": [{"name": "t_by_name", "columns": ["name"], "unique": True}]},
        {
            "columns": [
                col("id", "integer"),
                col("name", "text", primary_key=True),
            ]
        },
        {
            "columns": [
                col("ref", "integer", references={**REF, "on_delete": "cascade"})
            ]
        },
        {"columns": [col("name", "text", not_null=True, max_length=8)]},
        {"columns": [col("size", "integer", default=0, check={"size": {">=": 0}})]},
        {"checks": [{"name": "t_named", "where": {"name": {"like": "n%"}}}]},
        {"checks": [{"where": {"$or": [{"tag": None}, {"tag": {"!=": ""}}]}}]},
        {"columns": [col("at", "timestamp", default={"function": "now"})]},
        {"columns": [col("size", "real", default={"function": "now"})]},
        {"columns": [col("u", "uuid", default={"function": "uuid"})]},
        {"columns": [col("size", "integer", default={"sql": "2 + 2"})]},
        {
            "indexes": [
                {
                    "name": "t_live",
                    "columns": ["name"],
                    "unique": True,
                    "where": {"size": 0},
                }
            ]
        },
        {
            "indexes": [
                {"name": "t_words", "columns": ["name", "tag"], "kind": "fulltext"}
            ]
        },
        pytest.param(
            {
                "columns": [col("ref", "integer")],
                "foreign_keys": [
                    {
                        "columns": ["ref"],
                        "references": {"table": "p", "columns": ["id"]},
                        "on_delete": "cascade",
                    }
                ],
            },
            id="one-column-foreign_keys",
        ),
    ],
    ids=lambda c: ",".join(c),
)
async def test_one_change(database, client, tmp_path, changes):  # noqa: F811
    first = {"tables": [P, variant()]}
    await client.sync_schema(first)
    await client.insert_many("p", [{"id": 1}, {"id": 2}])
    rows = [{"name": f"n{i}", "ref": 1 + i % 2, "tag": f"t{i}"} for i in range(5)]
    await client.insert_many("t", rows)
    second = {"tables": [P, variant(**changes)]}
    result = await client.sync_schema(
        second, backup_dir=str(tmp_path / "backups" / "b")
    )
    assert result["changed"] is True
    assert database.sql("SELECT count(*) FROM t") == [(5,)]
    again = await client.sync_schema(second, dry_run=True)
    assert again["changed"] is False, again["plan"]
    # and back: the first definition again, idempotent too
    if not changes.get("drop_columns"):
        await client.sync_schema(first, backup_dir=str(tmp_path / "backups" / "b"))
        assert database.sql("SELECT count(*) FROM t") == [(5,)]
        again = await client.sync_schema(first, dry_run=True)
        assert again["changed"] is False, again["plan"]


@pytest_twisted.ensureDeferred
async def test_failed_change_changes_nothing(database, client, tmp_path):  # noqa: F811
    await client.sync_schema({"tables": [P, variant()]})
    await client.insert_many("p", [{"id": 1}, {"id": 2}])
    await client.insert_many("t", [{"name": "a", "ref": 1, "tag": "not json"}])
    broken = variant(columns=[col("tag", "json")], unique=[["name"]])
    backups = tmp_path / "backups" / "b"
    error = await error_of(
        client.sync_schema({"tables": [P, broken]}, backup_dir=str(backups))
    )
    assert "json" in error.message and "tag" in error.details["step"]
    assert not backups.exists() or os.listdir(backups) == []
    info = {c["name"]: c for c in await client.get_table_info("t")}
    assert info["tag"]["type"] == "text"
    assert (await client.sync_schema({"tables": [P, variant()]}))["changed"] is False


@pytest_twisted.ensureDeferred
async def test_applied_schema_survives_a_restart(database, client, tmp_path):  # noqa: F811
    result = await client.sync_schema(V1)
    applied = (await client.server_info())["schema"]
    assert result["changed"] and applied["hash"]
    async with driver_on(database, tmp_path / "second") as second:
        other = await second.client()
        assert (await other.server_info())["schema"] == applied
