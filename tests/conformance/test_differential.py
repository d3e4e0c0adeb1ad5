"""
A seeded random sequence of inserts, updates, deletes, selects and counts
(some inside transactions that commit or roll back), checked row by row
against the table state kept in Python, on every backend.

C{DBDRIVER_TEST_SEED} and C{DBDRIVER_TEST_STEPS} change the sequence.
"""

from __future__ import annotations

import copy
import os
import random
import re
from typing import Any

import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.exceptions import ConstraintViolation

SEED = int(os.environ.get("DBDRIVER_TEST_SEED", "20261127"))
STEPS = int(os.environ.get("DBDRIVER_TEST_STEPS", "300"))
TABLE: dict[str, Any] = {
    "name": "d",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "k", "type": "text"},
        {"name": "n", "type": "integer"},
        {"name": "b", "type": "bigint"},
        {"name": "f", "type": "real"},
        {"name": "flag", "type": "boolean"},
        {"name": "u", "type": "text"},
        {"name": "bl", "type": "blob"},
    ],
}
COLUMNS = [c["name"] for c in TABLE["columns"]]
Row = dict[str, Any]


class Generator:
    """
    Random values, where clauses and rows, from one seeded C{random}.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def maybe(self, value: Any) -> Any:
        return None if self.rng.random() < 0.15 else value

    def value(self, column: str) -> Any:
        r = self.rng
        make = {
            "id": lambda: r.randint(1, 60),
            "k": lambda: "".join(r.choice("abc") for _ in range(r.randint(0, 3))),
            "n": lambda: r.randint(-20, 20),
            "b": lambda: r.choice([r.randint(-(2**62), 2**62), r.randint(-5, 5)]),
            "f": lambda: r.randint(-400, 400) / 4,
            "flag": lambda: r.random() < 0.5,
            "u": lambda: "".join(
                r.choice("aé✓日🎉'\\ ") for _ in range(r.randint(0, 6))
            ),
            "bl": lambda: bytes(r.randrange(256) for _ in range(r.randint(0, 8))),
        }[column]
        return self.maybe(make())

    def row(self, columns: list[str] | None = None) -> Row:
        columns = columns or [c for c in COLUMNS if c != "id"]
        return {c: self.value(c) for c in columns}

    def data(self) -> Row:
        some = self.rng.sample(COLUMNS[1:], self.rng.randint(1, 3))
        return self.row(some)

    def where(self, depth: int = 0) -> dict[str, Any]:
        r = self.rng
        where: dict[str, Any] = {}
        for _ in range(r.randint(1, 2)):
            roll = r.random()
            if depth < 2 and roll < 0.12:
                key = r.choice(["$or", "$and"])
                where[key] = [self.where(depth + 1) for _ in range(r.randint(0, 3))]
            elif depth < 2 and roll < 0.18:
                where["$not"] = self.where(depth + 1)
            else:
                column = r.choice(["k", "n", "b", "f", "flag", "id"])
                where[column] = self.condition(column)
        return where

    def condition(self, column: str) -> Any:
        r = self.rng
        value = self.value(column)
        if value is None or column == "flag" or r.random() < 0.3:
            return value  # equality, or IS NULL
        if column == "k":
            pattern = r.choice(["a%", "%b", "_c%", "%", "ab"])
            return {r.choice(["like", "not like"]): pattern}
        kind = r.choice(["<", "<=", ">", ">=", "!=", "in", "not in", "between"])
        if kind in ("in", "not in"):
            values = [self.value(column) for _ in range(3)]
            return {kind: [v for v in values if v is not None]}
        if kind == "between":
            other = self.value(column)
            low, high = sorted([value, value if other is None else other])
            return {"between": [low, high]}
        return {kind: value}


# -- three-valued logic, as SQL evaluates a where clause --------------------------


def _like(value: str, pattern: str) -> bool:
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern
    )
    return re.fullmatch(regex, value, re.S) is not None


_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "like": _like,
    "not like": lambda a, b: not _like(a, b),
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "between": lambda a, b: b[0] <= a <= b[1],
}


def _all(values: list[bool | None]) -> bool | None:
    if False in values:
        return False
    return None if None in values else True


def truth(where: dict[str, Any], row: Row) -> bool | None:
    parts: list[bool | None] = []
    for key, cond in where.items():
        if key in ("$or", "$and"):
            values = [truth(w, row) for w in cond]
            if key == "$and":
                parts.append(_all(values))
            elif True in values:
                parts.append(True)
            else:
                parts.append(None if None in values else False)
        elif key == "$not":
            inner = truth(cond, row)
            parts.append(None if inner is None else not inner)
        elif cond is None:
            parts.append(row[key] is None)
        elif isinstance(cond, dict):
            for op, operand in cond.items():
                parts.append(None if row[key] is None else _OPS[op](row[key], operand))
        else:
            parts.append(None if row[key] is None else row[key] == cond)
    return _all(parts)


def matching(model: dict[int, Row], where: dict[str, Any]) -> list[int]:
    return sorted(i for i, row in model.items() if truth(where, row) is True)


# -- the run ------------------------------------------------------------------------


class Run:
    def __init__(self, client: DriverClient, rng: random.Random) -> None:
        self.client = client
        self.rng = rng
        self.gen = Generator(rng)
        self.model: dict[int, Row] = {}
        self.step = 0

    def where_label(self) -> str:
        return f"seed {SEED}, step {self.step}"

    async def check_all(self, target: Any) -> None:
        got = await target.select("d", order_by=["id"])
        expected = [self.model[i] for i in sorted(self.model)]
        assert got == expected, self.where_label()

    async def one(self, target: Any) -> None:
        r, gen, model = self.rng, self.gen, self.model
        roll = r.random()
        if roll < 0.25:
            row = gen.row()
            explicit = r.random() < 0.4
            if explicit:
                row = {"id": r.randint(1, 60), **row}
            ignore = explicit and r.random() < 0.3
            options = {"on_conflict": "ignore"} if ignore else {}
            if explicit and not ignore and r.random() < 0.3:  # replaces the row
                assert await target.insert("d", row, on_conflict="replace") == row["id"]
                model[row["id"]] = {c: row.get(c) for c in COLUMNS}
                return
            if explicit and row["id"] in model:
                if ignore:
                    assert await target.insert("d", row, **options) is None
                    return
                try:
                    await target.insert("d", row)
                except ConstraintViolation:
                    return
                raise AssertionError(f"duplicate key accepted ({self.where_label()})")
            key = await target.insert("d", row, **options)
            assert isinstance(key, int) and key not in model, self.where_label()
            model[key] = {"id": key, **{c: row.get(c) for c in COLUMNS[1:]}}
        elif roll < 0.35:
            rows = [gen.row() for _ in range(r.randint(1, 4))]
            got = await target.insert_many("d", rows, returning=["id", "k"])
            assert [g["k"] for g in got] == [row["k"] for row in rows]
            for found, row in zip(got, rows, strict=True):
                assert found["id"] not in model, self.where_label()
                model[found["id"]] = {"id": found["id"], **row}
        elif roll < 0.5:
            where, data = gen.where(), gen.data()
            hits = matching(model, where)
            assert await target.update("d", where, data) == len(hits), (
                self.where_label(),
                where,
            )
            for i in hits:
                model[i].update(data)
        elif roll < 0.6:
            where = gen.where()
            hits = matching(model, where)
            assert await target.delete("d", where) == len(hits), (
                self.where_label(),
                where,
            )
            for i in hits:
                del model[i]
        elif roll < 0.85:
            where = gen.where()
            hits = matching(model, where)
            limit = r.choice([None, None, 1, 3])
            offset = r.choice([None, 0, 2]) if limit else None
            columns = r.choice([None, ["id", "k", "f"]])
            got = await target.select(
                "d", where, columns=columns, order_by=["id"], limit=limit, offset=offset
            )
            start = offset or 0
            wanted = hits[start : start + limit] if limit else hits
            expected = [{c: model[i][c] for c in (columns or COLUMNS)} for i in wanted]
            assert got == expected, (self.where_label(), where)
        else:
            where = gen.where()
            assert await target.count("d", where) == len(matching(model, where)), (
                self.where_label(),
                where,
            )

    async def transaction(self) -> None:
        saved = copy.deepcopy(self.model)
        tx = await self.client.transaction().begin()
        for _ in range(self.rng.randint(1, 4)):
            await self.one(tx)
        await self.check_all(tx)
        if self.rng.random() < 0.6:
            await tx.commit()
        else:
            await tx.rollback()
            self.model = saved


@pytest_twisted.ensureDeferred
async def test_random_operations_match_the_model(client: DriverClient) -> None:
    await client.create_table(TABLE)
    run = Run(client, random.Random(SEED))
    peak = 0
    for run.step in range(STEPS):
        if run.rng.random() < 0.08:
            await run.transaction()
        else:
            await run.one(client)
        peak = max(peak, len(run.model))
        if run.step % 25 == 0:
            await run.check_all(client)
    await run.check_all(client)
    assert peak > 5  # the sequence did build a table
