"""
C{sync_schema} (PROTOCOL.md section 4): make the database match a declared
set of tables.
"""

from __future__ import annotations

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.fields import FLAG, checked, deriving
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema
from dbdriver.requests.values import Value

__all__ = ["SyncSchemaRequest"]


def _tables(definition: object) -> list[TableSchema]:
    if not isinstance(definition, dict) or set(definition) != {"tables"}:
        raise InvalidParams('schema_definition must be {"tables": [...]}')
    tables = check.array(definition["tables"], "schema_definition.tables")
    parsed = [parse_table(t) for t in tables]
    names = [t.name for t in parsed]
    if len(set(names)) != len(names):
        raise InvalidParams("schema_definition names a table twice")
    return parsed


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class SyncSchemaRequest(BaseRequest):
    method = "sync_schema"
    alone = True
    schema_definition: dict[str, Value] = attrs.field(
        validator=deriving("tables", _tables)
    )
    backup_dir: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(checked(check.text))
    )
    dry_run: bool = FLAG
    tables: list[TableSchema] = attrs.field(init=False)

    @property
    def writes(self) -> bool:
        return not self.dry_run

    @property
    def raw_sql(self) -> bool:
        """A C{{"sql": ...}} default is SQL the client wrote."""
        return any(t.raw_sql for t in self.tables)
