"""
L{dbdriver.drivers.sql.rawsql}: raw SQL's session statements refused, and
its rows fetched within a byte budget (the process tests in
tests/process/test_result_memory.py and tests/conformance/test_session_sql.py
drive them through the driver).
"""

from __future__ import annotations

import sqlite3

import pytest

from dbdriver.drivers.postgresql.dialect import LEXICON
from dbdriver.drivers.sql.rawsql import (
    fetch_within,
    page_within,
    refuse_session_sql,
    row_size,
)
from dbdriver.exceptions import Forbidden, ResultTooLarge
from dbdriver.requests.sqltext import POSTGRESQL_SESSION


def _cursor(rows: int, size: int) -> sqlite3.Cursor:
    connection = sqlite3.connect(":memory:")
    return connection.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ?) "
        "SELECT x, zeroblob(?) FROM c",
        (rows, size),
    )


def test_refuse_session_sql() -> None:
    with pytest.raises(Forbidden) as raised:
        refuse_session_sql("SET x = 1", POSTGRESQL_SESSION, LEXICON)
    assert raised.value.details == {"statement": "SET"}
    refuse_session_sql("SELECT 1", POSTGRESQL_SESSION, LEXICON)


def test_row_size() -> None:
    assert row_size([b"abc", "de", 1, None]) == 1 + (3 + 9) + (2 + 9) + 9 + 9


def test_rows_within_the_budget_come_back() -> None:
    rows = fetch_within(_cursor(300, 10), 100_000, 0)
    assert len(rows) == 300
    assert rows[0] == [1, bytes(10)]


def test_over_the_budget_stops_at_once() -> None:
    cursor = _cursor(1000, 1000)
    with pytest.raises(ResultTooLarge) as raised:
        fetch_within(cursor, 50_000, 0)
    assert raised.value.details == {"max_message_size": 50_000, "rows": 49}
    # it stopped near the budget: the rest was never fetched
    assert len(cursor.fetchall()) > 900


def test_max_rows_plus_one() -> None:
    assert len(fetch_within(_cursor(50, 1), 10**6, 10)) == 11


def test_a_page_stops_at_its_byte_budget_and_goes_on() -> None:
    connection = sqlite3.connect(":memory:")
    cursor = connection.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)"
        " SELECT i, zeroblob(1000) FROM n"
    )
    first, exhausted = page_within(cursor, 3500, 100)
    assert [r[0] for r in first] == [1, 2, 3, 4] and not exhausted  # 4th crosses
    rest, exhausted = page_within(cursor, 10**6, 100)
    assert [r[0] for r in rest] == list(range(5, 11)) and exhausted
    two = connection.execute("SELECT 1 UNION SELECT 2")
    cut, exhausted = page_within(two, 10**6, 1)
    assert (len(cut), exhausted) == (1, False)  # max_rows reached first
