"""
C{sync_schema}, one kind of change at a time, on a small table with rows:
what the plan says, whether SQLite's C{ALTER TABLE} does it or the table is
rebuilt, that the rows survive, and that applying the same definition again
changes nothing (no difference seen where there is none).
"""

from __future__ import annotations

import copy

import pytest
import pytest_twisted

from dbdriver.exceptions import ConstraintViolation
from dbdriver.testing import start_driver
from tests.support.live import error_of
from tests.support.schema_versions import REF, P, T, col, seed_p_t, variant

# (id, table, how: "add" | "index" | "rebuild" | "none", a line of the plan)
KINDS = [
    ("add-nullable", variant(columns=[col("x")]), "add", "add column t.x (text)"),
    (
        "add-not-null-default",
        variant(columns=[col("x", not_null=True, default="d")]),
        "add",
        "add column t.x (text)",
    ),
    (
        "add-reference",
        variant(columns=[col("x", "integer", references=REF)]),
        "add",
        "add column t.x (integer)",
    ),
    (
        "add-unique",
        variant(columns=[col("x", unique=True)]),
        "rebuild",
        "rebuild table t: new unique (x); add column x (text)",
    ),
    (
        "add-reference-with-default",
        variant(columns=[col("x", "integer", default=1, references=REF)]),
        "rebuild",
        "rebuild table t: new foreign key (x) -> p(id) on delete no action; "
        "add column x (integer)",
    ),
    (
        "type",
        variant(columns=[col("size", "real", default=0)]),
        "rebuild",
        "rebuild table t: column size type integer -> real; "
        "column size default 0 -> 0.0",
    ),
    (
        "not-null",
        variant(columns=[col("tag", not_null=True)]),
        "rebuild",
        "rebuild table t: column tag not null",
    ),
    (
        "nullable",
        variant(columns=[col("name")]),
        "rebuild",
        "rebuild table t: column name nullable",
    ),
    (
        "default",
        variant(columns=[col("size", "integer", default=-1)]),
        "rebuild",
        "rebuild table t: column size default 0 -> -1",
    ),
    (
        "no-default",
        variant(columns=[col("size", "integer")]),
        "rebuild",
        "rebuild table t: column size default 0 -> None",
    ),
    (
        "unique",
        variant(unique=[["name", "tag"]]),
        "rebuild",
        "rebuild table t: new unique (name, tag)",
    ),
    ("new-reference", variant(columns=[col("tag", references=REF)]), "violation", ""),
    (
        "reference-action",
        variant(
            columns=[col("ref", "integer", references={**REF, "on_delete": "cascade"})]
        ),
        "rebuild",
        "rebuild table t: new foreign key (ref) -> p(id) on delete cascade; "
        "drop foreign key (ref) -> p(id) on delete no action",
    ),
    (
        "drop-reference",
        variant(columns=[col("ref", "integer")]),
        "rebuild",
        "rebuild table t: drop foreign key (ref) -> p(id) on delete no action",
    ),
    (
        "drop-column",
        variant(without="tag", drop_columns=True),
        "rebuild",
        "rebuild table t: drop column tag",
    ),
    (
        "keep-column",
        variant(without="tag"),
        "none",
        "keep column t.tag: not in the "
        'definition (set "drop_columns": true to drop it)',
    ),
    (
        "new-index",
        variant(indexes=[*T["indexes"], {"name": "t_by_tag", "columns": ["tag"]}]),
        "index",
        "create index t_by_tag on t (tag)",
    ),
    (
        "index-columns",
        variant(indexes=[{"name": "t_by_name", "columns": ["name", "tag"]}]),
        "index",
        "recreate index t_by_name on t (name, tag)",
    ),
    (
        "index-unique",
        variant(indexes=[{"name": "t_by_name", "columns": ["name"], "unique": True}]),
        "index",
        "recreate unique index t_by_name on t (name)",
    ),
    (
        "primary-key",
        variant(columns=[col("id", "integer"), col("name", primary_key=True)]),
        "rebuild",
        "rebuild table t: primary key (id) -> (name); autoincrement off",
    ),
    (
        "autoincrement-off",
        variant(columns=[col("id", "integer", primary_key=True)]),
        "rebuild",
        "rebuild table t: autoincrement off",
    ),
]


