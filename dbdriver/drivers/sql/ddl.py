"""
The DDL half of a dialect: a table schema (L{TableSchema}) as the
statements that create it, with identifiers quoted and the schema's own
literals (defaults, the operands of checks and partial indexes) escaped,
since no backend takes parameters in DDL.

L{TableDDL} renders standard SQL, SQLite's where backends differ; each
backend's dialect overrides the hooks it needs (C{now_sql}, C{uuid_sql},
C{length_sql}, C{index_sql}, C{fulltext_sql}, ...).  Nothing here touches a
connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.tableschema import Check, Column, Index, Reference, TableSchema
from dbdriver.requests.where import Node

__all__ = ["TableDDL"]


class TableDDL:
    """
    Table DDL for one backend; the defaults are SQLite's.
    """

    name: ClassVar[str] = "sqlite"
    quote_char: ClassVar[str] = '"'
    param: ClassVar[str] = "?"
    #: The function that counts a text's characters.
    length_function: ClassVar[str] = "length"
    types: ClassVar[dict[str, str]] = {
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "real": "REAL",
        "text": "TEXT",
        "blob": "BLOB",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP TEXT",
        "json": "JSON TEXT",
        "uuid": "UUID TEXT",
    }

    # -- pieces --------------------------------------------------------------

    def quote(self, name: str) -> str:
        # Names are validated identifiers; quoting makes keywords safe.
        return f"{self.quote_char}{name}{self.quote_char}"

    def names(self, names: Sequence[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def literal(self, value: object) -> str:
        """
        An escaped literal, for DDL only (which takes no params).
        """
        if value is None:
            return "NULL"
        if value is True or value is False:
            return "1" if value else "0"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, bytes):
            return f"X'{value.hex()}'"
        return "'" + str(value).replace("'", "''") + "'"

    def typed_literal(self, value: object, column_type: str) -> str:
        """
        A literal default of a column of C{column_type}.
        """
        return self.literal(value)

    def column_type(self, column: Column) -> str:
        return self.types[column.type]

    def where(self, node: Node) -> tuple[str, list[object]]:
        """
        A where tree as SQL and its params (the DML half renders it).
        """
        raise NotImplementedError

    def literal_where(self, node: Node) -> str:
        """
        A where tree of a schema (a check, a partial index) as SQL with its
        operands inlined as escaped literals.
        """
        sql, params = self.where(node)
        pieces = sql.split(self.param)
        if len(pieces) != len(params) + 1:
            raise InvalidParams("a schema condition cannot be rendered")
        out = [pieces[0]]
        for value, piece in zip(params, pieces[1:], strict=True):
            out.append(self.literal(value))
            out.append(piece)
        return "".join(out)

    # -- columns -------------------------------------------------------------

    def column_sql(self, column: Column, single_pk: bool) -> str:
        parts = [self.quote(column.name), self.column_type(column)]
        if column.primary_key and single_pk:
            parts.append("PRIMARY KEY")
            if column.autoincrement:
                parts.append(self.autoincrement_sql())
        # SQLite lets a primary key other than its rowid (INTEGER PRIMARY
        # KEY, where NULL picks the next id) hold NULLs; no other backend does.
        rowid = single_pk and column.type == "integer"
        if column.not_null and not (column.primary_key and rowid):
            parts.append("NOT NULL")
        return " ".join(parts + self.constraints_sql(column))

    def live_column_sql(self, column: CatalogColumn) -> str:
        """
        The definition of a live column as the catalog describes it (one a
        rebuild keeps, absent from the definition): its type, C{NOT NULL}
        and default as they are.
        """
        declared = self.types.get(column.type, column.type)
        sql = f"{self.quote(column.name)} {declared}".rstrip()
        if column.not_null:
            sql += " NOT NULL"
        if column.default is not None:
            sql += f" DEFAULT {self.live_default(column.default)}"
        return sql

    def live_default(self, text: str) -> str:
        """
        A default as the catalog holds it, as a C{DEFAULT} clause takes it.
        """
        return text

    def constraints_sql(self, column: Column) -> list[str]:
        """
        The UNIQUE, DEFAULT, REFERENCES and CHECK clauses of a column.
        """
        parts = []
        if column.unique:
            parts.append("UNIQUE")
        default = self.default_sql(column)
        if default is not None:
            parts.append("DEFAULT " + default)
        if column.references is not None:
            parts.append(self.references_sql(column.references))
        length = self.length_sql(column)
        if length:
            parts.append(length)
        if column.check is not None:
            parts.append(self.check_sql(column.check))
        return parts

    def default_sql(self, column: Column) -> str | None:
        """
        The SQL of a column's default, or C{None}.
        """
        default = column.default
        if default is None:
            return None
        if default.kind == "literal":
            return self.typed_literal(default.value, column.type)
        if default.kind == "sql":
            return f"({default.value!s})"
        if default.value == "uuid":
            return self.uuid_sql()
        return self.now_sql(column.type)

    #: The current time, by the type of the column it fills: an ISO 8601
    #: text with offset (C{timestamp}), Unix seconds with fraction (C{real})
    #: or whole (C{integer}, C{bigint}).
    now_expressions: ClassVar[dict[str, str]] = {
        "timestamp": "(strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))",
        "real": "((julianday('now') - 2440587.5) * 86400.0)",
        "integer": "(CAST(strftime('%s', 'now') AS INTEGER))",
    }

    def now_sql(self, column_type: str) -> str:
        """
        The current time for a column of C{column_type} (L{now_expressions}).
        """
        expressions = self.now_expressions
        return expressions.get(column_type, expressions["integer"])

    def uuid_sql(self) -> str:
        """
        A random version-4 UUID in canonical text form.
        """
        hexes = "lower(hex(randomblob({})))"
        return (
            f"({hexes.format(4)} || '-' || {hexes.format(2)} || '-4' || "
            f"substr({hexes.format(2)}, 2) || '-' || "
            "substr('89ab', 1 + (abs(random()) % 4), 1) || "
            f"substr({hexes.format(2)}, 2) || '-' || {hexes.format(6)})"
        )

    def length_sql(self, column: Column) -> str:
        """
        What enforces C{max_length} (SQLite: a check; a backend with sized
        text types puts it in the type instead and renders nothing).
        """
        if column.max_length is None:
            return ""
        name = self.quote(column.name)
        return f"CHECK (length({name}) <= {int(column.max_length)})"

    def check_sql(self, check: Check) -> str:
        condition = self.literal_where(check.node)
        return f"CONSTRAINT {self.quote(check.name)} CHECK ({condition})"

    def references_sql(self, ref: Reference, columns: Sequence[str] = ()) -> str:
        head = f"FOREIGN KEY ({self.names(columns)}) " if columns else ""
        sql = f"{head}REFERENCES {self.quote(ref.table)} ({self.names(ref.columns)})"
        if ref.on_delete:
            sql += " ON DELETE " + ref.on_delete.upper()
        if ref.on_update:
            sql += " ON UPDATE " + ref.on_update.upper()
        return sql

    def autoincrement_sql(self) -> str:
        return "AUTOINCREMENT"

    # -- tables and indexes ---------------------------------------------------------

    def table_constraints(self, schema: TableSchema) -> list[str]:
        """
        The table-level clauses: a composite key, unique keys, composite
        foreign keys, checks.
        """
        lines = []
        if len(schema.primary_key) > 1:
            lines.append(f"PRIMARY KEY ({self.names(schema.primary_key)})")
        lines.extend(f"UNIQUE ({self.names(u)})" for u in schema.unique)
        lines.extend(
            self.references_sql(f.reference, f.columns) for f in schema.foreign_keys
        )
        lines.extend(self.check_sql(c) for c in schema.checks)
        return lines

    def create_table(self, schema: TableSchema, if_not_exists: bool) -> list[str]:
        single = len(schema.primary_key) == 1
        lines = [self.column_sql(c, single) for c in schema.columns]
        lines += self.table_constraints(schema)
        exists = "IF NOT EXISTS " if if_not_exists else ""
        statements = [
            f"CREATE TABLE {exists}{self.quote(schema.name)} ({', '.join(lines)})"
        ]
        for index in schema.indexes:
            statements.extend(self.index_sql(schema, index))
        return statements

    def index_sql(self, schema: TableSchema, index: Index) -> list[str]:
        """
        The statements that create one index of C{schema}.
        """
        if index.fulltext:
            return self.fulltext_sql(schema, index)
        sql = (
            f"CREATE {'UNIQUE ' if index.unique else ''}INDEX "
            f"{self.quote(index.name)} ON {self.quote(schema.name)} "
            f"({self.names(index.columns)})"
        )
        if index.node is not None:
            sql += f" WHERE {self.literal_where(index.node)}"
        return [sql]

    def fulltext_sql(self, schema: TableSchema, index: Index) -> list[str]:
        """
        The statements that create a full-text index (each backend's own).
        """
        raise InvalidParams(f"{self.name} has no full-text indexes yet")

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE {self.quote(table)}"
