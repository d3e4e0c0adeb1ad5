"""
The backups of C{sync_schema} as units: the SQLite copy (verified, never
left half-written, refused while the source stays locked) and the data
export that database-server backends write (JSON lines and a manifest,
read back by L{read_export} for a restore).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from dbdriver.drivers.schema.backup import (
    EXPORT_FORMAT,
    backup_sqlite,
    export_tables,
    read_export,
    stamp,
    verify_sqlite,
)
from dbdriver.drivers.schema.plan import AddColumn, Plan
from dbdriver.drivers.schema.sync import SchemaBackend
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import Busy, InternalError, InvalidParams
from dbdriver.requests.tableschema import Column, Default


def test_stamp_is_sortable_utc():
    moment = datetime.datetime(2026, 11, 27, 3, 4, 5, 6, tzinfo=datetime.UTC)
    assert stamp(moment) == "20261127T030405.000006Z"


def test_backup_copies_and_verifies(tmp_path: Path):
    source_path = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(source_path)) as source:
        source.execute("PRAGMA journal_mode = WAL")
        source.execute("CREATE TABLE t (x)")
        source.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
        source.commit()
        first = backup_sqlite(source, str(tmp_path / "new" / "dir"), "db", 1.0)
        second = backup_sqlite(source, str(tmp_path / "new" / "dir"), "db", 1.0)
    assert first != second  # never overwrites an earlier backup
    for path in (first, second):
        verify_sqlite(path)
        with closing(sqlite3.connect(path)) as copy:
            assert copy.execute("SELECT count(*) FROM t").fetchone() == (100,)
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert sorted(os.listdir(tmp_path / "new" / "dir")) == sorted(
        os.path.basename(p) for p in (first, second)
    )


def test_backup_of_a_locked_source_is_busy_and_leaves_nothing(tmp_path: Path):
    uri = "file:backup-locked?mode=memory&cache=shared"
    holder = sqlite3.connect(uri, uri=True, isolation_level=None)
    reader = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(Busy):
            backup_sqlite(reader, str(tmp_path), "m", 0.05)
        assert os.listdir(tmp_path) == []
    finally:
        holder.close()
        reader.close()


def test_backup_dir_that_cannot_be_made(tmp_path: Path):
    (tmp_path / "file").write_text("")
    with closing(sqlite3.connect(":memory:")) as source, pytest.raises(InvalidParams):
        backup_sqlite(source, str(tmp_path / "file" / "sub"), "db", 1.0)


def test_verify_refuses_a_damaged_copy(tmp_path: Path):
    path = tmp_path / "bad.sqlite3"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE t (x TEXT)")
        connection.execute("CREATE INDEX t_x ON t (x)")
        connection.executemany(
            "INSERT INTO t VALUES (?)", [(str(i),) for i in range(50)]
        )
        connection.commit()
    with open(path, "r+b") as f:  # garbage over the table's page
        f.seek(4096 + 100)
        f.write(b"\xff" * 2000)
    with pytest.raises(InternalError) as caught:
        verify_sqlite(str(path))
    assert caught.value.details["problems"]


ODD = [
    (1, "text", b"\x00\xffbytes", 1.5),
    (2, None, None, math.inf),
    (3, "ünïcode", b"", -math.inf),
]


def _odd_table(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE odd (id INTEGER PRIMARY KEY, t TEXT, b BLOB, r)")
    connection.executemany("INSERT INTO odd VALUES (?, ?, ?, ?)", ODD)


def test_export_round_trip(tmp_path: Path):
    with closing(sqlite3.connect(":memory:")) as connection:
        _odd_table(connection)
        connection.execute("CREATE TABLE empty (x)")
        cursor = connection.cursor()
        columns = [CatalogColumn("id", "integer", primary_key=True)]
        path = export_tables(
            cursor,
            Dialect().quote,
            [("odd", columns), ("empty", [])],
            str(tmp_path),
            "postgresql",
        )
    assert os.path.basename(path).startswith("postgresql-export-")
    assert sorted(os.listdir(path)) == ["empty.jsonl", "manifest.json", "odd.jsonl"]
    with open(os.path.join(path, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["format"] == EXPORT_FORMAT and manifest["version"] == 1
    assert [(t["name"], t["rows"]) for t in manifest["tables"]] == [
        ("odd", 3),
        ("empty", 0),
    ]
    tables = {name: (cols, list(rows)) for name, cols, rows in read_export(path)}
    assert tables["odd"][0] == [c.to_wire() for c in columns]
    assert [tuple(r.values()) for r in tables["odd"][1]] == ODD
    assert tables["empty"][1] == []


def test_export_encodes_what_json_lacks(tmp_path: Path):
    values = [
        decimal.Decimal("1.10"),
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        datetime.date(2026, 1, 2),
        datetime.timedelta(seconds=90),
        {"$base64": "not a tag"},
        {"plain": [1, 2]},
        math.nan,
    ]

    class Cursor:
        description = [("v",)]

        def __init__(self) -> None:
            self.rows = [(v,) for v in values]

        def execute(self, sql: str) -> None:
            assert sql == 'SELECT * FROM "things"'

        def fetchmany(self, n: int) -> list[tuple[object]]:
            rows, self.rows = self.rows[:n], self.rows[n:]
            return rows

    path = export_tables(
        Cursor(), Dialect().quote, [("things", [])], str(tmp_path), "x"
    )
    ((_, _, rows),) = list(read_export(path))
    decoded = [r["v"] for r in rows]
    assert decoded[:2] == [decimal.Decimal("1.10"), "2026-01-02T03:04:05+00:00"]
    assert decoded[2:6] == [
        "2026-01-02",
        datetime.timedelta(seconds=90),
        {"$base64": "not a tag"},
        {"plain": [1, 2]},
    ]
    assert math.isnan(decoded[6])
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"format": "zip"}')
    with pytest.raises(ValueError):
        list(read_export(str(tmp_path / "other")))


class _ServerLike:
    """What SchemaBackend needs of a driver, on a plain sqlite3 connection."""

    backend = "postgresql"
    dialect = Dialect()

    def table_columns(self, cursor: object, table: str) -> list[CatalogColumn]:
        return [CatalogColumn("id", "integer")]

    def table_names(self, cursor: object) -> list[str]:
        return ["odd", "_dbdriver_schema"]


def test_server_backends_export_what_the_plan_alters(tmp_path: Path):
    backend = SchemaBackend(_ServerLike())  # type: ignore[arg-type]
    assert backend.table_names(None) == ["odd"]
    assert backend.expected_not_null(Column("k", "text", primary_key=True), None)  # type: ignore[arg-type]
    assert backend.same_default("NULL", Column("d", "text"))
    assert backend.can_add(
        Column("n", "text", not_null=True, default=Default("literal", "x")), None
    )  # type: ignore[arg-type]
    with closing(sqlite3.connect(":memory:")) as connection:
        _odd_table(connection)
        plan = Plan([AddColumn("odd", Column("new", "text"))])
        path = backend.backup(connection.cursor(), plan, str(tmp_path))
    assert [name for name, _, _ in read_export(path)] == ["odd"]
    assert backend.drop_index_sql("t", "i") == 'DROP INDEX "i"'


def test_server_backend_transaction_and_discarded_exports(tmp_path: Path):
    from dbdriver.drivers.schema.sync import _discard

    backend = SchemaBackend(_ServerLike())  # type: ignore[arg-type]
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as connection:
        cursor = connection.cursor()
        backend.begin(cursor, True)
        cursor.execute("CREATE TABLE t (x)")
        backend.rollback(cursor)
        backend.begin(cursor, True)
        cursor.execute("CREATE TABLE u (x)")
        backend.commit(cursor)
        backend.end(cursor)
        names = connection.execute("SELECT name FROM sqlite_master").fetchall()
        assert names == [("u",)]
        _odd_table(connection)
        path = backend.backup(
            cursor, Plan([AddColumn("odd", Column("n", "text"))]), str(tmp_path)
        )
    _discard(path)
    _discard(None)
    assert os.listdir(tmp_path) == []


def test_a_backend_without_schema_support_says_so():
    from dbdriver.drivers.schema.sync import sync_schema
    from dbdriver.exceptions import UnknownMethod
    from dbdriver.requests.methods import SyncSchemaRequest

    class Other(Dialect):
        name = "other"

    class Operations:
        dialect = Other()
        schema_backend = None  # names no schema backend

    request = SyncSchemaRequest(schema_definition={"tables": []})
    with pytest.raises(UnknownMethod, match="other backend"):
        sync_schema(Operations(), None, request)  # type: ignore[arg-type]
