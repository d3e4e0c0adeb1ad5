"""
C{sync_schema} (PROTOCOL.md section 4): make the database match a declared
set of tables.
"""

from __future__ import annotations

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.schema import TableSchema, parse_table
from dbdriver.requests.values import Value

__all__ = ["SyncSchemaRequest"]


@attrs.define(slots=True)
class SyncSchemaRequest(BaseRequest):
    method = "sync_schema"
    alone = True
    schema_definition: dict[str, Value]
    backup_dir: str | None = None
    dry_run: bool = False
    tables: list[TableSchema] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        definition = self.schema_definition
        if not isinstance(definition, dict) or set(definition) != {"tables"}:
            raise InvalidParams('schema_definition must be {"tables": [...]}')
        tables = check.array(definition["tables"], "schema_definition.tables")
        self.tables = [parse_table(t) for t in tables]
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise InvalidParams("schema_definition names a table twice")
        if self.backup_dir is not None:
            check.text(self.backup_dir, "backup_dir")
        check.boolean(self.dry_run, "dry_run")

    @property
    def writes(self) -> bool:
        return not self.dry_run
