"""
The code-analysis server's data, for the real-data tests and the W6
benchmark: a schema (projects, files, classes, functions, imports, AST and
CST trees) and the rows of a real Python source tree, parsed with L{ast}.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs


def _id() -> dict[str, Any]:
    return {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True}


def _ref(table: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "integer",
        "not_null": True,
        "references": {"table": table, "column": "id", "on_delete": "cascade"},
    }


SCHEMA: list[dict[str, Any]] = [
    {"name": "projects", "columns": [
        _id(), {"name": "name", "type": "text", "not_null": True, "unique": True},
        {"name": "root", "type": "text"}]},
    {"name": "files", "columns": [
        _id(), _ref("projects", "project_id"),
        {"name": "path", "type": "text", "not_null": True},
        {"name": "size", "type": "integer", "default": 0},
        {"name": "sha1", "type": "text"},
        {"name": "lines", "type": "integer"}],
     "unique": [["project_id", "path"]],
     "indexes": [{"name": "files_by_project", "columns": ["project_id"]}]},
    {"name": "classes", "columns": [
        _id(), _ref("files", "file_id"),
        {"name": "name", "type": "text", "not_null": True},
        {"name": "line", "type": "integer"},
        {"name": "bases", "type": "json"}],
     "indexes": [{"name": "classes_by_name", "columns": ["name"]}]},
    {"name": "functions", "columns": [
        _id(), _ref("files", "file_id"),
        {"name": "class_name", "type": "text"},
        {"name": "name", "type": "text", "not_null": True},
        {"name": "line", "type": "integer"},
        {"name": "is_async", "type": "boolean", "default": False},
        {"name": "args", "type": "json"}],
     "indexes": [{"name": "functions_by_name", "columns": ["name"]}]},
    {"name": "imports", "columns": [
        _id(), _ref("files", "file_id"),
        {"name": "module", "type": "text", "not_null": True},
        {"name": "line", "type": "integer"}]},
    {"name": "ast_trees", "columns": [
        _id(), _ref("files", "file_id"), {"name": "dump", "type": "text"}]},
    {"name": "cst_trees", "columns": [
        _id(), _ref("files", "file_id"), {"name": "source", "type": "blob"}]},
]  # fmt: skip


@attrs.frozen
class ParsedFile:
    path: str
    source: bytes
    classes: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    imports: list[dict[str, Any]]
    dump: str

    @property
    def row(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": len(self.source),
            "sha1": hashlib.sha1(self.source).hexdigest(),
            "lines": self.source.count(b"\n"),
        }

    def operations(self, project_id: int) -> list[dict[str, Any]]:
        """
        This file as the operations of one C{transaction} request: its
        C{files} row first, then the rows that hang off it, each binding
        (C{"bind"}) C{file_id} to the id the first one returns.
        """
        row = {"project_id": project_id, **self.row}
        operations = [{"method": "insert", "params": {"table": "files", "data": row}}]
        for table, rows in (
            ("classes", self.classes),
            ("functions", self.functions),
            ("imports", self.imports),
        ):
            if rows:
                params = {"table": table, "rows": rows}
                operations.append({"method": "insert_many", "params": params})
        for table, data in (
            ("ast_trees", {"dump": self.dump}),
            ("cst_trees", {"source": self.source}),
        ):
            operations.append(
                {"method": "insert", "params": {"table": table, "data": data}}
            )
        for operation in operations[1:]:
            operation["bind"] = {"file_id": 0}
        return operations


def _functions(tree: ast.AST) -> Iterator[dict[str, Any]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield _function(item, node.name)
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield _function(node, None)


def _function(node: Any, class_name: str | None) -> dict[str, Any]:
    return {
        "class_name": class_name,
        "name": node.name,
        "line": node.lineno,
        "is_async": isinstance(node, ast.AsyncFunctionDef),
        "args": [a.arg for a in node.args.args],
    }


def parse_tree(root: Path, limit: int | None = None) -> list[ParsedFile]:
    """
    Every parseable C{.py} file below C{root}, sorted by path.
    """
    parsed = []
    for path in sorted(root.rglob("*.py"))[:limit]:
        source = path.read_bytes()
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        classes = [
            {
                "name": n.name,
                "line": n.lineno,
                "bases": [ast.unparse(b) for b in n.bases],
            }
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef)
        ]
        imports = [
            {"module": alias.name if isinstance(n, ast.Import) else (n.module or "."),
             "line": n.lineno}
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            for alias in (n.names if isinstance(n, ast.Import) else n.names[:1])
        ]  # fmt: skip
        parsed.append(
            ParsedFile(
                str(path.relative_to(root)),
                source,
                classes,
                list(_functions(tree)),
                imports,
                ast.dump(tree)[:2000],
            )
        )
    return parsed
