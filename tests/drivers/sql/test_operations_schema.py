"""
The schema methods and raw SQL (PROTOCOL.md section 4): create_table,
drop_table, get_table_info, list_tables, execute, against the real server.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.exceptions import InvalidParams
from tests.support.live import error_of, query, running_driver, unchecked

PROJECTS = {
    "name": "projects",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
    ],
}
FILES = {
    "name": "files",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {
            "name": "project_id",
            "type": "integer",
            "not_null": True,
            "references": {"table": "projects", "column": "id", "on_delete": "cascade"},
        },
        {"name": "path", "type": "text", "not_null": True},
        {"name": "size", "type": "integer", "default": 0},
    ],
    "unique": [["project_id", "path"]],
    "indexes": [{"name": "files_by_project", "columns": ["project_id"]}],
}
ALL_TYPES = {
    "name": "every_type",
    "columns": [
        {"name": "k", "type": "text", "primary_key": True},
        {"name": "i", "type": "integer", "not_null": True, "default": 7},
        {"name": "b", "type": "bigint"},
        {"name": "r", "type": "real", "default": 1.5},
        {"name": "t", "type": "text", "default": "it's"},
        {"name": "bl", "type": "blob"},
        {"name": "flag", "type": "boolean", "default": True},
        {"name": "at", "type": "timestamp"},
        {"name": "doc", "type": "json"},
    ],
}


PAIR = (("a", "text"), ("b", "integer"))
_V = {"name": "v", "type": "text"}


def _info(name: str, kind: str, **fields: Any) -> dict[str, Any]:
    info = {"name": name, "type": kind, "not_null": False}
    info.update({"default": None, "primary_key": False})
    info.update(fields)
    return info


@pytest_twisted.async_yield_fixture()
async def client(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        yield await running.client()


@pytest_twisted.ensureDeferred
async def test_create_table_full_schema(client: DriverClient, tmp_path: Path) -> None:
    assert await client.create_table(PROJECTS) is True
    assert await client.create_table(FILES) is True
    assert await client.get_table_info("files") == [
        _info("id", "integer", primary_key=True),
        _info("project_id", "integer", not_null=True),
        _info("path", "text", not_null=True),
        _info("size", "integer", default="0"),
    ]
    indexes = query(tmp_path, "SELECT name, sql FROM sqlite_master WHERE type='index'")
    assert (
        "files_by_project",
        'CREATE INDEX "files_by_project" ON "files" ("project_id")',
    ) in indexes
    ddl = query(tmp_path, "SELECT sql FROM sqlite_master WHERE name='files'")[0][0]
    assert "AUTOINCREMENT" in ddl
    assert 'REFERENCES "projects" ("id") ON DELETE CASCADE' in ddl
    assert 'UNIQUE ("project_id", "path")' in ddl


@pytest_twisted.ensureDeferred
async def test_constraints_of_a_created_table(
    client: DriverClient, tmp_path: Path
) -> None:
    await client.create_table(PROJECTS)
    await client.create_table(FILES)
    a = await client.insert("projects", {"name": "a"})
    b = await client.insert("projects", {"name": "b"})
    assert (a, b) == (1, 2)
    for project, path in ((a, "x"), (a, "y"), (b, "x")):
        await client.insert("files", {"project_id": project, "path": path})
    # the default fills size
    assert query(tmp_path, "SELECT DISTINCT size FROM files") == [(0,)]
    # column unique, table-level unique, not null, foreign key
    for table, data in (
        ("projects", {"name": "a"}),
        ("files", {"project_id": a, "path": "x"}),
        ("files", {"project_id": a, "path": None}),
        ("files", {"project_id": 99, "path": "z"}),
    ):
        error = await error_of(client.insert(table, data))
        assert error.code == "constraint_violation", (table, data)
    assert await client.count("files") == 3
    # on_delete cascade: deleting a project deletes its files
    assert await client.delete("projects", {"id": a}) == 1
    assert query(tmp_path, "SELECT project_id, path FROM files") == [(b, "x")]
    assert await client.select("files", columns=["path"]) == [{"path": "x"}]


@pytest_twisted.ensureDeferred
async def test_create_table_if_not_exists(client: DriverClient, tmp_path: Path) -> None:
    assert await client.create_table(PROJECTS, if_not_exists=True) is True
    await client.insert("projects", {"name": "kept"})
    other = {"name": "projects", "columns": [{"name": "z", "type": "text"}]}
    assert await client.create_table(other, if_not_exists=True) is False
    error = await error_of(client.create_table(other))
    assert error.code == "sql_error"
    assert "already exists" in error.message
    assert query(tmp_path, "SELECT name FROM projects") == [("kept",)]
    assert [c["name"] for c in await client.get_table_info("projects")] == [
        "id",
        "name",
    ]


@pytest_twisted.ensureDeferred
async def test_create_table_invalid_schema(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_type = {"name": "t", "columns": [{"name": "a", "type": "varchar"}]}
    with pytest.raises(InvalidParams):  # refused locally by the client
        await client.create_table(bad_type)
    unchecked(monkeypatch)
    for schema in (
        bad_type,
        {"name": "t", "columns": []},
        {"name": "t x", "columns": [{"name": "a", "type": "text"}]},
        {"name": "t", "columns": [{"name": "a", "type": "text", "colour": 1}]},
        {"name": "t", "columns": [{"name": "a", "type": "text"}], "unique": [["b"]]},
    ):
        error = await error_of(client.create_table(schema))
        assert error.code == "invalid_params", schema
    assert query(tmp_path, "SELECT name FROM sqlite_master") == []


@pytest_twisted.ensureDeferred
async def test_drop_table(client: DriverClient, tmp_path: Path) -> None:
    await client.create_table(PROJECTS)
    await client.create_table(FILES)
    assert await client.drop_table("files") is True
    assert await client.list_tables() == ["projects"]
    error = await error_of(client.drop_table("files"))
    assert error.code == "no_such_table"
    assert await client.drop_table("files", if_exists=True) is False
    error = await error_of(client.insert("files", {"path": "x"}))
    assert error.code == "no_such_table"
    names = query(tmp_path, "SELECT name FROM sqlite_master WHERE type='table'")
    assert ("files",) not in names


@pytest_twisted.ensureDeferred
async def test_get_table_info_every_type(client: DriverClient) -> None:
    await client.create_table(ALL_TYPES)
    assert await client.get_table_info("every_type") == [
        _info("k", "text", not_null=True, primary_key=True),
        _info("i", "integer", not_null=True, default="7"),
        _info("b", "bigint"),
        _info("r", "real", default="1.5"),
        _info("t", "text", default="'it''s'"),
        _info("bl", "blob"),
        _info("flag", "boolean", default="1"),
        _info("at", "timestamp"),
        _info("doc", "json"),
    ]
    # a table of another schema: its own types, in lower case
    await client.execute("CREATE TABLE legacy (a VARCHAR(10) DEFAULT 'x', b NUMERIC)")
    assert await client.get_table_info("legacy") == [
        _info("a", "varchar(10)", default="'x'"),
        _info("b", "numeric"),
    ]
    error = await error_of(client.get_table_info("absent"))
    assert error.code == "no_such_table"


@pytest_twisted.ensureDeferred
async def test_list_tables(client: DriverClient) -> None:
    assert await client.list_tables() == []
    await client.create_table(PROJECTS)  # autoincrement: sqlite_sequence exists
    await client.create_table(ALL_TYPES)
    await client.execute("CREATE TABLE a_raw (x)")
    assert await client.list_tables() == ["a_raw", "every_type", "projects"]


@pytest_twisted.ensureDeferred
async def test_execute(client: DriverClient, tmp_path: Path) -> None:
    ddl = await client.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT)")
    assert ddl == {"columns": [], "rows": [], "rowcount": -1, "lastrowid": None}
    first = await client.execute("INSERT INTO n (v) VALUES (?)", ["a"])
    assert first == {"columns": [], "rows": [], "rowcount": 1, "lastrowid": 1}
    second = await client.execute("INSERT INTO n (v) VALUES (?), (?)", ["b", "c"])
    assert second["rowcount"] == 2
    assert second["lastrowid"] == 3
    selected = await client.execute(
        "SELECT id, v AS value FROM n WHERE v != ? ORDER BY id", ["b"]
    )
    assert selected["columns"] == ["id", "value"]
    assert selected["rows"] == [[1, "a"], [3, "c"]]
    assert selected["rowcount"] == 2
    returned = await client.execute("INSERT INTO n (v) VALUES ('d') RETURNING id, v")
    assert returned == {
        "columns": ["id", "v"],
        "rows": [[4, "d"]],
        "rowcount": 1,
        "lastrowid": 4,
    }
    await client.execute("DELETE FROM n WHERE id = 4")
    updated = await client.execute("UPDATE n SET v = upper(v) WHERE id > ?", [1])
    assert updated["rowcount"] == 2
    assert query(tmp_path, "SELECT v FROM n ORDER BY id") == [("a",), ("B",), ("C",)]


@pytest_twisted.ensureDeferred
async def test_execute_ddl_is_seen_by_table_methods(client: DriverClient) -> None:
    await client.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, a TEXT)")
    assert await client.insert("d", {"a": "x"}) == 1
    await client.execute("ALTER TABLE d ADD COLUMN b INTEGER")
    assert await client.insert("d", {"a": "y", "b": 2}) == 2
    # BEGIN ... END of a trigger body is not transaction control
    await client.execute(
        "CREATE TRIGGER d_upper AFTER INSERT ON d BEGIN "
        "UPDATE d SET a = upper(a) WHERE id = new.id; END"
    )
    assert await client.insert("d", {"a": "t"}) == 3
    assert await client.select("d", {"id": 3}, columns=["a"]) == [{"a": "T"}]
    await client.execute("DROP TABLE d")
    error = await error_of(client.insert("d", {"a": "z"}))
    assert error.code == "no_such_table"


@pytest_twisted.ensureDeferred
async def test_execute_errors(
    client: DriverClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.execute("CREATE TABLE e (a TEXT)")
    control = ["BEGIN", "commit", "  -- c\n ROLLBACK", "/* x */ savepoint s", "END"]
    for sql in control:  # refused locally by the client...
        with pytest.raises(InvalidParams):
            await client.execute(sql)
    unchecked(monkeypatch)
    for sql in [*control, "RELEASE s", "START TRANSACTION"]:  # ...and by the server
        error = await error_of(client.execute(sql))
        assert error.code == "invalid_params", sql
    wrong_count = await error_of(client.execute("SELECT ?, ?", [1]))
    assert wrong_count.code == "invalid_params"
    assert (await error_of(client.execute("SELEC 1"))).code == "sql_error"
    missing = await error_of(client.execute("SELECT * FROM absent"))
    assert missing.code == "no_such_table"
    column = await error_of(client.execute("SELECT nope FROM e"))
    assert column.code == "no_such_column"
    # nothing above left a transaction open on a pooled connection
    for n in range(8):
        await client.execute("INSERT INTO e VALUES (?)", [str(n)])
    assert (await client.execute("SELECT count(*) FROM e"))["rows"] == [[8]]


@pytest_twisted.ensureDeferred
async def test_execute_lastrowid_only_for_an_insert(tmp_path: Path) -> None:
    # one pooled connection: every statement runs after the insert on it
    async with running_driver(tmp_path, pool_size=1) as running:
        client = await running.client()
        await client.execute("CREATE TABLE l (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        inserted = await client.execute("INSERT INTO l (v) VALUES ('a')")
        assert inserted["lastrowid"] == 1
        for sql in (
            "SELECT v FROM l",
            "UPDATE l SET v = 'b'",
            "INSERT OR IGNORE INTO l (v) VALUES ('b')",
            "DELETE FROM l",
        ):
            assert (await client.execute(sql))["lastrowid"] is None, sql
        replaced = await client.execute("REPLACE INTO l (id, v) VALUES (7, 'c')")
        assert replaced["lastrowid"] == 7


@pytest_twisted.ensureDeferred
async def test_defaults_must_be_storable(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def schema(kind: str, default: Any) -> dict[str, Any]:
        column = {"name": "c", "type": kind, "default": default}
        return {"name": "d", "columns": [column]}

    bad = [
        schema("real", math.nan),
        schema("real", math.inf),
        schema("real", -math.inf),
        schema("integer", 2**63),
        schema("text", True),
        schema("json", {"a": 1}),
    ]
    for each in bad:
        with pytest.raises(InvalidParams):
            await client.create_table(each)
    unchecked(monkeypatch)
    for each in bad:
        assert (await error_of(client.create_table(each))).code == "invalid_params"
    assert query(tmp_path, "SELECT name FROM sqlite_master") == []
    await client.create_table(schema("real", -1e300))
    await client.insert("d", {"c": None})
    await client.execute("INSERT INTO d DEFAULT VALUES")
    assert (await client.execute("SELECT c FROM d"))["rows"] == [[None], [-1e300]]


@pytest_twisted.ensureDeferred
async def test_primary_keys_are_never_null(
    client: DriverClient, tmp_path: Path
) -> None:
    # SQLite alone lets a key other than INTEGER PRIMARY KEY hold NULLs
    pair = [{"name": n, "type": t, "primary_key": True} for n, t in PAIR]
    await client.create_table({"name": "pairs", "columns": pair})
    big = [{"name": "id", "type": "bigint", "primary_key": True}]
    await client.create_table({"name": "big", "columns": [*big, _V]})
    await client.create_table(ALL_TYPES)
    for table, data in (
        ("every_type", {"i": 1}),
        ("pairs", {"a": "x"}),
        ("big", {"v": "x"}),
        ("big", {"id": None, "v": "x"}),
    ):
        error = await error_of(client.insert(table, data))
        assert error.code == "constraint_violation", (table, data)
    assert await client.insert("big", {"id": 2**40, "v": "x"}) == 2**40
    assert await client.insert("pairs", {"a": "x", "b": 1}) is None
    assert await client.get_table_info("pairs") == [
        _info("a", "text", not_null=True, primary_key=True),
        _info("b", "integer", not_null=True, primary_key=True),
    ]
    assert query(tmp_path, "SELECT count(*) FROM every_type") == [(0,)]
    assert query(tmp_path, "SELECT * FROM big") == [(2**40, "x")]
