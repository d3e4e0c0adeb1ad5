"""
L{dbdriver.drivers.schema.validate}: a plan checked against the rows
before its first change, on a real (in-memory) SQLite database: each kind
of offending row found, with the step and the constraint named.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from dbdriver.drivers.schema.plan import CreateIndex, LiveTable, Plan, Rebuild
from dbdriver.drivers.schema.validate import validate_plan
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import ConstraintViolation
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import Index


def _db() -> sqlite3.Cursor:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(
        """
        CREATE TABLE p (id INTEGER PRIMARY KEY);
        INSERT INTO p VALUES (1);
        CREATE TABLE t (
            id INTEGER, name TEXT, n INTEGER, p_id INTEGER, deleted INTEGER
        );
        INSERT INTO t VALUES
            (1, 'abc', 5, 1, 0), (2, 'abc', 7, 1, 1), (3, NULL, 9, NULL, 1);
        """
    )
    return db.cursor()


def _rebuild(**columns: Any) -> Plan:
    base = {
        "id": {"type": "integer"},
        "name": {"type": "text"},
        "n": {"type": "integer"},
        "p_id": {"type": "integer"},
        "deleted": {"type": "integer"},
    }
    extra = columns.pop("_table", {})
    for name, change in columns.items():
        base[name] = {**base[name], **change}
    schema = parse_table(
        {"name": "t", "columns": [{"name": k, **v} for k, v in base.items()], **extra}
    )
    live = LiveTable("t", tuple(CatalogColumn(k, v["type"]) for k, v in base.items()))
    return Plan([Rebuild(schema, live, ("test",), tuple(base))])


@pytest.mark.parametrize(
    ("plan", "constraint"),
    [
        (_rebuild(name={"not_null": True}), "name not null"),
        (_rebuild(name={"max_length": 2}), "name max_length"),
        (_rebuild(n={"check": {"n": {"<": 8}}}), "t_n_check"),
        (_rebuild(name={"unique": True}), "unique (name)"),
        (_rebuild(p_id={"references": {"table": "p", "column": "id"}}), None),
        (
            _rebuild(
                _table={"indexes": [{"name": "live", "columns": ["n"], "unique": True,
                                     "where": {"deleted": 1}}]},
                n={"default": 0},
            ),
            None,
        ),
    ],
)  # fmt: skip
def test_rebuilds(plan: Plan, constraint: str | None) -> None:
    cursor = _db()
    if constraint is None:
        validate_plan(Dialect(), cursor, plan, ["p", "t"])
        return
    with pytest.raises(ConstraintViolation) as caught:
        validate_plan(Dialect(), cursor, plan, ["p", "t"])
    assert caught.value.details is not None
    assert caught.value.details["constraint"] == constraint
    assert caught.value.details["step"].startswith("rebuild table t")


def test_a_dangling_foreign_key() -> None:
    cursor = _db()
    cursor.execute("UPDATE t SET p_id = 2 WHERE id = 2")
    plan = _rebuild(p_id={"references": {"table": "p", "column": "id"}})
    with pytest.raises(ConstraintViolation, match="foreign key"):
        validate_plan(Dialect(), cursor, plan, ["p", "t"])
    validate_plan(Dialect(), cursor, plan, ["t"])  # p is new: nothing to check


def test_a_unique_index_over_duplicates() -> None:
    cursor = _db()
    unique = Index("by_name", ("name",), unique=True)
    with pytest.raises(ConstraintViolation) as caught:
        validate_plan(Dialect(), cursor, Plan([CreateIndex("t", unique)]), ["t"])
    assert caught.value.details is not None
    assert caught.value.details["step"] == "create unique index by_name on t (name)"
    validate_plan(
        Dialect(), cursor, Plan([CreateIndex("t", Index("by_n", ("n",), True))]), ["t"]
    )