@pytest.mark.parametrize(
    ("table", "how", "line"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS]
)
@pytest_twisted.ensureDeferred
async def test_one_kind_of_change(tmp_path, table, how, line):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        await seed_p_t(client)
        await client.delete("t", {"name": "n4"})  # AUTOINCREMENT remembers id 5
        wanted = {"tables": [P, table]}
        backups = str(tmp_path / "backups")
        if how == "violation":
            error = await error_of(client.sync_schema(wanted, backup_dir=backups))
            assert isinstance(error, ConstraintViolation)
            assert error.details["count"] == 4
            assert (await client.sync_schema({"tables": [P, T]}))["changed"] is False
            return
        dry = await client.sync_schema(wanted, dry_run=True)
        assert dry["changed"] is (how != "none")
        assert line in dry["plan"], dry["plan"]
        result = await client.sync_schema(wanted, backup_dir=backups)
        assert result["changed"] is (how != "none")
        assert result["rebuilt_tables"] == (["t"] if how == "rebuild" else [])
        assert (result["backup"] is not None) is (how != "none")
        if how == "add":
            assert result["added_columns"] == [{"table": "t", "column": "x"}]
        if how == "index":
            assert len(result["created_indexes"]) == 1
        assert await client.count("t") == 4
        names = await client.select("t", columns=["name"], order_by=["name"])
        assert [r["name"] for r in names] == ["n0", "n1", "n2", "n3"]
        again = await client.sync_schema(wanted)
        assert again["changed"] is False, again["plan"]
        if how == "rebuild" and table["columns"][0].get("primary_key"):
            names = {c["name"] for c in table["columns"]}
            row = {"name": "n9", "tag": "x"} if "tag" in names else {"name": "n9"}
            new_id = await client.insert("t", row)
            autoincrement = table["columns"][0].get("autoincrement")
            assert new_id == (6 if autoincrement else 5)
    finally:
        await running.stop()


EVERY_TYPE = {
    "name": "everything",
    "columns": [
        col("k1", "text", primary_key=True),
        col("k2", "bigint", primary_key=True),
        col("i", "integer", default=-7),
        col("r", "real", default=1e-05),
        col("t", "text", default="it's"),
        col("b", "blob"),
        col("flag", "boolean", default=True),
        col("off", "boolean", default=False, not_null=True),
        col("at", "timestamp", default="2026-01-01T00:00:00+00:00"),
        col("doc", "json", default="{}"),
        col("nothing", "text", default=None),
        col("u", "integer", unique=True),
    ],
    "unique": [["k1", "k2"], ["i", "r"], ["u"]],
    "indexes": [{"name": "everything_by_doc", "columns": ["doc", "t"], "unique": True}],
}
TEXT_KEY = {
    "name": "text_key",
    "columns": [col("code", "text", primary_key=True, unique=True), col("v", "json")],
    "unique": [["code"]],
}
SELF = {
    "name": "tree",
    "columns": [
        col("id", "integer", primary_key=True),
        col("parent", "integer", references={"table": "tree", "column": "id"}),
    ],
}


@pytest_twisted.ensureDeferred
async def test_every_type_key_and_default_is_seen_as_created(tmp_path):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        definition = {"tables": [EVERY_TYPE, TEXT_KEY, SELF]}
        assert (await client.sync_schema(definition))["changed"] is True
        again = await client.sync_schema(definition)
        assert again["changed"] is False, again["plan"]
        await client.insert("everything", {"k1": "a", "k2": 1, "u": 1})
        row = (await client.select("everything"))[0]
        assert (row["flag"], row["off"], row["doc"], row["t"]) == (
            True,
            False,
            {},
            "it's",
        )
        # rebuilding a table with every kind of column keeps it as it was
        rebuilt = copy.deepcopy(EVERY_TYPE)
        rebuilt["columns"].append(col("extra", "integer", unique=True))
        result = await client.sync_schema(
            {"tables": [rebuilt, TEXT_KEY, SELF]},
            backup_dir=str(tmp_path / "backups" / "b"),
        )
        assert result["rebuilt_tables"] == ["everything"]
        assert (await client.select("everything"))[0] == {**row, "extra": None}
        again = await client.sync_schema({"tables": [rebuilt, TEXT_KEY, SELF]})
        assert again["changed"] is False, again["plan"]
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_json_type_change_needs_json_text(tmp_path):
    running = await start_driver(tmp_path, backup_root=str(tmp_path / "backups"))
    try:
        client = await running.client()
        await seed_p_t(client)
        to_json = variant(columns=[col("tag", "json")])
        error = await error_of(
            client.sync_schema(
                {"tables": [P, to_json]}, backup_dir=str(tmp_path / "backups")
            )
        )
        assert isinstance(error, ConstraintViolation)
        assert error.details["column"] == "tag" and error.details["rows"] == 5
        await client.update("t", None, {"tag": '["ok"]'}, all_rows=True)
        result = await client.sync_schema(
            {"tables": [P, to_json]}, backup_dir=str(tmp_path / "backups")
        )
        assert result["rebuilt_tables"] == ["t"]
        assert (await client.select("t", columns=["tag"], limit=1)) == [{"tag": ["ok"]}]
    finally:
        await running.stop()
