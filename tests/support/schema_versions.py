"""
Two versions of the code-analysis schema for the C{sync_schema} tests:
L{V1} is L{tests.support.codeindex.SCHEMA}; L{V2} evolves it the way an
application does (a new table, new columns, new indexes, a type change, a
dropped column, a changed default, new foreign keys), and L{index_files}
fills either version with a real source tree.

The helpers check the database file of a driver started in C{tmp_path}
with a plain C{sqlite3} connection (L{db}, L{counts}); L{P} and L{T} are a
small pair of tables whose L{variant}s each differ in one way.
"""

from __future__ import annotations

import copy
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import twisted

from tests.support.codeindex import SCHEMA, ParsedFile

V1: dict[str, Any] = {"tables": copy.deepcopy(SCHEMA)}


def _table(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in definition["tables"] if t["name"] == name)


def _column(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in table["columns"] if c["name"] == name)


def _v2() -> dict[str, Any]:
    v2 = copy.deepcopy(V1)
    projects = _table(v2, "projects")
    projects["columns"] += [
        {"name": "description", "type": "text"},
        {"name": "indexed_at", "type": "timestamp"},
    ]
    files = _table(v2, "files")
    _column(files, "size")["type"] = "bigint"  # type change: a rebuild
    files["columns"].append(
        {"name": "language", "type": "text", "not_null": True, "default": "python"}
    )
    files["indexes"].append({"name": "files_by_sha1", "columns": ["sha1"]})
    classes = _table(v2, "classes")
    classes["indexes"].append({"name": "classes_by_file", "columns": ["file_id"]})
    functions = _table(v2, "functions")
    _column(functions, "args")["default"] = "[]"  # changed default: a rebuild
    functions["columns"].append(
        {
            "name": "class_id",
            "type": "integer",
            "references": {"table": "classes", "column": "id", "on_delete": "set null"},
        }
    )
    imports = _table(v2, "imports")
    imports["columns"].append({"name": "names", "type": "json"})
    ast_trees = _table(v2, "ast_trees")
    ast_trees["drop_columns"] = True
    ast_trees["columns"] = [c for c in ast_trees["columns"] if c["name"] != "dump"] + [
        {"name": "tree", "type": "json"}
    ]
    v2["tables"].append(
        {
            "name": "symbols",
            "columns": [
                {
                    "name": "id",
                    "type": "integer",
                    "primary_key": True,
                    "autoincrement": True,
                },
                {
                    "name": "file_id",
                    "type": "integer",
                    "not_null": True,
                    "references": {
                        "table": "files",
                        "column": "id",
                        "on_delete": "cascade",
                    },
                },
                {"name": "name", "type": "text", "not_null": True},
                {"name": "kind", "type": "text", "not_null": True},
                {"name": "line", "type": "integer"},
            ],
            "indexes": [{"name": "symbols_by_name", "columns": ["name"]}],
        }
    )
    return v2


V2 = _v2()

#: What applying V2 to a V1 database reports (besides backup and plan).
V2_REPORT = {
    "changed": True,
    "created_tables": ["symbols"],
    "added_columns": [
        {"table": "projects", "column": "description"},
        {"table": "projects", "column": "indexed_at"},
        {"table": "files", "column": "language"},
        {"table": "functions", "column": "class_id"},
        {"table": "imports", "column": "names"},
        {"table": "ast_trees", "column": "tree"},
    ],
    "created_indexes": ["files_by_sha1", "classes_by_file", "symbols_by_name"],
    "rebuilt_tables": ["files", "functions", "ast_trees"],
}


async def index_files(client: Any, project: str, files: list[ParsedFile]) -> int:
    """Index C{files} under a new project (V1 columns); its id."""
    project_id = await client.insert("projects", {"name": project, "root": "/src"})
    for parsed in files:
        file_id = await client.insert("files", {"project_id": project_id, **parsed.row})
        operations = [
            {"method": "insert_many", "params": {"table": table, "rows": rows}}
            for table, rows in (
                ("classes", [{"file_id": file_id, **r} for r in parsed.classes]),
                ("functions", [{"file_id": file_id, **r} for r in parsed.functions]),
                ("imports", [{"file_id": file_id, **r} for r in parsed.imports]),
                ("ast_trees", [{"file_id": file_id, "dump": parsed.dump}]),
                ("cst_trees", [{"file_id": file_id, "source": parsed.source}]),
            )
            if rows
        ]
        await client.batch(operations)
    return project_id


def snapshot(connection: Any) -> list[tuple[Any, ...]]:
    """The schema of a database: its sqlite_master rows, sorted."""
    return sorted(
        connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_autoindex%'"
        ).fetchall(),
        key=repr,
    )


# -- the real-data database ------------------------------------------------

SOURCE = Path(twisted.__file__).parent / "internet"
TABLES = ["projects", "files", "classes", "functions", "imports"]
TABLES += ["ast_trees", "cst_trees"]

#: What applying V1 to an empty database reports (no backup, no plan).
V1_REPORT = {
    "changed": True,
    "created_tables": TABLES,
    "added_columns": [],
    "created_indexes": ["files_by_project", "classes_by_name", "functions_by_name"],
    "rebuilt_tables": [],
}


def db(tmp_path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(tmp_path / "db.sqlite3"))


def counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        for t in TABLES
    }


# -- a small table, for one kind of change at a time ---------------------------

P = {"name": "p", "columns": [{"name": "id", "type": "integer", "primary_key": True}]}
T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True},
        {"name": "size", "type": "integer", "default": 0},
        {
            "name": "ref",
            "type": "integer",
            "references": {"table": "p", "column": "id"},
        },
        {"name": "tag", "type": "text"},
    ],
    "indexes": [{"name": "t_by_name", "columns": ["name"]}],
}
ROWS = [{"name": f"n{i}", "ref": 1 + i % 2, "tag": f"t{i}"} for i in range(5)]


def variant(**changes: Any) -> dict[str, Any]:
    table = copy.deepcopy(T)
    for column in changes.pop("columns", []):
        names = [c["name"] for c in table["columns"]]
        if column["name"] in names:
            table["columns"][names.index(column["name"])] = column
        else:
            table["columns"].append(column)
    drop = changes.pop("without", None)
    if drop:
        table["columns"] = [c for c in table["columns"] if c["name"] != drop]
    table.update(changes)
    return table


def col(name: str, kind: str = "text", **flags: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **flags}


REF = {"table": "p", "column": "id"}


async def seed_p_t(client: Any) -> None:
    """
    Tables P and T synced, with two rows in P and L{ROWS} in T.
    """
    await client.sync_schema({"tables": [P, T]})
    await client.insert_many("p", [{"id": 1}, {"id": 2}])
    await client.insert_many("t", ROWS)
