"""
C{sync_schema} through the real server and client, on a SQLite file filled
with real data (a slice of the installed Twisted source indexed into the
code-analysis schema), evolving it from L{V1} to L{V2}: plans, dry runs,
backups that restore, rebuilds that keep rows and foreign keys,
idempotence, bookkeeping.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest_twisted

from dbdriver.exceptions import InvalidParams
from dbdriver.testing import start_driver
from tests.support.codeindex import parse_tree
from tests.support.live import error_of
from tests.support.schema_versions import (
    SOURCE,
    TABLES,
    V1,
    V1_REPORT,
    V2,
    V2_REPORT,
    counts,
    db,
    index_files,
    snapshot,
)


def report_of(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("backup", "plan")}


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    driver = await start_driver(tmp_path, database=str(tmp_path / "db.sqlite3"))
    yield driver
    await driver.stop()


@pytest_twisted.ensureDeferred
async def test_v1_creates_everything_then_nothing(running, tmp_path):
    client = await running.client()
    assert (await client.server_info())["schema"] is None
    result = await client.sync_schema(V1)
    assert report_of(result) == V1_REPORT
    assert result["backup"] is None
    assert result["plan"][1] == (
        "create table files (id integer, project_id integer, path text, "
        "size integer, sha1 text, lines integer) with index files_by_project"
    )
    again = await client.sync_schema(V1)
    assert again == {
        "changed": False,
        "created_tables": [],
        "added_columns": [],
        "created_indexes": [],
        "rebuilt_tables": [],
        "backup": None,
        "plan": [],
    }
    # the bookkeeping: one row per applied definition, never listed
    assert sorted(await client.list_tables()) == sorted(TABLES)
    schema = (await client.server_info())["schema"]
    assert re.fullmatch("[0-9a-f]{64}", schema["hash"])
    assert schema["applied_at"].endswith("+00:00")
    with db(tmp_path) as connection:
        rows = connection.execute(
            "SELECT hash, applied_at, plan FROM _dbdriver_schema"
        ).fetchall()
    assert [(h, a) for h, a, _ in rows] == [(schema["hash"], schema["applied_at"])]
    await client.sync_schema(V2, dry_run=True)
    assert (await client.server_info())["schema"] == schema


@pytest_twisted.ensureDeferred
async def test_tables_made_by_create_table_match_their_definition(running, tmp_path):
    client = await running.client()
    for table in V1["tables"]:
        await client.create_table(table)
    dry = await client.sync_schema(V1, dry_run=True)
    assert dry["changed"] is False and dry["plan"] == []
    result = await client.sync_schema(V1)
    assert result["changed"] is False
    # the database now matches this definition: recorded once
    assert (await client.server_info())["schema"] is not None
    await client.sync_schema(V1)
    with db(tmp_path) as connection:
        assert (
            connection.execute("SELECT count(*) FROM _dbdriver_schema").fetchone()[0]
            == 1
        )


@pytest_twisted.ensureDeferred
async def test_v2_evolves_a_real_database(running, tmp_path):
    client = await running.client()
    await client.sync_schema(V1)
    files = parse_tree(SOURCE, limit=40)
    project_id = await index_files(client, "twisted-internet", files)
    v1_info = (await client.server_info())["schema"]
    with db(tmp_path) as connection:
        before = counts(connection)
        v1_schema = snapshot(connection)
        v1_files = connection.execute(
            "SELECT id, project_id, path, size, sha1 FROM files ORDER BY id"
        ).fetchall()
    assert before["functions"] > 100

    # a dry run: the whole plan, nothing changed, no backup
    backups = tmp_path / "backups"
    dry = await client.sync_schema(V2, dry_run=True)
    assert report_of(dry) == V2_REPORT
    assert dry["backup"] is None
    plan = "\n".join(dry["plan"])
    for line in [
        "create table symbols (id integer, file_id integer, name text, kind text, "
        "line integer) with index symbols_by_name",
        "add column projects.description (text)",
        "add column projects.indexed_at (timestamp)",
        "add column imports.names (json)",
        "create index classes_by_file on classes (file_id)",
        "rebuild table files: column size type integer -> bigint; "
        "add column language (text)",
        "rebuild table functions: column args default None -> '[]'; "
        "add column class_id (integer)",
        "rebuild table ast_trees: drop column dump; add column tree (json)",
        "a backup_dir is needed to apply this plan (it rebuilds tables)",
    ]:
        assert line in dry["plan"], (line, plan)
    # no destructive change without a backup
    error = await error_of(client.sync_schema(V2))
    assert isinstance(error, InvalidParams)
    assert "backup" in error.message and error.details["plan"]
    with db(tmp_path) as connection:
        assert snapshot(connection) == v1_schema
        assert counts(connection) == before
    assert not backups.exists()

    result = await client.sync_schema(V2, backup_dir=str(backups))
    assert report_of(result) == V2_REPORT
    backup = result["backup"]
    assert os.path.dirname(backup) == str(backups)
    assert re.fullmatch(r"db-\d{8}T\d{6}\.\d{6}Z\.sqlite3", os.path.basename(backup))
    assert os.listdir(backups) == [os.path.basename(backup)]
    assert result["plan"][0] == f"back up the database to {backup}"
    assert result["plan"][1:] == dry["plan"][:-1]

    # rows, keys and foreign keys survived the rebuilds
    with db(tmp_path) as connection:
        assert counts(connection) == before
        assert (
            connection.execute(
                "SELECT id, project_id, path, size, sha1 FROM files ORDER BY id"
            ).fetchall()
            == v1_files
        )
        assert connection.execute("SELECT DISTINCT language FROM files").fetchall() == [
            ("python",)
        ]
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        fks = {
            t: connection.execute(
                'SELECT "from", "table", "to", on_delete '
                "FROM pragma_foreign_key_list(?)",
                (t,),
            ).fetchall()
            for t in ["files", "functions", "ast_trees", "classes"]
        }
        assert not any(
            n.startswith("_dbdriver_rebuild")
            for (n,) in connection.execute("SELECT name FROM sqlite_master")
        )
    assert fks["files"] == [("project_id", "projects", "id", "CASCADE")]
    assert sorted(fks["functions"]) == [
        ("class_id", "classes", "id", "SET NULL"),
        ("file_id", "files", "id", "CASCADE"),
    ]
    assert fks["ast_trees"] == fks["classes"] == [("file_id", "files", "id", "CASCADE")]
    info = {c["name"]: c for c in await client.get_table_info("files")}
    assert info["size"]["type"] == "bigint" and info["size"]["default"] == "0"
    assert [c["name"] for c in await client.get_table_info("ast_trees")] == [
        "id",
        "file_id",
        "tree",
    ]
    args = {c["name"]: c for c in await client.get_table_info("functions")}["args"]
    assert args["default"] == "'[]'"
    # the new columns and defaults work; ids are not reused
    file_id = await client.insert(
        "files", {"project_id": project_id, "path": "new.py", "size": 2**40}
    )
    assert file_id > max(f[0] for f in v1_files)
    function_id = await client.insert("functions", {"file_id": file_id, "name": "f"})
    assert (await client.select("functions", {"id": function_id}))[0]["args"] == []
    await client.insert("symbols", {"file_id": file_id, "name": "f", "kind": "def"})
    v2_info = (await client.server_info())["schema"]
    assert v2_info["hash"] != v1_info["hash"]

    # idempotent
    again = await client.sync_schema(V2, backup_dir=str(backups))
    assert again["changed"] is False and again["backup"] is None
    assert os.listdir(backups) == [os.path.basename(backup)]
    assert (await client.server_info())["schema"] == v2_info

    # the foreign keys still cascade
    assert await client.delete("projects", {"id": project_id}) == 1
    with db(tmp_path) as connection:
        assert sum(counts(connection).values()) == 0
        assert connection.execute("SELECT count(*) FROM symbols").fetchone() == (0,)

    # the backup is the V1 database, and it restores
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert counts(copy) == before
        assert snapshot(copy) == v1_schema
    await running.stop()
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(backup, database)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    restored = await start_driver(tmp_path, database=str(database))
    try:
        client = await restored.client()
        assert (await client.server_info())["schema"] == v1_info
        assert (await client.sync_schema(V1, dry_run=True))["changed"] is False
        assert await client.count("functions") == before["functions"]
    finally:
        await restored.stop()


@pytest_twisted.ensureDeferred
async def test_in_memory_database_is_backed_up(tmp_path):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        await client.sync_schema(V1)
        await index_files(client, "small", parse_tree(SOURCE, limit=3))
        functions = await client.count("functions")
        result = await client.sync_schema(
            V2, backup_dir=str(tmp_path / "backups" / "b")
        )
        assert result["rebuilt_tables"] == V2_REPORT["rebuilt_tables"]
        assert os.path.basename(result["backup"]).startswith("memory-")
        with closing(sqlite3.connect(result["backup"])) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT count(*) FROM functions").fetchone() == (
                functions,
            )
            assert "dump" in [
                r[1] for r in copy.execute("PRAGMA table_info(ast_trees)")
            ]
        assert await client.count("functions") == functions
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_invalid_definitions(running, tmp_path):
    client = await running.client()
    for definition in (
        {
            "tables": [
                {"name": "_dbdriver_x", "columns": [{"name": "a", "type": "text"}]}
            ]
        },
        {"tables": []} | {"extra": 1},
    ):
        error = await error_of(client.sync_schema(definition))
        assert isinstance(error, InvalidParams)
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "a-file").write_text("")
    error = await error_of(
        client.sync_schema(V1, backup_dir=str(tmp_path / "backups" / "a-file" / "b"))
    )
    assert isinstance(error, InvalidParams)  # non-destructive, yet it asked
    assert await client.list_tables() == []
    # an empty definition changes nothing and lists what it leaves alone
    await client.sync_schema(V1)
    result = await client.sync_schema({"tables": []}, dry_run=True)
    assert result["changed"] is False
    assert len(result["plan"]) == len(TABLES)


@pytest_twisted.ensureDeferred
async def test_dry_run_on_a_read_only_server(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    running = await start_driver(tmp_path, database=database)
    client = await running.client()
    await client.sync_schema(V1)
    await running.stop()
    running = await start_driver(tmp_path, database=database, read_only=True)
    try:
        client = await running.client()
        assert (await client.server_info())["schema"] is not None
        result = await client.sync_schema(V2, dry_run=True)
        assert report_of(result) == V2_REPORT
    finally:
        await running.stop()
