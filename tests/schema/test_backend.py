"""
L{dbdriver.drivers.schema.backend}: the defaults of L{SchemaBackend}, which
suit a server with transactional DDL: its comparison rules (C{can_add},
C{same_default}, C{expected_not_null}), C{table_names} without the
bookkeeping table, and, on the real PostgreSQL (which keeps them), steps
applied and rolled back in one transaction, a backup that exports the rows
of the tables a plan alters.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from dbdriver.drivers.schema.backend import BOOKKEEPING, SchemaBackend
from dbdriver.requests.schema import parse_table
from dbdriver.requests.sync import SyncSchemaRequest
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver
from tests.support.direct import connected

ID = {"name": "id", "type": "integer", "primary_key": True}
A = {"tables": [{"name": "t", "columns": [ID, {"name": "k", "type": "text"}]}]}
ADDED = {
    "tables": [
        {
            "name": "t",
            "columns": [
                ID,
                {"name": "k", "type": "text"},
                {"name": "n", "type": "integer", "not_null": True, "default": 3},
            ],
            "indexes": [{"name": "t_by_k", "columns": ["k"]}],
        }
    ]
}


def test_the_default_rules() -> None:
    driver = make_driver(Config(database="postgresql://u@db/app"), reactor)
    backend = SchemaBackend(driver.operations)
    schema = parse_table(
        {
            "name": "t",
            "columns": [
                ID,
                {"name": "req", "type": "text", "not_null": True},
                {"name": "dflt", "type": "integer", "not_null": True, "default": 3},
                {"name": "free", "type": "text"},
            ],
        }
    )
    c = {column.name: column for column in schema.columns}
    assert backend.expected_not_null(c["id"], schema)
    assert backend.expected_not_null(c["req"], schema)
    assert not backend.expected_not_null(c["free"], schema)
    assert not backend.can_add(c["req"], schema)
    assert backend.can_add(c["dflt"], schema) and backend.can_add(c["free"], schema)
    assert backend.same_default(None, c["free"])
    assert backend.same_default("NULL", c["free"])
    assert backend.same_default(" 3 ", c["dflt"])
    assert not backend.same_default("4", c["dflt"])


@pytest_twisted.ensureDeferred
async def test_a_sync_on_postgresql(tmp_path: Path) -> None:
    async with connected("postgresql", tmp_path) as (driver, db):
        await driver.run(SyncSchemaRequest(schema_definition=A))
        await driver.insert("t", {"id": 1, "k": "a"})
        names = [
            r[0]
            for r in db.sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        assert BOOKKEEPING in names
        backup_dir = tmp_path / "backups"
        result = await driver.run(
            SyncSchemaRequest(schema_definition=ADDED, backup_dir=str(backup_dir))
        )
        assert result["added_columns"] == [{"table": "t", "column": "n"}]
        assert result["backup"] and os.path.exists(result["backup"])
        assert db.sql("SELECT id, k, n FROM t") == [(1, "a", 3)]
        indexes = db.sql("SELECT indexname FROM pg_indexes WHERE tablename = 't'")
        assert ("t_by_k",) in indexes
        backend = SchemaBackend(driver.operations)
        assert await driver.engine.pool.runInteraction(backend.table_names) == ["t"]
