"""
C{sync_schema} on MySQL/MariaDB, through the real server and client, on a
database of its own (L{tests.support.mysql}: skipped unless the server answers,
failed if C{DBDRIVER_TEST_BACKENDS} names mysql): the code-analysis schema
from L{V1} to L{V2} with real rows (plans, dry runs, the export taken
first, rows and foreign keys kept through the changes, idempotence), and
one kind of change at a time on a small pair of tables.
"""

# ruff: noqa: F811 (the fixtures of tests.support.mysql)

from __future__ import annotations

import os

import pytest_twisted

from dbdriver.drivers.schema.backup import read_export
from dbdriver.exceptions import InvalidParams
from tests.support.codeindex import parse_tree
from tests.support.live import error_of
from tests.support.mysql import client, driver_on, mysql_db, running  # noqa: F401 (fixtures)
from tests.support.schema_versions import (
    REF,
    ROWS,
    SOURCE,
    TABLES,
    V1,
    V1_REPORT,
    V2,
    V2_REPORT,
    P,
    T,
    col,
    index_files,
    variant,
)

CASCADE = {**REF, "on_delete": "cascade"}
UNCHANGED = {
    "changed": False,
    "created_tables": [],
    "added_columns": [],
    "created_indexes": [],
    "rebuilt_tables": [],
    "backup": None,
    "plan": [],
}


def report_of(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("backup", "plan")}


def counts(db) -> dict[str, int]:
    return {t: db.sql(f"SELECT count(*) FROM `{t}`")[0][0] for t in TABLES}


def foreign_keys(db, table: str) -> list[tuple]:
    return sorted(
        db.sql(
            "SELECT k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE "
            "FROM information_schema.REFERENTIAL_CONSTRAINTS r "
            "JOIN information_schema.KEY_COLUMN_USAGE k "
            "ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA "
            "AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME "
            "WHERE r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = %s",
            [table],
        )
    )


@pytest_twisted.ensureDeferred
async def test_v1_creates_everything_then_nothing(client, mysql_db):
    assert (await client.server_info())["schema"] is None
    result = await client.sync_schema(V1)
    assert report_of(result) == V1_REPORT
    assert await client.sync_schema(V1) == UNCHANGED
    assert sorted(await client.list_tables()) == sorted(TABLES)
    assert (await client.server_info())["schema"]["hash"]


@pytest_twisted.ensureDeferred
async def test_tables_made_by_create_table_match(client, mysql_db):
    for table in V2["tables"]:
        await client.create_table(table)
    dry = await client.sync_schema(V2, dry_run=True)
    assert dry["changed"] is False and dry["plan"] == []
    assert (await client.sync_schema(V2))["changed"] is False
    assert (await client.server_info())["schema"] is not None
    await client.sync_schema(V2)
    assert mysql_db.sql("SELECT count(*) FROM _dbdriver_schema") == [(1,)]


