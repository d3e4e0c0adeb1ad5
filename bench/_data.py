"""
The tables and rows the workloads use, identical on every side: the driver
creates its tables from the schemas here, SQLite anchors copy the driver's
own DDL, and PostgreSQL gets the equivalent DDL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: W1, W2, W5: the point-select table.
ITEMS: dict[str, Any] = {
    "name": "items",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "name", "type": "text", "not_null": True},
        {"name": "value", "type": "real"},
        {"name": "payload", "type": "text"},
    ],
}

#: W3: single-row inserts.
EVENTS: dict[str, Any] = {
    "name": "events",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "client", "type": "integer", "not_null": True},
        {"name": "seq", "type": "integer", "not_null": True},
        {"name": "payload", "type": "text"},
    ],
}

#: W4: bulk rows; the memory case pages through the same shape.
BULK: dict[str, Any] = {
    "name": "bulk",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True},
        {"name": "size", "type": "integer"},
        {"name": "score", "type": "real"},
        {"name": "note", "type": "text"},
    ],
}

PG_ITEMS = (
    "CREATE TABLE dbdriver_bench_items (id integer PRIMARY KEY, name text NOT NULL,"
    " value double precision, payload text)"
)
PG_EVENTS = (
    "CREATE TABLE dbdriver_bench_events (id bigserial PRIMARY KEY,"
    " client integer NOT NULL, seq integer NOT NULL, payload text)"
)

EVENT_PAYLOAD = "event-payload-0123456789abcdef"


def item_rows(count: int) -> list[dict[str, Any]]:
    """The rows of C{items}: ids 0..count-1."""
    return [
        {
            "id": i,
            "name": f"item-{i:07d}",
            "value": i * 0.25,
            "payload": f"payload {i % 97:02d} " + "abcdefghij" * 3,
        }
        for i in range(count)
    ]


def bulk_rows(count: int) -> list[dict[str, Any]]:
    """The rows W4 writes (without ids: autoincrement)."""
    return [
        {
            "name": f"file-{i:07d}.py",
            "size": (i * 7919) % 100000,
            "score": i / 3.0,
            "note": "n" * (i % 40),
        }
        for i in range(count)
    ]


def point_ids(count: int) -> list[int]:
    """A fixed, scattered order of the ids 0..count-1 for point selects."""
    step = 7919 if count % 7919 else 7907
    return [(i * step) % count for i in range(count)]


def copy_schema(
    source: Path, target: sqlite3.Connection, tables: Iterable[str]
) -> None:
    """
    Create C{tables} (and their indexes) in C{target} with the exact DDL the
    driver wrote into the SQLite file C{source}.
    """
    wanted = set(tables)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        ddl = db.execute(
            "SELECT tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
        ).fetchall()
    for table, sql in ddl:
        if table in wanted:
            target.execute(sql)


def anchor_sqlite(path: Path) -> sqlite3.Connection:
    """
    An in-process SQLite connection set up like the driver's: WAL,
    C{synchronous=NORMAL}, foreign keys on, autocommit (explicit BEGIN),
    declared types decoded the way the driver decodes them.
    """
    db = sqlite3.connect(
        path,
        isolation_level=None,
        detect_types=sqlite3.PARSE_DECLTYPES,
        check_same_thread=False,
    )
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def register_sqlite_converters() -> None:
    """Decode C{BOOLEAN}/C{JSON} columns as the driver does (its wire types)."""
    sqlite3.register_converter("BOOLEAN", lambda b: b not in (b"0", b"0.0"))
    sqlite3.register_converter("JSON", json.loads)


def as_dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """Every row of an executed cursor as a map column -> value."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
