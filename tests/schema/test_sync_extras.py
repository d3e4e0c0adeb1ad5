"""
C{sync_schema} and what a definition does not describe: tables, columns,
indexes, views, triggers and constraints it leaves alone or carries through
a rebuild; foreign keys that would break, which roll everything back.
"""

from __future__ import annotations

import os

import pytest_twisted

from dbdriver.exceptions import ConstraintViolation
from dbdriver.testing import start_driver
from tests.schema.test_sync import SOURCE, counts, db
from tests.support.codeindex import parse_tree
from tests.support.live import error_of
from tests.support.schema_versions import (
    ROWS,
    V1,
    V2,
    P,
    col,
    index_files,
    seed_p_t,
    snapshot,
    variant,
)


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    driver = await start_driver(tmp_path, database=str(tmp_path / "db.sqlite3"))
    yield driver
    await driver.stop()


@pytest_twisted.ensureDeferred
async def test_extra_tables_columns_and_indexes_are_left_alone(running, tmp_path):
    client = await running.client()
    await client.sync_schema(V1)
    await index_files(client, "p", parse_tree(SOURCE, limit=5))
    await client.create_table(
        {"name": "legacy", "columns": [{"name": "x", "type": "text"}]}
    )
    await client.insert("legacy", {"x": "kept"})
    await client.execute("ALTER TABLE files ADD COLUMN notes VARCHAR(20) DEFAULT 'n'")
    await client.execute("CREATE INDEX files_by_notes ON files (notes)")
    await client.execute("CREATE INDEX files_by_size ON files (size) WHERE size > 0")
    await client.execute("CREATE VIEW big_files AS SELECT path FROM files")
    await client.execute(
        "CREATE TRIGGER files_note AFTER INSERT ON files "
        "BEGIN UPDATE files SET notes = 'new' WHERE id = NEW.id; END"
    )
    dry = await client.sync_schema(V1, dry_run=True)
    assert dry["changed"] is False
    assert dry["plan"] == [
        'keep column files.notes: not in the definition (set "drop_columns": true '
        "to drop it)",
        "leave index files_by_notes on files alone: not in the definition",
        "leave index files_by_size on files alone: not in the definition",
        "leave table legacy alone: not in the definition",
    ]
    result = await client.sync_schema(V2, backup_dir=str(tmp_path / "backups" / "b"))
    assert "files" in result["rebuilt_tables"]
    assert "leave table legacy alone: not in the definition" in result["plan"]
    assert await client.select("legacy") == [{"x": "kept"}]
    info = {c["name"]: c for c in await client.get_table_info("files")}
    assert info["notes"] == {
        "name": "notes",
        "type": "varchar(20)",
        "not_null": False,
        "default": "'n'",
        "primary_key": False,
    }
    assert await client.count("files", {"notes": "n"}) == 5
    with db(tmp_path) as connection:
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert {"files_by_notes", "files_by_size", "big_files", "files_note"} <= names
    file_id = await client.insert("files", {"project_id": 1, "path": "x.py"})
    assert (await client.select("files", {"id": file_id}))[0]["notes"] == "new"
    assert (await client.sync_schema(V2))["changed"] is False

    # drop_columns: the column goes, and the index on it
    v3 = {"tables": [dict(t) for t in V2["tables"]]}
    files = next(t for t in v3["tables"] if t["name"] == "files")
    files["drop_columns"] = True
    files["columns"] = [*files["columns"], {"name": "extra", "type": "integer"}]
    await client.execute("DROP TRIGGER files_note")
    result = await client.sync_schema(v3, backup_dir=str(tmp_path / "backups" / "b"))
    assert result["rebuilt_tables"] == ["files"]
    assert result["added_columns"] == [{"table": "files", "column": "extra"}]
    assert "index files_by_notes goes with its columns" in result["plan"]
    assert "notes" not in {c["name"] for c in await client.get_table_info("files")}
    with db(tmp_path) as connection:
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        assert connection.execute("SELECT count(*) FROM big_files").fetchone() == (6,)
    assert "files_by_notes" not in names and "files_by_size" in names
    assert (await client.sync_schema(v3))["changed"] is False