@pytest_twisted.ensureDeferred
async def test_v2_evolves_a_real_database(client, mysql_db, tmp_path):
    db = mysql_db
    await client.sync_schema(V1)
    project_id = await index_files(
        client, "twisted-internet", parse_tree(SOURCE, limit=25)
    )
    before = counts(db)
    v1_files = db.sql("SELECT id, project_id, path, size, sha1 FROM files ORDER BY id")
    assert before["functions"] > 50
    backups = tmp_path / "backups"

    # a dry run: the plan, nothing changed
    dry = await client.sync_schema(V2, dry_run=True)
    assert report_of(dry) == V2_REPORT and dry["backup"] is None
    for line in [
        "add column projects.description (text)",
        "create index classes_by_file on classes (file_id)",
        "rebuild table files: column size type integer -> bigint; "
        "add column language (text)",
        "rebuild table ast_trees: drop column dump; add column tree (json)",
        "a backup_dir is needed to apply this plan (it rebuilds tables)",
    ]:
        assert line in dry["plan"], (line, dry["plan"])
    # (how the planner shows the new default is the planner's)
    functions = "rebuild table functions: column args default None -> "
    assert any(line.startswith(functions) for line in dry["plan"]), dry["plan"]
    assert "symbols" not in await client.list_tables()

    # no destructive change without a backup_dir
    error = await error_of(client.sync_schema(V2))
    assert isinstance(error, InvalidParams) and error.details["plan"]
    assert counts(db) == before and not backups.exists()
    assert [c["name"] for c in await client.get_table_info("ast_trees")] == [
        "id",
        "file_id",
        "dump",
    ]

    result = await client.sync_schema(V2, backup_dir=str(backups))
    assert report_of(result) == V2_REPORT
    backup = result["backup"]
    assert os.listdir(backups) == [os.path.basename(backup)]
    assert result["plan"][0] == f"back up the database to {backup}"
    assert result["plan"][1:] == dry["plan"][:-1]

    # the export: the V1 rows of every table altered or rebuilt
    exported = {name: (cols, list(rows)) for name, cols, rows in read_export(backup)}
    assert sorted(exported) == sorted(
        ["projects", "files", "functions", "imports", "ast_trees"]
    )
    for name, (_, rows) in exported.items():
        assert len(rows) == before[name]
    assert "dump" in exported["ast_trees"][1][0]
    assert [
        (r["id"], r["project_id"], r["path"], r["size"], r["sha1"])
        for r in exported["files"][1]
    ] == [tuple(f) for f in v1_files]

    # rows, keys and foreign keys kept
    assert counts(db) == before
    assert (
        db.sql("SELECT id, project_id, path, size, sha1 FROM files ORDER BY id")
        == v1_files
    )
    assert db.sql("SELECT DISTINCT language FROM files") == [("python",)]
    assert foreign_keys(db, "files") == [("project_id", "projects", "CASCADE")]
    assert foreign_keys(db, "functions") == [
        ("class_id", "classes", "SET NULL"),
        ("file_id", "files", "CASCADE"),
    ]
    assert foreign_keys(db, "ast_trees") == [("file_id", "files", "CASCADE")]
    info = {c["name"]: c for c in await client.get_table_info("files")}
    assert info["size"]["type"] == "bigint" and info["size"]["default"] == "0"
    trees = await client.get_table_info("ast_trees")
    assert [(c["name"], c["type"]) for c in trees] == [
        ("id", "integer"),
        ("file_id", "integer"),
        ("tree", "json"),
    ]
    args = {c["name"]: c for c in await client.get_table_info("functions")}["args"]
    assert args["default"] == "'[]'"
    file_id = await client.insert(
        "files", {"project_id": project_id, "path": "new.py", "size": 2**40}
    )
    function_id = await client.insert("functions", {"file_id": file_id, "name": "f"})
    assert (await client.select("functions", {"id": function_id}))[0]["args"] == []
    await client.insert("symbols", {"file_id": file_id, "name": "f", "kind": "def"})

    # idempotent, on this driver and on a new one (the bookkeeping)
    v2_info = (await client.server_info())["schema"]
    assert await client.sync_schema(V2, backup_dir=str(backups)) == UNCHANGED
    assert os.listdir(backups) == [os.path.basename(backup)]
    assert (await client.server_info())["schema"] == v2_info

    # the foreign keys still cascade
    assert await client.delete("projects", {"id": project_id}) == 1
    assert sum(counts(db).values()) == 0
    assert db.sql("SELECT count(*) FROM symbols") == [(0,)]


@pytest_twisted.ensureDeferred
async def test_bookkeeping_read_at_start(running, mysql_db, tmp_path):
    client = await running.client()
    await client.sync_schema(V1)
    info = (await client.server_info())["schema"]
    async with driver_on(mysql_db, tmp_path / "second") as other:
        second = await other.client()
        assert (await second.server_info())["schema"] == info


async def _small(client, table: dict) -> None:
    await client.sync_schema({"tables": [P, table]})
    await client.insert_many("p", [{"id": 1}, {"id": 2}])
    await client.insert_many("t", ROWS)


@pytest_twisted.ensureDeferred
async def test_one_change_at_a_time(client, mysql_db, tmp_path):
    await _small(client, T)
    backups = str(tmp_path / "backups" / "b")
    steps = [
        (variant(indexes=[{"name": "t_by_name", "columns": ["name", "tag"]}]), "index"),
        (variant(columns=[col("size", "integer", default=7)]), "default"),
        (variant(columns=[col("tag", "text", not_null=True, default="x")]), "not null"),
        (variant(columns=[col("tag", "text", unique=True)]), "unique"),
        (variant(unique=[["name", "ref"]]), "unique"),
        (variant(columns=[col("size", "real", default=0)]), "type"),
        (variant(columns=[col("ref", "integer", references=CASCADE)]), "foreign key"),
        (variant(columns=[col("ref", "integer")]), "foreign key"),
        (variant(columns=[col("extra", "text", not_null=True)]), "add column"),
        (variant(without="tag", drop_columns=True), "drop column tag"),
    ]  # fmt: skip
    for table, reason in steps:
        result = await client.sync_schema({"tables": [P, table]}, backup_dir=backups)
        assert result["changed"], reason
        assert any(reason in line for line in result["plan"]), (reason, result["plan"])
        again = await client.sync_schema({"tables": [P, table]}, backup_dir=backups)
        assert again == UNCHANGED, (reason, again)
        assert await client.count("t") == len(ROWS), reason
    names = sorted(r["name"] for r in await client.select("t"))
    assert names == sorted(r["name"] for r in ROWS)
    assert "tag" not in {c["name"] for c in await client.get_table_info("t")}


