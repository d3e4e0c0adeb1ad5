"""
A realistic code-analysis schema in the protocol's table-schema format
(PROTOCOL.md section 4), in three versions (L{V1}, L{V2}, L{V3}), that uses
every key of the format: UUID and integer keys, "now" and "uuid" defaults,
max_length, column and table checks, a composite primary key, composite
foreign keys, soft-delete partial (unique) indexes, a C{vector_id IS NULL}
partial index and full-text indexes.  L{fill} fills any version with the
rows of the installed Twisted's source files.

L{same_schema} compares a C{describe_table} answer with the schema given to
C{create_table}: the meaningful parts only (the server defines the normal
form), ignoring key order, absent-vs-false flags, absent-vs-empty lists, and
the several spellings of one column flag, one-column key or where clause.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import twisted

from tests.support.codeindex import parse_tree

__all__ = ["TABLES", "V1", "V2", "V3", "counts", "fill", "normal", "same_schema"]


def _id() -> dict[str, Any]:
    return {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True}


def _ref(table: str, name: str, kind: str = "integer", **more: Any) -> dict[str, Any]:
    on_delete = more.pop("on_delete", "cascade")
    return {
        "name": name,
        "type": kind,
        "references": {"table": table, "column": "id", "on_delete": on_delete},
        **more,
    }


def _deleted() -> dict[str, Any]:
    return {"name": "deleted", "type": "integer", "not_null": True, "default": 0}


_NOW = {"function": "now"}
_LIVE = {"deleted": 0}

V1: dict[str, Any] = {"tables": [
    {"name": "projects", "columns": [
        {"name": "id", "type": "uuid", "primary_key": True,
         "default": {"function": "uuid"}},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
        {"name": "created_at", "type": "timestamp", "not_null": True,
         "default": _NOW},
        _deleted()]},
    {"name": "files", "columns": [
        _id(), _ref("projects", "project_id", "uuid", not_null=True),
        {"name": "path", "type": "text", "not_null": True},
        {"name": "content", "type": "text"},
        {"name": "sha1", "type": "text", "max_length": 40},
        {"name": "size", "type": "integer", "default": 0, "check": {"size": {">=": 0}}},
        _deleted(),
        {"name": "indexed_at", "type": "real", "default": _NOW}],
     "indexes": [
        {"name": "files_live_path", "columns": ["project_id", "path"],
         "unique": True, "where": _LIVE},
        {"name": "files_content", "columns": ["content"], "kind": "fulltext"}]},
    {"name": "file_versions", "columns": [
        _ref("files", "file_id", not_null=True),
        {"name": "version", "type": "integer", "not_null": True},
        {"name": "sha1", "type": "text", "max_length": 40},
        {"name": "created_at", "type": "timestamp", "default": _NOW}],
     "primary_key": ["file_id", "version"],
     "checks": [{"name": "file_versions_positive", "where": {"version": {">": 0}}}]},
    {"name": "ast_trees", "columns": [
        _id(), _ref("files", "file_id", not_null=True),
        {"name": "version", "type": "integer", "not_null": True, "default": 1},
        {"name": "dump", "type": "blob"}]},
    {"name": "cst_trees", "columns": [
        _id(), {"name": "file_id", "type": "integer", "not_null": True},
        {"name": "version", "type": "integer", "not_null": True},
        {"name": "source", "type": "blob"}],
     "foreign_keys": [{"columns": ["file_id", "version"],
                       "references": {"table": "file_versions",
                                      "columns": ["file_id", "version"]},
                       "on_delete": "cascade"}]},
    {"name": "classes", "columns": [
        _id(), _ref("files", "file_id", not_null=True),
        {"name": "name", "type": "text", "not_null": True, "max_length": 200},
        {"name": "line", "type": "integer", "check": {"line": {">": 0}}},
        {"name": "bases", "type": "json"},
        _deleted()],
     "indexes": [{"name": "classes_live_name", "columns": ["name"], "where": _LIVE}]},
    {"name": "functions", "columns": [
        _id(), _ref("files", "file_id", not_null=True),
        _ref("classes", "class_id", on_delete="set null"),
        {"name": "name", "type": "text", "not_null": True},
        {"name": "line", "type": "integer"},
        {"name": "is_async", "type": "boolean", "not_null": True, "default": False}],
     "indexes": [{"name": "functions_by_name", "columns": ["name"]}]},
    {"name": "locks", "columns": [
        _id(), _ref("projects", "project_id", "uuid", not_null=True),
        {"name": "resource", "type": "text", "not_null": True},
        {"name": "lock_mode", "type": "text", "not_null": True,
         "check": {"lock_mode": {"in": ["exclusive", "shared"]}}},
        {"name": "refcount", "type": "integer", "not_null": True, "default": 1,
         "check": {"refcount": {">": 0}}},
        {"name": "acquired_at", "type": "timestamp", "default": _NOW}],
     "unique": [["project_id", "resource"]]},
    {"name": "vectors", "columns": [
        _id(), _ref("files", "file_id", not_null=True),
        {"name": "vector_id", "type": "integer"},
        {"name": "model", "type": "text", "not_null": True, "default": "none"},
        {"name": "dim", "type": "integer", "not_null": True, "default": 384}],
     "checks": [{"where": {"dim": {">": 0}}}],
     "indexes": [{"name": "vectors_pending", "columns": ["file_id"],
                  "where": {"vector_id": None}}]},
]}  # fmt: skip

TABLES = [t["name"] for t in V1["tables"]]


def _table(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in definition["tables"] if t["name"] == name)


def _column(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in table["columns"] if c["name"] == name)


def _v2() -> dict[str, Any]:
    v2 = copy.deepcopy(V1)
    _table(v2, "projects")["columns"].append({"name": "description", "type": "text"})
    files = _table(v2, "files")
    files["columns"].append(
        {"name": "language", "type": "text", "not_null": True, "default": "python"}
    )
    locks = _table(v2, "locks")
    locks["checks"] = [{"name": "locks_resource", "where": {"resource": {"!=": ""}}}]
    classes = _table(v2, "classes")
    classes["columns"].append({"name": "docstring", "type": "text"})
    classes["indexes"] += [
        {"name": "classes_live_file", "columns": ["file_id"], "where": _LIVE},
        {"name": "classes_docstring", "columns": ["docstring"], "kind": "fulltext"},
    ]
    _column(_table(v2, "vectors"), "model")["default"] = "minilm"
    return v2


def _v3() -> dict[str, Any]:
    v3 = copy.deepcopy(V2)
    ast = _table(v3, "ast_trees")
    ast["foreign_keys"] = [
        {
            "columns": ["file_id", "version"],
            "references": {"table": "file_versions", "columns": ["file_id", "version"]},
            "on_delete": "cascade",
        }
    ]
    _column(_table(v3, "files"), "sha1")["max_length"] = 64
    functions = _table(v3, "functions")
    functions["columns"] = [c for c in functions["columns"] if c["name"] != "is_async"]
    functions["drop_columns"] = True
    _table(v3, "vectors")["indexes"].append(
        {"name": "vectors_by_model", "columns": ["model", "vector_id"]}
    )
    return v3


V2 = _v2()
V3 = _v3()


async def fill(client: Any, files: int = 30) -> dict[str, int]:
    """
    Two projects, each with the first C{files} source files of the installed
    Twisted and their versions, trees, classes, functions and vectors, and
    a few locks: a few hundred rows.  The rows written per table.
    """
    parsed = parse_tree(Path(twisted.__file__).parent, limit=files)
    written = dict.fromkeys(TABLES, 0)
    for name in ("indexer", "viewer"):
        project = await client.insert("projects", {"name": name}, returning=["id"])
        project_id = project["id"]
        written["projects"] += 1
        for n, mode in enumerate(["exclusive", "shared", "shared"]):
            data = {"project_id": project_id, "resource": f"r{n}", "lock_mode": mode}
            await client.insert("locks", data)
            written["locks"] += 1
        for number, source in enumerate(parsed):
            text = source.source.decode("utf-8", "replace").replace("\x00", "")
            row = {**source.row, "project_id": project_id, "content": text[:20000]}
            row.pop("lines")
            file_id = await client.insert("files", row)
            await client.insert(
                "file_versions",
                {"file_id": file_id, "version": 1, "sha1": row["sha1"]},
            )
            await client.insert(
                "ast_trees", {"file_id": file_id, "dump": source.dump.encode()}
            )
            await client.insert(
                "cst_trees",
                {"file_id": file_id, "version": 1, "source": source.source[:20000]},
            )
            vector = None if number % 2 else number
            await client.insert("vectors", {"file_id": file_id, "vector_id": vector})
            classes = [{**c, "file_id": file_id} for c in source.classes]
            functions = [
                {k: f[k] for k in ("name", "line", "is_async")} | {"file_id": file_id}
                for f in source.functions
            ]
            await client.insert_many("classes", classes)
            await client.insert_many("functions", functions)
            for table, rows in (("classes", classes), ("functions", functions)):
                written[table] += len(rows)
            for table in ("files", "file_versions", "ast_trees", "cst_trees"):
                written[table] += 1
            written["vectors"] += 1
    return written


async def counts(client: Any) -> dict[str, int]:
    """The rows of every table of the schema."""
    return {table: await client.count(table) for table in TABLES}


# --- comparing schemas -----------------------------------------------------


def _where(clause: Any) -> Any:
    """A where clause in one spelling of its meaning, comparable by value."""
    terms: list[Any] = []
    for key, value in sorted(clause.items()):
        if key in ("$and", "$or"):
            parts = sorted((_where(w) for w in value), key=repr)
            if key == "$and":
                for part in parts:
                    terms += part[1] if part[0] == "$and" else [part]
            else:
                terms.append(("$or", tuple(parts)))
        elif key == "$not":
            terms.append(("$not", _where(value)))
        elif not isinstance(value, dict):
            terms.append(_op(key, "=", value))
        else:
            terms += [_op(key, op, operand) for op, operand in value.items()]
    terms.sort(key=repr)
    return terms[0] if len(terms) == 1 else ("$and", tuple(terms))


def _op(column: str, op: str, operand: Any) -> Any:
    op = op.lower()
    if op in ("=", "!=") and operand is None:
        op, operand = "is null", op == "="
    if op in ("in", "not in"):
        operand = tuple(sorted(operand, key=repr))
    elif isinstance(operand, list):
        operand = tuple(operand)
    return (column, op, operand)


def _default(value: Any, kind: str) -> Any:
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    if (
        kind == "real"
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return float(value)
    return value


def normal(table: dict[str, Any]) -> dict[str, Any]:
    """The meaningful parts of one table schema, in one spelling."""
    columns = table["columns"]
    key = tuple(table.get("primary_key") or ())
    key = key or tuple(c["name"] for c in columns if c.get("primary_key"))
    unique = {tuple(u) for u in table.get("unique") or ()}
    unique |= {(c["name"],) for c in columns if c.get("unique")}
    foreign = set()
    for c in columns:
        if c.get("references"):
            ref = c["references"]
            foreign.add(_fk([c["name"]], ref["table"], [ref["column"]], ref))
    for fk in table.get("foreign_keys") or ():
        ref = fk["references"]
        foreign.add(_fk(fk["columns"], ref["table"], ref["columns"], fk))
    checks = [_where(c["check"]) for c in columns if c.get("check")]
    checks += [_where(c["where"]) for c in table.get("checks") or ()]
    named = {
        c["name"]: _where(c["where"])
        for c in table.get("checks") or ()
        if c.get("name")
    }
    indexes = {
        (
            i["name"],
            tuple(i["columns"]),
            bool(i.get("unique")),
            _where(i["where"]) if i.get("where") else None,
            (i.get("kind") or "btree").lower(),
        )
        for i in table.get("indexes") or ()
    }
    return {
        "name": table["name"],
        "columns": [
            {
                "name": c["name"],
                "type": c["type"],
                "not_null": bool(c.get("not_null")) or c["name"] in key,
                "autoincrement": bool(c.get("autoincrement")),
                "max_length": c.get("max_length"),
                "default": _default(c.get("default"), c["type"]),
            }
            for c in columns
        ],
        "primary_key": key,
        "unique": unique,
        "foreign_keys": foreign,
        "checks": sorted(checks, key=repr),
        "named_checks": named,
        "indexes": indexes,
    }


def _fk(columns: Any, table: str, refs: Any, actions: dict[str, Any]) -> Any:
    def action(name: str) -> str:
        return str(actions.get(name) or "no action").lower()

    return (
        tuple(columns),
        table,
        tuple(refs),
        action("on_delete"),
        action("on_update"),
    )


def same_schema(described: dict[str, Any], given: dict[str, Any]) -> bool:
    """
    Whether C{described} (a C{describe_table} answer) means C{given}; a
    difference fails with both normal forms side by side.
    """
    got, want = normal(described), normal(given)
    named = want.pop("named_checks")
    have = got.pop("named_checks")
    for name, where in named.items():
        assert have.get(name) == where, (name, have, named)
    assert got == want, (got, want)
    return True
