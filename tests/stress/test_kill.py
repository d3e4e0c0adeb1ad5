"""
The kill loop's check of the database file: lost writes, partial
transactions, writes nobody sent.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from stress.kill import check_file


def make(path: Path, rows: list[tuple[int, str, int]]) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.execute("create table t (n integer primary key, tag text, k integer)")
        db.executemany("insert into t values (?, ?, ?)", rows)
        db.commit()
    return path


def test_a_complete_file_passes(tmp_path: Path) -> None:
    path = make(tmp_path / "db", [(1, "a", 2), (2, "a", 2), (3, "b", 1)])
    assert check_file(path, {"a": 2, "b": 1}, {}) == []


def test_a_partial_transaction_is_found(tmp_path: Path) -> None:
    path = make(tmp_path / "db", [(1, "a", 3), (2, "a", 3)])
    assert check_file(path, {}, {"a": 3}) == ["partial: tag a has 2 of 3 rows"]


def test_a_lost_write_is_found(tmp_path: Path) -> None:
    path = make(tmp_path / "db", [(1, "a", 1)])
    assert check_file(path, {"a": 1, "b": 2}) == [
        "1 acknowledged writes lost, e.g. ['b']"
    ]


def test_a_write_nobody_sent_is_found(tmp_path: Path) -> None:
    path = make(tmp_path / "db", [(1, "a", 1), (2, "z", 1)])
    assert check_file(path, {"a": 1}, {}) == [
        "1 writes stored that no writer sent: ['z']"
    ]