@pytest_twisted.ensureDeferred
async def test_a_plan_the_rows_refuse_changes_nothing(client, mysql_db, tmp_path):
    await _small(client, T)
    # a unique key the rows break: refused before the first change
    await client.update("t", None, {"tag": "same"}, all_rows=True)
    before = await client.describe_table("t")
    table = variant(columns=[col("tag", "text", unique=True), col("more", "text")])
    backups = tmp_path / "backups" / "b"
    error = await error_of(
        client.sync_schema({"tables": [P, table]}, backup_dir=str(backups))
    )
    assert error.code == "constraint_violation"
    assert error.details.get("step") and error.details["constraint"] == "unique (tag)"
    assert await client.describe_table("t") == before
    assert not backups.exists() or not list(backups.iterdir())


def _k(*columns: dict, **flags) -> dict:
    return {"tables": [{"name": "k", "columns": list(columns), **flags}]}


@pytest_twisted.ensureDeferred
async def test_keys_types_and_defaults(client, mysql_db, tmp_path):
    backups = str(tmp_path / "backups" / "b")
    at = col("at", "timestamp", default="2020-01-01T00:00:00+00:00")
    v1 = _k(
        col("id", "integer", primary_key=True),
        col("code", not_null=True),
        col("doc"),
        col("flag", "boolean", default=False),
        at,
    )
    await client.sync_schema(v1)
    assert await client.sync_schema(v1) == UNCHANGED
    await client.insert_many(
        "k", [{"code": "a", "doc": "[1]"}, {"code": "b", "doc": None}]
    )
    # the key moves to a text column; text becomes json; a new default
    v2 = _k(
        col("code", primary_key=True),
        col("doc", "json"),
        col("flag", "boolean", default=True),
        at,
    )
    result = await client.sync_schema(v2, backup_dir=backups)
    assert result["rebuilt_tables"] == ["k"]
    assert "keep column k.id: not in the definition" in result["plan"][-1]
    again = await client.sync_schema(v2, backup_dir=backups)
    assert again["changed"] is False and again["plan"] == [result["plan"][-1]]
    info = {c["name"]: c for c in await client.get_table_info("k")}
    assert info["code"]["primary_key"] and not info["id"]["primary_key"]
    assert info["id"]["type"] == "integer" and info["doc"]["type"] == "json"
    rows = await client.select("k", order_by=["code"])
    assert [(r["id"], r["code"], r["doc"]) for r in rows] == [
        (1, "a", [1]),
        (2, "b", None),
    ]
    # json back to text, the old key dropped
    v3 = _k(col("code", primary_key=True), col("doc"), at, drop_columns=True)
    result = await client.sync_schema(v3, backup_dir=backups)
    assert "drop column id" in result["plan"][1]
    assert await client.sync_schema(v3, backup_dir=backups) == UNCHANGED
    await client.insert("k", {"code": "c", "doc": "not json"})
    # a change the rows refuse fails; the export is kept and named
    bad = _k(col("code", "integer", primary_key=True), drop_columns=True)
    error = await error_of(client.sync_schema(bad, backup_dir=backups))
    assert error.details["backup"].endswith("-kept")
    assert "rebuild table k" in error.details["step"]
    assert await client.count("k") == 3


@pytest_twisted.ensureDeferred
async def test_retries_of_a_failed_sync_share_one_export(client, mysql_db, tmp_path):
    parent = {
        "name": "pp",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "code", "type": "integer"},
        ],
    }
    child = {"name": "cc", "columns": [{"name": "id", "type": "integer",
                                        "primary_key": True}]}  # fmt: skip
    await client.sync_schema({"tables": [parent, child]})
    await client.insert("pp", {"id": 1, "code": 7})
    await client.insert("cc", {"id": 1})
    # a key to a column without an index: InnoDB refuses it (errno 150)
    # after the new column is added, which validation cannot foresee
    ref = {"name": "ref", "type": "integer",
           "references": {"table": "pp", "column": "code"}}  # fmt: skip
    evolved = {"tables": [parent, {**child, "columns": [*child["columns"], ref]}]}
    backups = tmp_path / "backups" / "b"
    for _ in range(2):
        error = await error_of(client.sync_schema(evolved, backup_dir=str(backups)))
        assert error.details.get("partial") is True
        assert error.details["backup"].endswith("-kept")
        assert len(list(backups.iterdir())) == 1
    indexed = {**parent, "indexes": [{"name": "pp_code", "columns": ["code"]}]}
    fixed = {"tables": [indexed, evolved["tables"][1]]}
    report = await client.sync_schema(fixed, backup_dir=str(backups))
    assert report["changed"] is True
    (only,) = backups.iterdir()
    assert str(only) == report["backup"] and not only.name.endswith("-kept")
    assert {name for name, _, _ in read_export(str(only))} == {"cc"}
    assert (await client.sync_schema(fixed, backup_dir=str(backups)))[
        "changed"
    ] is False