@pytest_twisted.ensureDeferred
async def test_broken_foreign_keys_roll_everything_back(running, tmp_path):
    client = await running.client()
    await client.sync_schema(V1)
    await index_files(client, "p", parse_tree(SOURCE, limit=5))
    broken = {"tables": [dict(t) for t in V1["tables"]]}
    imports = next(t for t in broken["tables"] if t["name"] == "imports")
    imports["columns"] = [
        c
        if c["name"] != "module"
        else {**c, "references": {"table": "modules", "column": "name"}}
        for c in imports["columns"]
    ]
    broken["tables"].append(
        {
            "name": "modules",
            "columns": [{"name": "name", "type": "text", "primary_key": True}],
        }
    )
    with db(tmp_path) as connection:
        before = snapshot(connection)
        imported = counts(connection)["imports"]
    backups = tmp_path / "backups" / "b"
    error = await error_of(client.sync_schema(broken, backup_dir=str(backups)))
    assert isinstance(error, ConstraintViolation)
    assert error.details["count"] == imported
    assert error.details["violations"][0]["table"] == "imports"
    assert error.details["violations"][0]["parent"] == "modules"
    assert len(error.details["violations"]) == min(imported, 20)
    with db(tmp_path) as connection:
        assert snapshot(connection) == before
    assert os.listdir(backups) == []
    # the writer enforces foreign keys again
    error = await error_of(client.insert("files", {"project_id": 999, "path": "x"}))
    assert isinstance(error, ConstraintViolation)
    # a NOT NULL column without a default cannot be filled: nothing changes
    strict = {"tables": [dict(t) for t in V1["tables"]]}
    strict["tables"][0] = {
        **strict["tables"][0],
        "columns": [
            *strict["tables"][0]["columns"],
            {"name": "owner", "type": "text", "not_null": True},
        ],
    }
    error = await error_of(client.sync_schema(strict, backup_dir=str(backups)))
    assert isinstance(error, ConstraintViolation)
    assert error.details["step"].startswith("rebuild table projects: add column owner")
    with db(tmp_path) as connection:
        assert snapshot(connection) == before
    assert (await client.sync_schema(V1, dry_run=True))["changed"] is False


KEPT = [
    "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE)",
    "CREATE TABLE pair (x INTEGER, y TEXT, PRIMARY KEY (x, y))",
    "CREATE TABLE c (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES p (code), "
    "extra TEXT NOT NULL DEFAULT 'e' UNIQUE REFERENCES p (code) ON DELETE CASCADE, "
    "b INTEGER, FOREIGN KEY (b, p_code) REFERENCES pair (x, y))",
    "INSERT INTO p (id, code) VALUES (1, 'e'), (2, 'f')",
    "INSERT INTO pair VALUES (7, 'f')",
    "INSERT INTO c (p_code, extra, b) VALUES ('f', 'e', 7), (NULL, 'f', NULL)",
]
C = {
    "name": "c",
    "columns": [
        col("id", "integer", primary_key=True),
        col("p_code", references={"table": "p", "column": "code"}),
        col("n", "integer", unique=True),
    ],
}


@pytest_twisted.ensureDeferred
async def test_constraints_of_kept_columns_survive_a_rebuild(tmp_path):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        for statement in KEPT:
            await client.execute(statement)
        fks = (
            'SELECT "table", "from", "to", on_update, on_delete, seq '
            "FROM pragma_foreign_key_list('c') ORDER BY 1, 2"
        )
        before = (await client.execute(fks))["rows"]
        backups = str(tmp_path / "backups" / "b")
        dry = await client.sync_schema(
            {"tables": [C]}, backup_dir=backups, dry_run=True
        )
        assert dry["plan"][0] == f"back up the database into {backups}"
        assert (
            "rebuild table c: new unique (n); add column n (integer)" in dry["plan"]
        ), dry["plan"]
        result = await client.sync_schema({"tables": [C]}, backup_dir=backups)
        assert result["rebuilt_tables"] == ["c"]
        assert (await client.execute(fks))["rows"] == before
        info = {c["name"]: c for c in await client.get_table_info("c")}
        assert (info["extra"]["not_null"], info["extra"]["default"]) == (True, "'e'")
        assert await client.select("c", columns=["p_code", "extra", "b"]) == [
            {"p_code": "f", "extra": "e", "b": 7},
            {"p_code": None, "extra": "f", "b": None},
        ]
        error = await error_of(client.insert("c", {"p_code": "f", "extra": "f"}))
        assert isinstance(error, ConstraintViolation)  # extra is still unique
        assert (await client.sync_schema({"tables": [C]}))["changed"] is False
        # p.code loses its unique: c's foreign keys would point at no key
        p = {
            "name": "p",
            "columns": [col("id", "integer", primary_key=True), col("code")],
        }
        error = await error_of(
            client.sync_schema({"tables": [p, C]}, backup_dir=backups)
        )
        assert isinstance(error, ConstraintViolation)
        assert "foreign key mismatch" in error.message
        assert (await client.sync_schema({"tables": [C]}, dry_run=True))["plan"] == [
            'keep column c.extra: not in the definition (set "drop_columns": true '
            "to drop it)",
            'keep column c.b: not in the definition (set "drop_columns": true '
            "to drop it)",
            "leave table p alone: not in the definition",
            "leave table pair alone: not in the definition",
        ]
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_an_emptied_autoincrement_table_keeps_its_sequence(tmp_path):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        await seed_p_t(client)
        await client.delete("t", None, all_rows=True)
        wanted = {"tables": [P, variant(columns=[col("size", "real")])]}
        await client.sync_schema(wanted, backup_dir=str(tmp_path / "backups" / "b"))
        assert await client.insert("t", {"name": "again"}) == len(ROWS) + 1
    finally:
        await running.stop()
