"""
L{dbdriver.drivers.postgresql.defaults}: a live default compared with a
definition's as PostgreSQL's catalog spells it (literals with their casts,
function defaults, C{{"sql": ...}} defaults as the server rewrites them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbdriver.drivers.postgresql.defaults import bare, same_default
from dbdriver.drivers.postgresql.dialect import PostgreSQLDialect
from dbdriver.requests.schema import parse_table
from tests.support.direct import database_for

DIALECT = PostgreSQLDialect()


def _column(kind: str, default: Any) -> Any:
    table = parse_table(
        {"name": "t", "columns": [{"name": "c", "type": kind, "default": default}]}
    )
    return table.columns[0]


@pytest.fixture
def cursor(tmp_path: Path) -> Iterator[Any]:
    database = database_for("postgresql", tmp_path)
    try:
        with psycopg.connect(database.uri) as connection, connection.cursor() as cur:
            yield cur
    finally:
        database.drop()


def test_bare() -> None:
    assert bare(" ((1 + 1)) ") == "1 + 1"
    assert bare("(a) + (b)") == "(a) + (b)"
    assert bare("now()") == "now()"


def test_without_a_cursor() -> None:
    now = _column("timestamp", {"function": "now"})
    assert same_default(None, DIALECT, "CURRENT_TIMESTAMP", now)
    assert not same_default(None, DIALECT, None, now)
    stamp = "(floor(EXTRACT(epoch FROM CURRENT_TIMESTAMP)))::bigint"
    assert same_default(None, DIALECT, stamp, _column("integer", {"function": "now"}))
    assert not same_default(None, DIALECT, stamp, _column("integer", 5))
    uuid = _column("uuid", {"function": "uuid"})
    assert same_default(None, DIALECT, "gen_random_uuid()", uuid)
    assert same_default(None, DIALECT, "(1 + 1)", _column("integer", {"sql": "1 + 1"}))
    assert not same_default(None, DIALECT, None, _column("integer", {"sql": "1"}))
    assert not same_default(None, DIALECT, "lower('x'::text)", _column(
        "text", {"sql": "lower('x')"}))  # fmt: skip
    assert same_default(None, DIALECT, "-3", _column("integer", -3))
    assert same_default(None, DIALECT, "1", _column("boolean", True))
    assert same_default(None, DIALECT, None, _column("text", None))


def test_with_the_server(cursor: Any) -> None:
    lower = _column("text", {"sql": "lower('x')"})
    assert same_default(cursor, DIALECT, "lower('x'::text)", lower)
    assert not same_default(cursor, DIALECT, "upper('x'::text)", lower)
    broken = _column("text", {"sql": "no_such_function()"})
    assert not same_default(cursor, DIALECT, "x()", broken)
    at = _column("timestamp", "2026-01-01T00:00:00+00:00")
    assert same_default(cursor, DIALECT, "'2026-01-01 00:00:00+00'", at)
    assert not same_default(cursor, DIALECT, "'2026-01-02 00:00:00+00'", at)
    cursor.execute("SELECT to_regclass('_dbdriver_probe')")
    assert cursor.fetchone() == (None,)  # the scratch table is gone
